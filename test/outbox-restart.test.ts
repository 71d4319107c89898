import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClickHouseStore, createSinks, DetectorService, KafkaSpanSource, parseDetectorConfig } from '@toolwatch/detector';
import type { AlertRecord } from '@toolwatch/schemas';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { uniqueTopic } from './support/kafka-topic.js';
import { partitionedCorpus, produceKeyed } from './support/partitioned-corpus.js';
import { startOcsfCollector, startPagerDuty, startSplunkHec } from './support/siem-receivers.js';
import { startWebhookReceiver, waitFor } from './support/webhook-receiver.js';

/** What one receiver got: each alert revision as `<id>.<revision>`, in arrival order. */
type Arrivals = () => string[];

describe('alert delivery through a SIEM outage and a detector restart', () => {
  const brokers = inject('kafkaBrokers');
  const topic = uniqueTopic('outbox');
  const dataDir = mkdtempSync(join(tmpdir(), 'tw-outbox-restart-'));
  const kafka = new Kafka({ clientId: 'toolwatch-test', brokers, logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  const services: DetectorService[] = [];
  const cleanup: (() => Promise<void>)[] = [];
  let store: ClickHouseStore | undefined;

  afterAll(async () => {
    for (const s of services) await s.stop(500).catch(() => {});
    for (const c of cleanup) await c().catch(() => {});
    await producer.disconnect();
    await store?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('every alert reaches every sink exactly once per id, in order per session', async () => {
    const hook = await startWebhookReceiver();
    const hecToken = randomBytes(16).toString('hex');
    const hec = await startSplunkHec({ token: hecToken });
    const pd = await startPagerDuty();
    const ocsfToken = randomBytes(16).toString('hex');
    const ocsf = await startOcsfCollector({ token: ocsfToken });
    const receivers = [hook, hec, pd, ocsf];
    cleanup.push(...receivers.map((r) => r.stop));

    const config = parseDetectorConfig({
      kafka: { brokers, topic, groupId: `detector-${topic}` },
      clickhouse: { dataDir },
      sinks: [
        { type: 'webhook', url: hook.url, secret: hook.secret },
        { type: 'splunk-hec', url: hec.origin, token: hecToken },
        { type: 'pagerduty', routingKey: randomBytes(16).toString('hex'), url: pd.url },
        { type: 'ocsf', url: ocsf.url, headers: { authorization: `Bearer ${ocsfToken}` } },
      ],
    });
    // Each receiver's arrivals, named as the alert's id and revision (PagerDuty's resolve
    // carries only the dedup key: the close is the alert's last revision).
    const arrivals: Record<string, Arrivals> = {
      webhook: () => hook.received.filter((r) => r.verified).map((r) => JSON.parse(r.body) as { data: AlertRecord }).map(({ data }) => `${data.id}.${data.revision}`),
      splunk: () => hec.accepted.map((e) => `${e.fields!.alert_id}.${e.fields!.revision}`),
      pagerduty: () => pd.accepted.map((e) => `${e.dedup_key}.${'payload' in e ? (e.payload.custom_details as { revision: number }).revision : 'closed'}`),
      ocsf: () => ocsf.accepted.map((f) => `${f.finding_info.uid}.${(f.unmapped as { toolwatch: { revision: number } }).toolwatch.revision}`),
    };

    // The alerts every sink must get: what one engine per partition that never stops raises.
    const { keyed, expected } = partitionedCorpus({ benign: 50, hostile: 40, seed: 23 }, config.rules);

    store = await ClickHouseStore.open(config.clickhouse);
    const logs: string[] = [];
    const start = async () => {
      const source = new KafkaSpanSource(config.kafka!, undefined, { sessionTimeout: 6_000, heartbeatInterval: 500 });
      const service = new DetectorService({
        source,
        store: store!,
        rules: config.rules,
        sinks: createSinks(config),
        state: { saveEveryBatches: 3, saveEveryMs: 1_000 },
        delivery: { retryDelaysMs: [50, 100, 200, ...Array<number>(40).fill(250)] },
        log: (level, message) => logs.push(`${level} ${message}`),
      });
      services.push(service);
      await service.start();
      return { source, service };
    };
    const produce = (slice: typeof keyed) => produceKeyed(producer, topic, slice);
    const third = Math.ceil(keyed.length / 3);
    await producer.connect();

    // 1. Everything up: the first third is scored, stored and delivered.
    const first = await start();
    await produce(keyed.slice(0, third));
    await first.source.idle(60_000);
    await Promise.all(first.service.deliveries.map((q) => q.drain(30_000)));
    const before = Object.fromEntries(Object.entries(arrivals).map(([name, got]) => [name, got().length]));
    expect(Object.values(before).every((n) => n > 0)).toBe(true);

    // 2. The SIEMs go away; the second third is scored and stored, its alerts wait.
    for (const r of receivers) await r.down();
    await produce(keyed.slice(third, 2 * third));
    await first.source.idle(60_000);
    const [waiting] = await store.query<{ n: string }>(
      `SELECT count() AS n FROM (SELECT Sink, AlertId, Revision FROM toolwatch_outbox GROUP BY ALL)
       WHERE (Sink, AlertId, Revision) NOT IN (SELECT Sink, AlertId, Revision FROM toolwatch_outbox_acks)`,
    );
    expect(Number(waiting!.n)).toBeGreaterThan(0);

    // 3. The detector dies (no state saved, nothing drained) and a new one takes over
    // while the SIEMs are still away; then the last third.
    await first.service.kill();
    const second = await start();
    await produce(keyed.slice(2 * third));
    await second.source.idle(60_000);

    // 4. The SIEMs come back.
    for (const r of receivers) await r.up();
    const want = expected.map((a) => `${a.id}.${a.revision}`);
    const wantPd = expected.map((a) => `${a.id}.${a.status === 'closed' ? 'closed' : a.revision}`);
    for (const [name, got] of Object.entries(arrivals)) {
      await waitFor(() => got().length >= want.length, 60_000, `${name}: ${want.length} alerts (has ${got().length})`);
    }
    await Promise.all(second.service.deliveries.map((q) => q.drain(10_000)));

    for (const r of [hec, pd, ocsf]) expect(r.rejected).toEqual([]);
    expect(hook.received.every((r) => r.verified)).toBe(true);
    const session = new Map(expected.map((a) => [a.id, a.sessionKey]));
    const bySession = (keys: string[]) => {
      const out = new Map<string, string[]>();
      for (const k of keys) {
        const s = session.get(k.slice(0, k.indexOf('.')))!;
        out.set(s, [...(out.get(s) ?? []), k]);
      }
      return out;
    };
    for (const [name, got] of Object.entries(arrivals)) {
      const expectedKeys = name === 'pagerduty' ? wantPd : want;
      // Exactly once per id: the same revisions, none twice.
      expect([...got()].sort(), name).toEqual([...expectedKeys].sort());
      // In order per session: each session's revisions as its engine raised them.
      expect(bySession(got()), name).toEqual(bySession(expectedKeys));
    }
    expect(second.service.stats.replayed + second.service.stats.consumed).toBeGreaterThan(0);
    expect(logs.some((l) => /unreachable/.test(l))).toBe(true); // the outage was met
    expect(want.length).toBeGreaterThan(40);
  }, 240_000);
});
