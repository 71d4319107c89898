import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { decodeSpanRecord } from '@toolwatch/schemas';
import { ConfigError, loadDetectorConfig, RulesConfig } from '../config.js';
import { openLines } from './line-reader.js';
import { ProgressBar } from './progress.js';
import { DEFAULT_MAX_HELD, DEFAULT_REORDER_WINDOW_MS, Replayer, type ReplayStats } from './replay.js';
import { InvalidLines, summaryLines } from './summary.js';

export const REPLAY_HELP = `Usage: toolwatch replay <spans.jsonl | spans.jsonl.gz | -> [options]

Runs the detector's scoring over recorded span records (one JSON object per line, as the
JSONL exporter writes them; gzip when the name ends in .gz or the data is gzip) in event
time, and writes one alert record per line (JSON) to stdout. The same input and
configuration give byte-identical output. A summary goes to stderr, with a progress bar
when stderr is a terminal. Lines that are not span records are counted and skipped.

Options:
  --config <file>           detector configuration (JSON); only its "rules" are used
  --reorder-window <time>   how far out of event-time order a span may arrive and still
                            be scored in order: 500ms, 60s, 5m (default 60s)
  --max-held <n>            spans held at most for reordering; past it the oldest are
                            scored early and counted (default 250000, about 1 GB)
  --max-line-bytes <n>      longer lines are skipped as invalid (default 16777216)
  --no-progress             no progress bar, even on a terminal
  -h, --help                this text
`;

type Log = (level: 'info' | 'warn' | 'error', msg: string) => void;

export interface RunReplayOptions {
  path: string;
  rules: RulesConfig;
  reorderWindowMs?: number;
  maxHeld?: number;
  maxLineBytes?: number;
  out: Writable;
  /** Where the progress bar goes; none when undefined. */
  progress?: Writable;
  stdin?: Readable;
}

export interface RunReplayResult {
  stats: ReplayStats;
  invalid: InvalidLines;
  bytes: number;
  ms: number;
}

/** Reads, scores and writes; throws only when the input cannot be read at all. */
export async function runReplay(options: RunReplayOptions): Promise<RunReplayResult> {
  const started = Date.now();
  const source = openLines(options.path, options.maxLineBytes, options.stdin);
  const replayer = new Replayer(options.rules, { reorderWindowMs: options.reorderWindowMs, maxHeld: options.maxHeld });
  const invalid = new InvalidLines();
  const bar = options.progress ? new ProgressBar(options.progress, source.size) : undefined;
  const writer = new LineWriter(options.out);
  try {
    for await (const line of source.lines) {
      if ('tooLong' in line) {
        invalid.add(line.number, `line longer than ${options.maxLineBytes ?? 16 << 20} bytes`);
        continue;
      }
      if (line.text.trim() === '') continue;
      const decoded = decodeSpanRecord(line.text);
      if (!decoded.ok) {
        invalid.add(line.number, decoded.reason);
        continue;
      }
      for (const alert of replayer.push(decoded.value)) await writer.write(JSON.stringify(alert));
      if (writer.closed) break;
      bar?.update(source.bytesRead(), replayer.spans);
    }
    for (const alert of replayer.end()) await writer.write(JSON.stringify(alert));
    await writer.end();
  } finally {
    bar?.update(source.bytesRead(), replayer.spans, true);
    bar?.clear();
  }
  return { stats: replayer.stats, invalid, bytes: source.bytesRead(), ms: Date.now() - started };
}

/** Lines out in 64 KiB writes, waiting when the reader is slower; a closed pipe (EPIPE,
 * as under `| head`) ends the replay quietly instead of failing it. */
class LineWriter {
  closed = false;
  private pending: string[] = [];
  private size = 0;
  private error: Error | undefined;

  constructor(private readonly out: Writable) {
    out.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') this.closed = true;
      else this.error = err;
    });
  }

  async write(line: string): Promise<void> {
    this.pending.push(line, '\n');
    this.size += line.length + 1;
    if (this.size >= 1 << 16) await this.flush();
  }

  async end(): Promise<void> {
    await this.flush();
    if (this.error) throw this.error;
  }

  private async flush(): Promise<void> {
    if (this.size === 0 || this.closed) return;
    const text = this.pending.join('');
    this.pending = [];
    this.size = 0;
    if (!this.out.write(text) && !this.closed) await Promise.race([once(this.out, 'drain'), once(this.out, 'close')]);
    if (this.error) throw this.error;
  }
}

function positiveInteger(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new ConfigError(`${flag}: expected a positive integer, got "${text}"`);
  return n;
}

/** `500ms`, `60s`, `5m`, `1h`; a bare number is milliseconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!match) throw new ConfigError(`not a duration: "${text}" (expected e.g. 500ms, 60s, 5m)`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(match[2] ?? 'ms') as 'ms'];
  return Math.round(Number(match[1]) * unit);
}

export async function replayCommand(argv: string[], log: Log): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string' },
      'reorder-window': { type: 'string' },
      'max-line-bytes': { type: 'string' },
      'max-held': { type: 'string' },
      'no-progress': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(REPLAY_HELP);
    return 0;
  }
  if (positionals.length !== 1) {
    process.stderr.write(REPLAY_HELP);
    return 2;
  }
  // Only the file: a replay must not change with the environment the detector reads.
  const rules = values.config ? loadDetectorConfig(values.config, {}).rules : RulesConfig.parse({});
  const reorderWindowMs = values['reorder-window'] ? parseDuration(values['reorder-window']) : DEFAULT_REORDER_WINDOW_MS;
  const maxLineBytes = positiveInteger('--max-line-bytes', values['max-line-bytes']);
  const maxHeld = positiveInteger('--max-held', values['max-held']);
  const path = positionals[0]!;
  let result: RunReplayResult;
  try {
    result = await runReplay({
      path,
      rules,
      reorderWindowMs,
      maxHeld,
      maxLineBytes,
      out: process.stdout,
      progress: process.stderr.isTTY && !values['no-progress'] ? process.stderr : undefined,
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    log('error', `replay of ${path === '-' ? 'stdin' : path} failed: ${e.code ?? e.message}`);
    return 1;
  }
  for (const line of summaryLines(result.stats, result.invalid, result.bytes, result.ms)) log('info', line);
  return 0;
}
