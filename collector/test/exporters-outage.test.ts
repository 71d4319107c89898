import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKafkaMock, type KafkaMock } from '../../test/support/kafka-mock.js';
import { readTopic, uniqueTopic } from '../../test/support/kafka-topic.js';
import { MemoryRecordTransport } from '../../test/support/memory-transport.js';
import { FanOutExporter } from '../src/exporters/fan-out.js';
import { exporterFromEnv } from '../src/exporters/from-env.js';
import { KafkaTransport } from '../src/exporters/kafka.js';
import { SpanRecordExporter } from '../src/exporters/span-record-exporter.js';
import { SpoolingTransport } from '../src/exporters/spooling-transport.js';
import { connectInstrumented, instrumentation, tempDir } from './exporters-support.js';

const FREEZE_MS = 30_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Calls `echo` in a loop until `until()` says stop; every latency in ms. */
async function callLoop(client: Client, until: () => boolean, latencies: number[]): Promise<void> {
  let i = 0;
  while (!until()) {
    const started = performance.now();
    const result = await client.callTool({ name: 'echo', arguments: { text: `call ${i++}` } });
    latencies.push(performance.now() - started);
    if (result.isError) throw new Error('echo failed');
    // The librdkafka mock keeps only about 5 MB per partition and silently drops the oldest
    // records: this pace keeps the test's spans well inside that, spool replays included.
    await sleep(25);
  }
}

const stats = (ms: number[]) => {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!.toFixed(2);
  return `n=${ms.length} p50=${at(0.5)} ms p99=${at(0.99)} ms max=${sorted.at(-1)!.toFixed(2)} ms`;
};

