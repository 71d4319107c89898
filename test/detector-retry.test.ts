import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClickHouseStore, DetectorService, parseDetectorConfig } from '@toolwatch/detector';
import type { AlertRecord } from '@toolwatch/schemas';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedQueue } from '../src/embedded-queue.js';
import { spanRecord } from './support/span-factory.js';

describe('detector when ClickHouse fails a write', () => {
  const config = parseDetectorConfig({ clickhouse: { dataDir: mkdtempSync(join(tmpdir(), 'tw-retry-')) }, rules: { egress: { maxSessionBytes: 1_000_000 } } });
  let store: ClickHouseStore;
  let failures = 0;
  beforeAll(async () => {
    store = await ClickHouseStore.open(config.clickhouse);
    const writeSpans = store.writeSpans.bind(store);
    store.writeSpans = async (records, token) => {
      if (failures-- > 0) throw new Error('ClickHouse unavailable');
      return writeSpans(records, token);
    };
  });
  afterAll(async () => store?.close());

  // Two attempts per insert: one failure is retried in place, three send the batch back.
  it.each([
    { failed: 1, session: 'retried-in-place' },
    { failed: 3, session: 'handed-back' },
  ])('writes the alert of a batch whose write failed $failed time(s), once, and every span once', async ({ failed, session }) => {
    failures = failed;
    const queue = new EmbeddedQueue({ retryDelayMs: 10 });
    const raised: AlertRecord[] = [];
    const write = { attempts: 2, retryDelayMs: 10 };
    const service = new DetectorService({ source: queue, store, rules: config.rules, write, onAlert: (a) => raised.push(a) });
    await service.start();

    const big = spanRecord({ session, tool: 'read', responseBytes: 5_000_000, timeMs: 1_763_700_000_000 });
    await queue.send([{ key: session, value: JSON.stringify(big) }]);
    await queue.idle();

    expect(failures).toBeLessThan(0); // every planned failure happened
    expect(raised.map((a) => a.rule)).toEqual(['egress.session_bytes']);
    const rows = await store.query<{ Id: string }>('SELECT Id FROM toolwatch_alerts WHERE SessionKey = {session:String}', { session });
    expect(rows.map((r) => r.Id)).toEqual([raised[0]!.id]);
    const spans = await store.query<{ n: string }>('SELECT count() AS n FROM otel_traces WHERE SpanId = {id:String}', { id: big.SpanId });
    expect(Number(spans[0]!.n)).toBe(1);
    // The session's score changed with its alert: that row waits for a write as the alert does.
    const scores = await store.query<{ Score: number }>('SELECT Score FROM toolwatch_session_scores FINAL WHERE SessionKey = {session:String}', { session });
    expect(scores.map((r) => r.Score)).toEqual([raised[0]!.sessionScore]);
    await service.stop();
  });
});
