import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClickHouseStore, DetectorService, parseDetectorConfig } from '@toolwatch/detector';
import type { AlertRecord, SpanRecord } from '@toolwatch/schemas';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedQueue } from '../src/embedded-queue.js';
import { spanRecord } from './support/span-factory.js';

const T0 = 1_763_700_000_000;
const config = parseDetectorConfig({ clickhouse: { dataDir: mkdtempSync(join(tmpdir(), 'tw-scores-')) } });
const SEED = { days: 100_000, maxSpans: 100_000 }; // the test's spans are from 2025

/** A benign session: a tools/list, varied calls seconds apart, its end. */
function benign(key: string, start: number): SpanRecord[] {
  const spans = [spanRecord({ session: key, client: 'assistant', method: 'tools/list', timeMs: start, advertised: ['search', 'read', 'list'] })];
  for (let i = 0; i < 6; i++) spans.push(spanRecord({ session: key, client: 'assistant', tool: ['search', 'read', 'list'][i % 3], argsHash: `${key}-${i}`, responseBytes: 1_800, timeMs: start + (i + 1) * 3_000 }));
  spans.push(spanRecord({ session: key, client: 'assistant', sessionEnd: true, timeMs: start + 30_000 }));
  return spans;
}

const loop = (key: string, start: number, n: number) => [
  ...Array.from({ length: n }, (_, i) => spanRecord({ session: key, client: 'assistant', tool: 'search', argsHash: 'same', timeMs: start + i * 5_000 })),
  spanRecord({ session: key, client: 'assistant', sessionEnd: true, timeMs: start + n * 5_000 }),
];

/** Runs a detector service over `spans` on the shared store, as one process would. */
async function run(store: ClickHouseStore, spans: SpanRecord[], seed: typeof SEED | false): Promise<AlertRecord[]> {
  const queue = new EmbeddedQueue({ retryDelayMs: 10 });
  const raised: AlertRecord[] = [];
  const service = new DetectorService({ source: queue, store, rules: config.rules, seed, onAlert: (a) => raised.push(a) });
  await service.start();
  await queue.send(spans.map((s) => ({ key: s.SpanAttributes['toolwatch.session.key']!, value: JSON.stringify(s) })));
  await queue.idle();
  await service.stop();
  return raised;
}

describe('the detector service: session scores, and baselines seeded from history after a restart', () => {
  let store: ClickHouseStore;
  beforeAll(async () => {
    store = await ClickHouseStore.open(config.clickhouse);
  });
  afterAll(async () => store?.close());

  it('writes one score per session, quiet ones included, and the risk of the one that looped', async () => {
    const history = Array.from({ length: 30 }, (_, n) => benign(`h${n}`, T0 + n * 120_000)).flat();
    const raised = await run(store, [...history, ...loop('looped', T0 + 5_000_000, 12)], SEED);
    expect(raised.filter((a) => a.status === 'open').map((a) => a.rule)).toEqual(['rate.identical_calls']);
    const scores = await store.query<{ SessionKey: string; Score: number; Ended: boolean; Rules: string[] }>(
      'SELECT SessionKey, Score, Ended, Rules FROM toolwatch_session_scores FINAL ORDER BY SessionKey',
    );
    expect(scores).toHaveLength(31);
    expect(scores.every((s) => s.Ended)).toBe(true);
    const looped = scores.find((s) => s.SessionKey === 'looped')!;
    expect(looped.Rules).toEqual(['rate.identical_calls']);
    expect(looped.Score).toBe(raised.at(-1)!.sessionScore);
    expect(looped.Score).toBeGreaterThan(80);
    expect(scores.filter((s) => s.SessionKey !== 'looped').every((s) => s.Score === 0)).toBe(true);
  });

  it('judges from its first span after a restart when seeded from the stored spans, and only then', async () => {
    // A loop of 6, under the SAFE-MCP hard limit of 10: only a learned baseline catches it.
    const cold = await run(store, loop('after-restart-cold', T0 + 9_000_000, 6), false);
    expect(cold).toEqual([]);
    const seeded = await run(store, loop('after-restart-seeded', T0 + 9_500_000, 6), SEED);
    expect(seeded.filter((a) => a.status === 'open').map((a) => [a.rule, a.evidence.observed])).toEqual([['rate.identical_calls', 3]]);
  });

  it('dead-letters a span from more than a day ahead instead of letting it end every session', async () => {
    const queue = new EmbeddedQueue({ retryDelayMs: 10 });
    const raised: AlertRecord[] = [];
    const service = new DetectorService({ source: queue, store, rules: config.rules, seed: false, onAlert: (a) => raised.push(a) });
    await service.start();
    const ahead = spanRecord({ session: 'from-the-future', client: 'assistant', tool: 'search', timeMs: Date.now() + 2 * 86_400_000 });
    const spans = [ahead, ...loop('after-the-future', T0 + 20_000_000, 12)];
    await queue.send(spans.map((s) => ({ key: s.SpanAttributes['toolwatch.session.key']!, value: JSON.stringify(s) })));
    await queue.idle();
    await service.stop();
    expect(queue.deadLetters.map((d) => d.reason)).toEqual(['Timestamp more than a day ahead of this clock']);
    // The loop after it is still one session, and still caught (at the hard limit: no history here).
    expect(raised.filter((a) => a.status === 'open').map((a) => [a.sessionKey, a.rule])).toEqual([['after-the-future', 'rate.identical_calls']]);
  });
});
