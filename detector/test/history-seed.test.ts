import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClickHouseStore, DetectionEngine, ENGINE_STATE_VERSION, parseDetectorConfig, seedFromHistory } from '@toolwatch/detector';
import type { SpanRecord } from '@toolwatch/schemas';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spanRecord } from '../../test/support/span-factory.js';

const T0 = 1_763_700_000_000;
const config = parseDetectorConfig({ clickhouse: { dataDir: mkdtempSync(join(tmpdir(), 'tw-seed-')) } });
const rules = config.rules;

/** Benign history: 40 sessions of varied calls a few seconds apart, each ended. */
function history(): SpanRecord[] {
  const spans: SpanRecord[] = [];
  for (let n = 0; n < 40; n++) {
    const start = T0 + n * 120_000;
    const session = `h${n}`;
    spans.push(spanRecord({ session, client: 'assistant', method: 'tools/list', timeMs: start, advertised: ['search', 'read', 'list'] }));
    for (let i = 0; i < 5 + (n % 4); i++) {
      const tool = ['search', 'read', 'list'][i % 3]!;
      spans.push(spanRecord({ session, client: 'assistant', tool, argsHash: `${session}-${i}`, responseBytes: 1_500 + 100 * (i % 5), timeMs: start + (i + 1) * 3_000 }));
    }
    spans.push(spanRecord({ session, client: 'assistant', sessionEnd: true, timeMs: start + 40_000 }));
  }
  return spans;
}

/** In the order the stream delivers: by span end (the factory's spans all last as long). */
const byEnd = (spans: SpanRecord[]) => [...spans].sort((a, b) => Number(BigInt(a.Timestamp) + BigInt(a.Duration) - (BigInt(b.Timestamp) + BigInt(b.Duration))) || (a.SpanId < b.SpanId ? -1 : 1));

describe('baselines seeded from the spans in ClickHouse', () => {
  let store: ClickHouseStore;
  const spans = history();

  beforeAll(async () => {
    store = await ClickHouseStore.open(config.clickhouse);
    await store.writeSpans(spans);
  });
  afterAll(async () => store?.close());

  it('learns what the live engine learned from the same spans, page by page', async () => {
    const live = new DetectionEngine(rules);
    for (const span of byEnd(spans)) live.process(span);
    const pages: number[] = [];
    const seed = await seedFromHistory(store, rules, { sinceMs: 0, maxSpans: 1_000_000, pageSize: 37, onProgress: (n) => pages.push(n) });
    expect(seed.spans).toBe(spans.length);
    expect(pages.length).toBe(Math.ceil(spans.length / 37));
    expect(seed.scorers).toEqual(JSON.parse(JSON.stringify(live.snapshot().scorers)));
  });

  it('reads only the most recent spans past the limit, and nothing before `since`', async () => {
    const recent = byEnd(spans).slice(-100);
    const live = new DetectionEngine(rules);
    for (const span of recent) live.process(span);
    const seed = await seedFromHistory(store, rules, { sinceMs: 0, maxSpans: 100, pageSize: 30 });
    expect(seed.spans).toBe(100);
    expect(seed.scorers).toEqual(JSON.parse(JSON.stringify(live.snapshot().scorers)));
    expect((await seedFromHistory(store, rules, { sinceMs: T0 + 100 * 120_000, maxSpans: 100 })).spans).toBe(0);
  });

  it('lets a new engine judge from its first span: a loop a cold engine lets run to the hard limit', async () => {
    const seed = await seedFromHistory(store, rules, { sinceMs: 0, maxSpans: 1_000_000 });
    const loop = Array.from({ length: 6 }, (_, i) => spanRecord({ session: 'loop', client: 'assistant', tool: 'search', argsHash: 'same', timeMs: T0 + 10_000_000 + i * 5_000 }));
    const cold = new DetectionEngine(rules);
    expect(loop.flatMap((s) => cold.process(s))).toEqual([]);
    const seeded = new DetectionEngine(rules);
    expect(seeded.restore({ version: ENGINE_STATE_VERSION, latestMs: 0, sessions: [], scorers: seed.scorers })).toBe(true);
    const opened = loop.flatMap((s) => seeded.process(s)).filter((a) => a.status === 'open');
    expect(opened.map((a) => [a.rule, a.evidence.observed])).toEqual([['rate.identical_calls', 3]]);
  });
});
