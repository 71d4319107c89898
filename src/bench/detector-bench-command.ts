import { parseArgs } from 'node:util';
import { benchDetector, type CpuFigures, DEFAULT_PRODUCER_BATCH, type DetectorBenchResult } from './detector-bench.js';

export const DETECTOR_BENCH_HELP = `Usage: toolwatch bench detector [--spans <n>] [--e2e-spans <n>] [--brokers <list>] [--producer-batch <n>]

Measures, in one process:
  (a) scored spans per second on one core: decode (JSON.parse and the zod span record
      parse) and score, no I/O, over a generated mix of benign and hostile sessions;
  (b) end to end: span records produced to a Kafka topic (from a worker thread, kept a
      bounded distance ahead) and the detector service (KafkaSpanSource, DetectionEngine,
      ClickHouseStore on chDB in a temp directory), timed from the detector's start until
      every span is in otel_traces.
Kafka is kcat's mock cluster on loopback unless --brokers names a cluster.
Targets (issue 4): (a) 100,000 spans/s, (b) 30,000 spans/s. Figures on stdout.

Options:
  --spans <n>        spans scored in (a) (default 250000)
  --e2e-spans <n>    spans sent through (b); 0 skips it (default 200000)
  --brokers <list>   comma-separated Kafka brokers for (b)
  --producer-batch <n>  spans per producer send in (b) (default ${DEFAULT_PRODUCER_BATCH}); the mock
                     cluster returns one record batch per partition and fetch, so there
                     this sets the detector's batch size (spread over 4 partitions)
  -h, --help         this text
`;

const n = (x: number) => Math.round(x).toLocaleString('en-US');

export function formatDetectorBench(r: DetectorBenchResult): string[] {
  const s = r.score;
  const out = [
    `node ${r.node}, one process`,
    '',
    `(a) decode + score, one core, ${n(s.spans)} spans (${(s.bytes / 1e6).toFixed(1)} MB of JSON), no I/O:`,
    `    ${n(s.spansPerSecond)} spans/s, median of 3 passes (${s.passes.map(n).join(', ')})   (target 100,000: ${s.spansPerSecond >= 100_000 ? 'met' : 'NOT met'})`,
    `    apart: decode ${n(s.decodePerSecond)} spans/s, score ${n(s.scorePerSecond)} spans/s`,
    `    alerts: ${n(s.alerts)} (${Object.entries(s.alertsByRule).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'})`,
  ];
  const e = r.endToEnd;
  if (e) {
    const pct = (x: number) => `${((x / e.seconds) * 100).toFixed(0)}%`;
    out.push(
      '',
      `(b) Kafka → detector → ClickHouse (chDB), ${n(e.spans)} spans on ${e.partitions} partitions:`,
      `    ${n(e.spansPerSecond)} spans/s over ${e.seconds.toFixed(1)} s   (target 30,000: ${e.spansPerSecond >= 30_000 ? 'met' : 'NOT met'}); ${n(e.stored)} rows in otel_traces`,
      `    after the consumer joined its group (${e.joinSeconds.toFixed(1)} s): ${n(e.steadySpansPerSecond)} spans/s`,
      `    producer: a worker thread, ${n(e.producerBatch)} spans per send, at most ${n(e.maxAhead)} spans ahead of the detector`,
      `    ${n(e.batches)} batches, mean ${n(e.meanBatch)} spans, max ${n(e.maxBatch)}`,
      // Batches of several partitions are handled at once, each until its insert is done:
      // their handling times overlap, the inserts (one at a time) do not.
      `    time: span inserts ${e.writeSpansSeconds.toFixed(1)} s (${pct(e.writeSpansSeconds)} of the run), alert inserts ${e.writeAlertsSeconds.toFixed(2)} s; batch handling, summed over batches in flight together, ${e.handleSeconds.toFixed(1)} s`,
      `    span record → JSONEachRow row + JSON.stringify alone: ${n(e.rowConvertPerSecond)} rows/s`,
      cpuLine(e.cpu),
      `    so ${e.cpu.cores} cores, every one busy all the time, would pass at most ${n((e.cpu.cores * 1e6) / (e.cpu.process + (e.cpu.kafkaMock ?? 0)))} spans/s here`,
    );
  }
  return out;
}

function cpuLine(c: CpuFigures): string {
  const us = (x: number) => `${x.toFixed(1)} µs`;
  const mock = c.kafkaMock === undefined ? '' : `; the mock Kafka cluster ${us(c.kafkaMock)}`;
  return `    CPU per span: ${us(c.process)} in this process (detector thread ${us(c.mainThread)}, producer thread ${us(c.producerThread)}, chDB and other threads ${us(c.other)})${mock}`;
}

export async function detectorBenchCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { spans: { type: 'string' }, 'e2e-spans': { type: 'string' }, brokers: { type: 'string' }, 'producer-batch': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    process.stdout.write(DETECTOR_BENCH_HELP);
    return 0;
  }
  const count = (flag: string, text: string | undefined, fallback: number, min: number) => {
    const v = text === undefined ? fallback : Number(text);
    if (!Number.isInteger(v) || v < min) throw Object.assign(new Error(`${flag}: expected an integer ≥ ${min}, got "${text}"`), { code: 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' });
    return v;
  };
  const spans = count('--spans', values.spans, 250_000, 1_000);
  const endToEndSpans = count('--e2e-spans', values['e2e-spans'], 200_000, 0);
  const producerBatch = count('--producer-batch', values['producer-batch'], DEFAULT_PRODUCER_BATCH, 1);
  const brokers = values.brokers?.split(',').map((b) => b.trim()).filter(Boolean);
  const progress = (label: string, done: number) => {
    if (!process.stderr.isTTY) return;
    const width = 30;
    const filled = Math.round(Math.min(1, done) * width);
    process.stderr.write(`\r  ${label.padEnd(40)} [${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${Math.round(done * 100)}%${done >= 1 ? '\n' : ''}`);
  };
  const result = await benchDetector({ spans, endToEndSpans, brokers, producerBatch, progress });
  for (const line of formatDetectorBench(result)) process.stdout.write(`${line}\n`);
  return 0;
}
