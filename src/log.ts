import type { Logger } from '@toolwatch/detector';

/** Log lines to stderr, so that stdout stays the command's output. */
export const stderrLogger =
  (quiet = false): Logger =>
  (level, message) => {
    if (quiet && level === 'info') return;
    process.stderr.write(`toolwatch ${level}: ${message}\n`);
  };
