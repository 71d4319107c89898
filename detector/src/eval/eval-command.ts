import { closeSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, parseDetectorConfig, type RulesConfig } from '../config.js';
import type { Logger } from '../detector-service.js';
import { generateCorpus } from './corpus.js';
import { EVAL_DEFAULTS, runEval } from './evaluate.js';
import { HOSTILE_FAMILIES } from './labels.js';
import { formatReport } from './report-format.js';

export const EVAL_HELP = `Usage: toolwatch eval [--benign <n>] [--hostile <n>] [--seed <n>] [--config <file.json>] [--json] [--out <dir>]

Generates a labelled corpus of MCP sessions (benign agents, and hostile episodes of every
attack family: ${HOSTILE_FAMILIES.join(', ')}),
scores it with the detector in event time, and prints per family: recall, median calls
from onset to first alert, false alerts per 1,000 benign sessions, and NAB scores
(standard and reward_low_FP). Same seed, same corpus, same figures.

Options:
  --benign <n>      scored benign sessions (default ${EVAL_DEFAULTS.benign}); a warm-up of 15% of the corpus comes on top
  --hostile <n>     hostile sessions, split evenly across the families (default ${EVAL_DEFAULTS.hostile})
  --seed <n>        corpus seed (default ${EVAL_DEFAULTS.seed})
  --config <file>   detector rules: a detector configuration file (its "rules") or the rules object alone
  --json            the figures as JSON on stdout
  --out <dir>       also write the corpus: spans.jsonl (what a detector reads) and labels.jsonl
  -h, --help        this text

Figures go to stdout; progress (on a terminal) to stderr.
`;

function count(name: string, value: string | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new ConfigError(`--${name}: expected an integer of at least ${min}, got "${value}"`);
  return n;
}

/** The rules from a detector configuration file (`{"rules": …}`) or a bare rules object. */
export function loadRules(file: string): RulesConfig {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(code ? `cannot read ${file}: ${code}` : `${file} is not valid JSON`);
  }
  const wrapped = typeof json === 'object' && json !== null && 'rules' in json ? json : { rules: json };
  return parseDetectorConfig(wrapped, file).rules;
}

/** In chunks: a large corpus as one string would pass V8's longest string. */
function writeJsonLines(file: string, items: readonly unknown[]): void {
  const fd = openSync(file, 'w');
  try {
    for (let i = 0; i < items.length; i += 2_000) writeSync(fd, items.slice(i, i + 2_000).map((x) => `${JSON.stringify(x)}\n`).join(''));
  } finally {
    closeSync(fd);
  }
}

function progressBar(stream: NodeJS.WriteStream): (phase: string, done: number, total: number) => void {
  let last = '';
  return (phase, done, total) => {
    const width = 30;
    const filled = Math.round((done / total) * width);
    const text = `\r  ${phase.padEnd(10)} [${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${Math.round((100 * done) / total)}%`;
    if (text === last) return;
    last = text;
    stream.write(`${text}${done >= total ? '\n' : ''}`);
  };
}

export async function evalCommand(argv: string[], log: Logger): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      benign: { type: 'string' },
      hostile: { type: 'string' },
      seed: { type: 'string' },
      config: { type: 'string' },
      json: { type: 'boolean' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(EVAL_HELP);
    return 0;
  }
  const benign = count('benign', values.benign, EVAL_DEFAULTS.benign, 0);
  const hostile = count('hostile', values.hostile, EVAL_DEFAULTS.hostile, 0);
  const seed = count('seed', values.seed, EVAL_DEFAULTS.seed, 0);
  if (benign + hostile === 0) throw new ConfigError('--benign and --hostile: nothing to evaluate');
  const rules = values.config ? loadRules(values.config) : undefined;
  const bar = process.stderr.isTTY ? progressBar(process.stderr) : undefined;

  const started = performance.now();
  const corpus = generateCorpus({ benign, hostile, seed, onProgress: bar && ((d, t) => bar('generate', d, t)) });
  if (values.out) {
    mkdirSync(values.out, { recursive: true });
    writeJsonLines(join(values.out, 'spans.jsonl'), corpus.records);
    writeJsonLines(join(values.out, 'labels.jsonl'), corpus.labels);
    log('info', `wrote ${corpus.records.length} spans and ${corpus.labels.length} labels to ${values.out}`);
  }
  const report = runEval({ corpus, ...(rules ? { rules } : {}), onProgress: bar && ((phase, d, t) => phase === 'score' && bar('score', d, t)) });
  const seconds = (performance.now() - started) / 1000;

  process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
  log('info', `${report.spans} spans generated and scored in ${seconds.toFixed(1)} s`);
  return 0;
}