async function messagesOn(brokers: string[], topic: string): Promise<number> {
  const admin = new Kafka({ clientId: 'toolwatch-test', brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
  } finally {
    await admin.disconnect();
  }
}

describe('Kafka export through a broker outage', () => {
  // A cluster of our own: freezing the shared one would stall every other test file.
  let kafka: KafkaMock;
  beforeAll(async () => {
    kafka = await startKafkaMock();
  });
  afterAll(async () => kafka?.stop());

  it('loses no span and holds no call while the brokers are frozen for 30 s', { timeout: 90_000 }, async () => {
    const topic = uniqueTopic('outage');
    try {
      const exporter = exporterFromEnv({
        TOOLWATCH_KAFKA_BROKERS: kafka.brokers.join(','),
        TOOLWATCH_KAFKA_TOPIC: topic,
        TOOLWATCH_SPOOL_DIR: tempDir('outage-spool'),
      });
      expect(exporter).toBeInstanceOf(SpanRecordExporter);
      const spooling = (exporter as SpanRecordExporter).transport;
      if (!(spooling instanceof SpoolingTransport)) throw new Error('the kafka exporter does not spool');
      // What the instrumentation produced, to compare the topic against.
      const produced = new MemoryRecordTransport();
      const pipeline = instrumentation(new FanOutExporter([exporter, new SpanRecordExporter(produced)]));
      const clients = [await connectInstrumented(pipeline, 'agent-a'), await connectInstrumented(pipeline, 'agent-b')];

      const before: number[] = [];
      const during: number[] = [];
      const after: number[] = [];
      const phase = async (ms: number, latencies: number[]) => {
        const end = Date.now() + ms;
        await Promise.all(clients.map((c) => callLoop(c, () => Date.now() >= end, latencies)));
      };
      await phase(5000, before);
      await pipeline.forceFlush();
      expect(spooling.stats.spooled).toBe(0); // brokers up: nothing touched the disk

      kafka.pause();
      try {
        await phase(FREEZE_MS, during);
      } finally {
        kafka.resume();
      }
      const spooledDuringFreeze = spooling.stats.spooled;
      await phase(3000, after);
      await pipeline.forceFlush();
      const drainStarted = Date.now();
      await Promise.race([spooling.whenIdle(), sleep(40_000)]);
      const drainMs = Date.now() - drainStarted;

      const calls = before.length + during.length + after.length;
      const expected = produced.records();
      const expectedIds = expected.map((r) => r.SpanId);
      expect(expected.filter((r) => r.SpanName === 'tools/call echo')).toHaveLength(calls);

      const total = await messagesOn(kafka.brokers, topic);
      const messages = await readTopic(kafka.brokers, topic, total);
      const onTopic = messages.map((m) => JSON.parse(m.value) as { SpanId: string; SpanAttributes: Record<string, string> });
      const delivered = new Set(onTopic.map((r) => r.SpanId));

      console.log(
        [
          `outage test: ${calls} calls, ${expectedIds.length} spans produced, ${delivered.size} distinct delivered, ${total - delivered.size} duplicates`,
          `  before freeze: ${stats(before)}`,
          `  during ${FREEZE_MS / 1000} s freeze: ${stats(during)}`,
          `  after resume: ${stats(after)}`,
          `  transport: ${JSON.stringify(spooling.stats)}; spooled during freeze ${spooledDuringFreeze}; drained ${drainMs} ms after the last call`,
        ].join('\n'),
      );

      // Every call during the freeze completed, none held: a hang would show as seconds.
      expect(during.length).toBeGreaterThan(100);
      expect(Math.max(...before, ...during, ...after)).toBeLessThan(2000);
      // Every span reached the topic, and nothing else did.
      expect(expectedIds.filter((id) => !delivered.has(id))).toEqual([]);
      expect(delivered.size).toBe(new Set(expectedIds).size);
      // In order within a session (one session, one partition): first arrivals follow production.
      for (const key of new Set(expected.map((r) => r.SpanAttributes['toolwatch.session.key']))) {
        const inSession = (rs: typeof onTopic) => [...new Set(rs.filter((r) => r.SpanAttributes['toolwatch.session.key'] === key).map((r) => r.SpanId))];
        expect(inSession(onTopic)).toEqual(inSession(expected));
      }
      // The outage was real: the spool took records and delivered them, and nothing was lost.
      expect(spooledDuringFreeze).toBeGreaterThan(0);
      expect(spooling.stats.replayed).toBeGreaterThan(0);
      expect(spooling.stats.dropped).toEqual({ spool_full: 0, corrupt: 0, memory_full: 0, closed: 0 });
      expect(spooling.backlog).toEqual({ memoryRecords: 0, spoolBytes: 0 });

      await Promise.all(clients.map((c) => c.close()));
      await pipeline.shutdown();
    } finally {
      kafka.resume();
    }
  });

  it('a frozen broker fails a Kafka send in seconds, is not sent data again until it answers, and the transport recovers', { timeout: 60_000 }, async () => {
    const topic = uniqueTopic('frozen');
    const record = (value: string) => [{ key: 'k', value }];
    const transport = new KafkaTransport({ brokers: kafka.brokers, topic, retries: 0, maxInFlightSends: 2 });
    await transport.send(record('before'));
    kafka.pause();
    // SIGSTOP lands asynchronously: a request already on the wire could still be answered.
    await sleep(300);
    try {
      const started = Date.now();
      const settled = (p: Promise<void>) => p.then(() => 'delivered', () => Date.now() - started);
      const frozen = [settled(transport.send(record('frozen-1'))), settled(transport.send(record('frozen-2')))];
      // Past the cap a send is refused at once, not queued behind the frozen ones.
      await expect(transport.send(record('over-the-cap'))).rejects.toThrow(/in flight/);
      const times = await Promise.all(frozen);
      console.log(`frozen broker: sends failed after ${times.join(' and ')} ms`);
      for (const ms of times) expect(ms).toBeLessThan(15_000); // kafkajs's defaults: minutes
      // The broker has not answered since: the next send asks first, and sends no data.
      await expect(transport.send(record('while-frozen'))).rejects.toThrow();
    } finally {
      kafka.resume();
    }
    await transport.send(record('after'));
    await transport.close();

    const values = (await readTopic(kafka.brokers, topic, await messagesOn(kafka.brokers, topic))).map((m) => m.value);
    expect(values).toContain('before');
    expect(values).toContain('after');
    expect(values).not.toContain('over-the-cap');
    // What a frozen broker buffers it writes when it wakes; the probe kept this one out.
    expect(values).not.toContain('while-frozen');
  });
});
