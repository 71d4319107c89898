import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClickHouseStore, DetectionEngine, DetectorService, KafkaSpanSource, parseDetectorConfig, RulesConfig, type SpanSource } from '@toolwatch/detector';
import { decodeSpanRecord, Toolwatch, toSpanRow, type SpanRecord } from '@toolwatch/schemas';
import { Kafka, logLevel } from 'kafkajs';
import { generateCorpus } from './detector-bench-corpus.js';
import { startMockKafka } from './detector-bench-kafka.js';
import { BenchProducer } from './detector-bench-producer.js';

export interface DetectorBenchOptions {
  /** Spans scored in (a), decode and score on one core. */
  spans?: number;
  /** Spans sent through Kafka → detector → ClickHouse in (b); 0 skips it. */
  endToEndSpans?: number;
  /** A Kafka cluster for (b); without it, kcat's mock cluster on loopback. */
  brokers?: string[];
  /** Spans per producer send in (b). The mock cluster answers a fetch with one record
   * batch per partition, so this also sets the detector's batch size there. */
  producerBatch?: number;
  progress?: (label: string, done: number) => void;
  /** Warnings of the Kafka client and the detector service during (b). */
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

export interface ScoreFigures {
  spans: number;
  bytes: number;
  /** Decode (JSON.parse and the zod SpanRecord parse) and score, span by span: the
   * median of three passes, each with a fresh engine. */
  spansPerSecond: number;
  passes: number[];
  /** The same two steps timed apart, each over the whole corpus. */
  decodePerSecond: number;
  scorePerSecond: number;
  alerts: number;
  alertsByRule: Record<string, number>;
}

export interface EndToEndFigures {
  spans: number;
  partitions: number;
  /** The producer (a worker thread) stays at most this many spans ahead of the detector. */
  maxAhead: number;
  producerBatch: number;
  /** From the detector's start until every span was written to otel_traces. */
  seconds: number;
  spansPerSecond: number;
  /** Until the first batch: the consumer joining its group; then the steady rate. */
  joinSeconds: number;
  steadySpansPerSecond: number;
  stored: number;
  batches: number;
  meanBatch: number;
  maxBatch: number;
  /** Where the time went, in seconds: batch handling (decode, score, writes) against the rest (Kafka fetches, idle). */
  handleSeconds: number;
  writeSpansSeconds: number;
  writeAlertsSeconds: number;
  /** span record → JSONEachRow row, measured apart on the same records. */
  rowConvertPerSecond: number;
  alerts: number;
  /** CPU time per span, in µs, over the steady part of the run (after the group join). */
  cpu: CpuFigures;
}

export interface CpuFigures {
  /** Every thread of this process: the detector's, chDB's and the producer's. */
  process: number;
  /** The detector's event loop busy (decode, score, encode, kafkajs). */
  mainThread: number;
  producerThread: number;
  /** The rest of the process: chDB's threads (parsing, compressing, merging) and libuv. */
  other: number;
  /** The mock Kafka cluster (kcat), another process; undefined with --brokers. */
  kafkaMock?: number;
  cores: number;
}

export interface DetectorBenchResult {
  node: string;
  score: ScoreFigures;
  endToEnd?: EndToEndFigures;
}

const now = () => performance.now();
const RULES = RulesConfig.parse({});

export async function benchDetector(options: DetectorBenchOptions = {}): Promise<DetectorBenchResult> {
  const progress = options.progress ?? (() => {});
  const spans = options.spans ?? 250_000;
  // Only the encoded values stay alive: a live heap of 250k parsed records would make
  // every major GC of the timed loop pay for objects a running detector never holds.
  const { values, keys } = encode(generateCorpus({ spans }));
  const score = benchScore(values, progress);
  const e2eSpans = Math.min(options.endToEndSpans ?? 200_000, spans);
  const endToEnd = e2eSpans > 0 ? await benchEndToEnd(values.slice(0, e2eSpans), keys.slice(0, e2eSpans), options, progress) : undefined;
  return { node: process.version, score, endToEnd };
}

function encode(records: SpanRecord[]): { values: Buffer[]; keys: string[] } {
  return {
    values: records.map((r) => Buffer.from(JSON.stringify(r))),
    keys: records.map((r) => r.SpanAttributes[Toolwatch.SESSION_KEY]!),
  };
}

function benchScore(values: Buffer[], progress: (label: string, done: number) => void): ScoreFigures {
  // Warm the JIT on a slice, with an engine of its own, before anything is timed.
  scorePass(values.slice(0, 30_000), () => {});
  // A shared machine is noisy: three passes, each with a fresh engine, the median counts.
  const passes = [1, 2, 3].map((round) => scorePass(values, (done) => progress(`score: decode and score, pass ${round}/3`, done)));
  const median = [...passes].sort((a, b) => a.seconds - b.seconds)[1]!;

  const t1 = now();
  for (const v of values) decodeSpanRecord(v);
  const decodeSeconds = (now() - t1) / 1000;
  const decoded: SpanRecord[] = values.map((v) => (decodeSpanRecord(v) as { value: SpanRecord }).value);
  const apart = new DetectionEngine(RULES);
  const t2 = now();
  for (const r of decoded) apart.process(r);
  const scoreSeconds = (now() - t2) / 1000;

  return {
    spans: values.length,
    bytes: values.reduce((n, v) => n + v.length, 0),
    spansPerSecond: values.length / median.seconds,
    passes: passes.map((p) => values.length / p.seconds),
    decodePerSecond: values.length / decodeSeconds,
    scorePerSecond: values.length / scoreSeconds,
    alerts: median.alerts,
    alertsByRule: median.alertsByRule,
  };
}

function scorePass(values: Buffer[], progress: (done: number) => void) {
  const engine = new DetectionEngine(RULES);
  const alertsByRule: Record<string, number> = {};
  let alerts = 0;
  const t0 = now();
  for (let i = 0; i < values.length; i++) {
    const d = decodeSpanRecord(values[i]!);
    if (!d.ok) throw new Error(`corpus record ${i} does not decode: ${d.reason}`);
    for (const a of engine.process(d.value)) {
      if (a.status !== 'open') continue; // updates and closes of alerts counted already
      alerts += 1;
      alertsByRule[a.rule] = (alertsByRule[a.rule] ?? 0) + 1;
    }
    if ((i & 0x3fff) === 0) progress(i / values.length);
  }
  const seconds = (now() - t0) / 1000;
  progress(1);
  return { seconds, alerts, alertsByRule: Object.fromEntries(Object.entries(alertsByRule).sort()) };
}

/** librdkafka's mock cluster keeps about 5 MB per partition and drops older messages: the
 * producer stays this many messages (about 3,000 per partition) ahead of the detector. */
const MOCK_MAX_AHEAD = 12_000;
export const DEFAULT_PRODUCER_BATCH = 6_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function benchEndToEnd(values: Buffer[], keys: string[], options: DetectorBenchOptions, progress: (label: string, done: number) => void): Promise<EndToEndFigures> {
  const { log } = options;
  const mock = options.brokers ? undefined : await startMockKafka();
  const brokers = options.brokers ?? mock!.brokers;
  const maxAhead = options.brokers ? 100_000 : MOCK_MAX_AHEAD;
  const CHUNK = Math.min(options.producerBatch ?? DEFAULT_PRODUCER_BATCH, maxAhead);
  const dataDir = mkdtempSync(join(tmpdir(), 'toolwatch-bench-chdb-'));
  const topic = `toolwatch.bench.${process.pid}.${Date.now()}`;
  const producer = new BenchProducer(brokers, topic);
  try {
    const config = parseDetectorConfig({
      kafka: { brokers, topic, groupId: `${topic}.detector`, deadLetterTopic: `${topic}.dead-letter` },
      clickhouse: { dataDir },
    });
    // The first chunk creates the topic, so the detector subscribes to one that exists.
    let sent = Math.min(CHUNK, values.length);
    producer.send(keys.slice(0, sent), values.slice(0, sent));
    await producer.ackedAtLeast(sent);

    const store = await ClickHouseStore.open(config.clickhouse);
    const timing = { writeSpans: 0, writeAlerts: 0, handle: 0, batches: 0, maxBatch: 0, firstBatch: 0 };
    const writeSpans = store.writeSpans.bind(store);
    const writeAlerts = store.writeAlerts.bind(store);
    store.writeSpans = async (r, token) => {
      const t = now();
      await writeSpans(r, token);
      timing.writeSpans += now() - t;
    };
    store.writeAlerts = async (a) => {
      const t = now();
      await writeAlerts(a);
      timing.writeAlerts += now() - t;
    };
    const kafka = new KafkaSpanSource(config.kafka!, log ? (line) => log('warn', line) : undefined);
    // Measures each batch the detector handles, and passes it on unchanged.
    const source: SpanSource = {
      name: kafka.name,
      start: (onBatch) =>
        kafka.start(async (batch) => {
          const t = now();
          timing.firstBatch ||= t;
          await onBatch(batch);
          timing.handle += now() - t;
          timing.batches += 1;
          timing.maxBatch = Math.max(timing.maxBatch, batch.messages.length);
        }),
      deadLetter: (b, m, r) => kafka.deadLetter(b, m, r),
      idle: (ms) => kafka.idle(ms),
      stop: () => kafka.stop(),
    };
    const service = new DetectorService({ source, store, rules: RULES, log });
    // CPU from the first batch on: the join's waiting is not work.
    let cpuFrom: (CpuMark & { spans: number }) | undefined;
    const cpuNow = (): CpuMark => ({ process: process.cpuUsage(), loop: performance.eventLoopUtilization(), producerMs: producer.busyMs(), mockMs: mock ? processCpuMs(mock.pid) : 0 });
    const label = 'end to end: Kafka → detector → chDB';
    progress(label, 0);
    const t0 = now();
    await service.start();
    const deadline = Date.now() + 15 * 60_000;
    while (service.stats.spansWritten < values.length) {
      while (sent < values.length && sent - service.stats.spansWritten < maxAhead) {
        const next = Math.min(sent + CHUNK, values.length);
        producer.send(keys.slice(sent, next), values.slice(sent, next));
        sent = next;
      }
      if (Date.now() > deadline) throw new Error(`only ${service.stats.spansWritten} of ${values.length} spans written after 15 minutes`);
      if (!cpuFrom && timing.firstBatch) cpuFrom = { ...cpuNow(), spans: service.stats.spansWritten };
      await sleep(10);
      progress(label, service.stats.spansWritten / values.length);
    }
    const seconds = (now() - t0) / 1000;
    const joinSeconds = (timing.firstBatch - t0) / 1000;
    const cpu = cpuFigures(cpuFrom!, cpuNow(), values.length - cpuFrom!.spans, mock !== undefined);
    progress(label, 1);
    const [count] = await store.query<{ n: string }>('SELECT count() AS n FROM otel_traces');
    await service.stop(1_000);
    await store.close();

    const sample = values.slice(0, 50_000).map((v) => (decodeSpanRecord(v) as { value: SpanRecord }).value);
    const t1 = now();
    for (const r of sample) JSON.stringify(toSpanRow(r));
    const rowConvertPerSecond = sample.length / ((now() - t1) / 1000);

    return {
      spans: values.length,
      partitions: await partitionsOf(brokers, topic),
      maxAhead,
      producerBatch: CHUNK,
      seconds,
      spansPerSecond: values.length / seconds,
      joinSeconds,
      steadySpansPerSecond: values.length / (seconds - joinSeconds),
      stored: Number(count?.n ?? 0),
      batches: timing.batches,
      meanBatch: values.length / Math.max(1, timing.batches),
      maxBatch: timing.maxBatch,
      handleSeconds: timing.handle / 1000,
      writeSpansSeconds: timing.writeSpans / 1000,
      writeAlertsSeconds: timing.writeAlerts / 1000,
      rowConvertPerSecond,
      alerts: service.stats.alerts,
      cpu,
    };
  } finally {
    await producer.close();
    await mock?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

type CpuMark = { process: NodeJS.CpuUsage; loop: ReturnType<typeof performance.eventLoopUtilization>; producerMs: number; mockMs: number };

function cpuFigures(from: CpuMark, to: CpuMark, spans: number, mocked: boolean): CpuFigures {
  const perSpan = (ms: number) => (ms * 1000) / Math.max(1, spans);
  const processMs = (to.process.user - from.process.user + to.process.system - from.process.system) / 1000;
  const mainMs = to.loop.active - from.loop.active;
  const producerMs = to.producerMs - from.producerMs;
  return {
    process: perSpan(processMs),
    mainThread: perSpan(mainMs),
    producerThread: perSpan(producerMs),
    other: perSpan(Math.max(0, processMs - mainMs - producerMs)),
    kafkaMock: mocked ? perSpan(to.mockMs - from.mockMs) : undefined,
    cores: availableParallelism(),
  };
}

/** User and system CPU time of another process, from /proc (Linux), in ms. */
function processCpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in clock ticks (100 Hz)
  } catch {
    return 0;
  }
}

async function partitionsOf(brokers: string[], topic: string): Promise<number> {
  const admin = new Kafka({ clientId: 'toolwatch-bench', brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).length;
  } finally {
    await admin.disconnect();
  }
}
