import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClickHouseStore, DetectorService, parseDetectorConfig } from '@toolwatch/detector';
import type { AlertRecord } from '@toolwatch/schemas';
import { afterAll, describe, expect, it } from 'vitest';
import { EmbeddedQueue } from '../src/embedded-queue.js';
import { spanRecord } from './support/span-factory.js';

describe('detector when ClickHouse fails a write', () => {
  const config = parseDetectorConfig({ clickhouse: { dataDir: mkdtempSync(join(tmpdir(), 'tw-retry-')) }, rules: { egress: { maxSessionBytes: 1_000_000 } } });
  let store: ClickHouseStore;
  afterAll(async () => store?.close());

  it('writes the alert of a batch that had to be retried, once, and every span once', async () => {
    store = await ClickHouseStore.open(config.clickhouse);
    const writeSpans = store.writeSpans.bind(store);
    let failures = 1;
    store.writeSpans = async (records, token) => {
      if (failures-- > 0) throw new Error('ClickHouse unavailable');
      return writeSpans(records, token);
    };
    const queue = new EmbeddedQueue({ retryDelayMs: 10 });
    const raised: AlertRecord[] = [];
    const logs: string[] = [];
    const service = new DetectorService({ source: queue, store, rules: config.rules, onAlert: (a) => raised.push(a), log: (_l, m) => logs.push(m) });
    await service.start();

    const big = spanRecord({ session: 'exfil', tool: 'read', responseBytes: 5_000_000, timeMs: 1_763_700_000_000 });
    await queue.send([{ key: 'exfil', value: JSON.stringify(big) }]);
    await queue.idle();

    expect(raised.map((a) => a.rule)).toEqual(['egress.session_bytes']);
    const rows = await store.query<{ Id: string }>('SELECT Id FROM toolwatch_alerts');
    expect(rows.map((r) => r.Id)).toEqual([raised[0]!.id]);
    const spans = await store.query<{ n: string }>('SELECT count() AS n FROM otel_traces');
    expect(Number(spans[0]!.n)).toBe(1);
    await service.stop();
  });
});
