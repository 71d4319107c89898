import { parseArgs } from 'node:util';
import { benchRedaction } from '@toolwatch/collector/bench';
import { dashboardsBenchCommand } from './dashboards-bench.js';
import { detectorBenchCommand } from './detector-bench-command.js';
import { benchInstrument, type VariantFigures } from './instrument-bench.js';

export const BENCH_HELP = `Usage: toolwatch bench instrument [--rounds <n>] [--calls <n>]
       toolwatch bench detector [--help]
       toolwatch bench dashboards [--help]

Measures, in one process and one run:
  - the time toolwatch adds to a tools/call (1 KB of arguments, 8 KB of result, in-memory
    transport) at p50 and p99, against the same server uninstrumented and against
    Sentry's wrapMcpServerWithSentry;
  - redaction throughput in MB/s on one core, against secretlint on the same corpus.
Figures go to stdout; progress to stderr.
`;

const us = (n: number) => `${n.toFixed(1).padStart(7)} µs`;

function table(figures: VariantFigures[]): string[] {
  const plain = figures.find((f) => f.name === 'plain')!;
  const lines = ['  variant        p50         p99         per call    added p50   added p99'];
  for (const f of figures) {
    const added = f === plain ? '' : `${us(f.p50 - plain.p50)}  ${us(f.p99 - plain.p99)}`;
    lines.push(`  ${f.name.padEnd(10)} ${us(f.p50)}  ${us(f.p99)}  ${us(f.perCall)}  ${added}`);
  }
  return lines;
}

export async function benchCommand(argv: string[]): Promise<number> {
  if (argv[0] === 'detector') return detectorBenchCommand(argv.slice(1));
  if (argv[0] === 'dashboards') return dashboardsBenchCommand(argv.slice(1));
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { rounds: { type: 'string' }, calls: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help || positionals[0] !== 'instrument') {
    process.stdout.write(BENCH_HELP);
    return values.help ? 0 : 2;
  }
  const rounds = Number(values.rounds ?? 10);
  const callsPerRound = Number(values.calls ?? 1000);
  const bar = (label: string, done: number) => {
    if (!process.stderr.isTTY) return;
    const width = 30;
    const filled = Math.round(done * width);
    process.stderr.write(`\r  ${label.padEnd(32)} [${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${Math.round(done * 100)}%${done >= 1 ? '\n' : ''}`);
  };
  const out = (line: string) => process.stdout.write(`${line}\n`);

  out(`node ${process.version}, ${rounds} rounds × ${callsPerRound} calls per variant, interleaved`);
  const result = await benchInstrument({ rounds, callsPerRound, progress: bar });
  out('');
  out('tools/call, 1 KB arguments, 8 KB result, in-memory transport — without Sentry in the process:');
  for (const l of table(result.withoutSentry)) out(l);
  out('');
  out('— with Sentry initialised (tracesSampleRate 1, spans sent nowhere):');
  for (const l of table(result.withSentry)) out(l);
  const plain = result.withSentry.find((f) => f.name === 'plain')!;
  const tw = result.withSentry.find((f) => f.name === 'toolwatch')!;
  const sentry = result.withSentry.find((f) => f.name === 'sentry')!;
  const ratio = (a: number, b: number) => (b > 0 ? (a / b).toFixed(2) : 'n/a');
  out(`  toolwatch added / Sentry added: p50 ${ratio(tw.p50 - plain.p50, sentry.p50 - plain.p50)}, p99 ${ratio(tw.p99 - plain.p99, sentry.p99 - plain.p99)}, per call ${ratio(tw.perCall - plain.perCall, sentry.perCall - plain.perCall)}`);
  out(`  spans exported by toolwatch: ${result.spansExported}`);

  out('');
  out('redaction, one core, same benign corpus:');
  const r = await benchRedaction();
  out(`  toolwatch ${r.oursMBps.toFixed(1)} MB/s, secretlint ${r.secretlintMBps.toFixed(1)} MB/s, ratio ${r.ratio.toFixed(1)}× (${(r.corpusBytes / 1e6).toFixed(1)} MB)`);
  return 0;
}
