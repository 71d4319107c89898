import { DetectionEngine, generateCorpus, replaySpans, RulesConfig } from '@toolwatch/detector';
import type { AlertRecord } from '@toolwatch/schemas';
import { describe, expect, it } from 'vitest';

describe('replay of a recorded corpus', () => {
  it('makes the alert records the live detector made, with the same ids and revisions, from shuffled input', async () => {
    const rules = RulesConfig.parse({});
    const corpus = generateCorpus({ benign: 200, hostile: 40, seed: 3 });
    const live = new DetectionEngine(rules);
    const named = (a: AlertRecord) => `${a.id} ${a.revision} ${a.status}`;
    const made = [...corpus.records.flatMap((r) => live.process(r)), ...live.endAll()];
    const expected = made.map(named);
    expect(made.filter((a) => a.status === 'open').length).toBeGreaterThan(20);
    // Every alert closes once, after its opening and updates.
    expect(made.filter((a) => a.status === 'closed').length).toBe(made.filter((a) => a.status === 'open').length);

    // A log file's order is roughly that of the stream: swap neighbours that ended within
    // 10 s of each other (the reorder window is 60 s).
    const end = (i: number) => BigInt(shuffled[i]!.Timestamp) + BigInt(shuffled[i]!.Duration);
    const shuffled = [...corpus.records];
    let swaps = 0;
    for (let i = shuffled.length - 1; i > 5; i -= 7) {
      if (end(i) - end(i - 5) > 10_000_000_000n) continue;
      [shuffled[i], shuffled[i - 5]] = [shuffled[i - 5]!, shuffled[i]!];
      swaps += 1;
    }
    expect(swaps).toBeGreaterThan(100);
    const replayed: AlertRecord[] = [];
    for await (const alert of replaySpans(shuffled, rules)) replayed.push(alert);
    expect(replayed.map(named).sort()).toEqual([...expected].sort());
  });

  it('makes the same records twice, and after a restart from a snapshot taken halfway', () => {
    const rules = RulesConfig.parse({});
    const corpus = generateCorpus({ benign: 200, hostile: 40, seed: 5 });
    const named = (a: AlertRecord) => `${a.id} ${a.revision} ${a.status} ${a.severity}`;
    const straight = (engine: DetectionEngine) => [...corpus.records.flatMap((r) => engine.process(r)), ...engine.endAll()].map(named);
    const first = straight(new DetectionEngine(rules));
    expect(straight(new DetectionEngine(rules))).toEqual(first);

    const half = corpus.records.length >> 1;
    const before = new DetectionEngine(rules);
    const made = corpus.records.slice(0, half).flatMap((r) => before.process(r));
    // What a detector saves and a new process loads: plain JSON, nothing shared.
    const after = new DetectionEngine(rules);
    after.restore(JSON.parse(JSON.stringify(before.snapshot())));
    made.push(...corpus.records.slice(half).flatMap((r) => after.process(r)), ...after.endAll());
    expect(made.map(named)).toEqual(first);
    expect(first.length).toBeGreaterThan(100);
  });
});
