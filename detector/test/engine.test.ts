import { DetectionEngine, RulesConfig } from '@toolwatch/detector';
import type { AlertRecord, SpanRecord } from '@toolwatch/schemas';
import { describe, expect, it } from 'vitest';
import { spanRecord, type SpanSpec } from '../../test/support/span-factory.js';

const rules = (overrides: object = {}) => RulesConfig.parse(overrides);
/** The alerts opened: their updates and closes have tests of their own. */
const run = (engine: DetectionEngine, records: SpanRecord[]): AlertRecord[] =>
  records.flatMap((r) => engine.process(r)).filter((a) => a.status === 'open');
/** Every alert record: opened, updated and closed. */
const all = (engine: DetectionEngine, records: SpanRecord[]): AlertRecord[] => records.flatMap((r) => engine.process(r));
const T0 = 1_763_700_000_000;

/** A benign session: `calls` varied calls `gapMs` apart, a tools/list first, an end span. */
function session(key: string, start: number, opts: { calls?: number; gapMs?: number; client?: string; bytes?: number } = {}): SpanRecord[] {
  const { calls = 6, gapMs = 4_000, client = 'assistant', bytes = 2_000 } = opts;
  const spans: SpanRecord[] = [spanRecord({ session: key, client, method: 'tools/list', timeMs: start, advertised: ['search', 'read', 'list'] })];
  for (let i = 0; i < calls; i++) {
    spans.push(spanRecord({ session: key, client, tool: ['search', 'read', 'list'][i % 3], argsHash: `${key}-${i}`, responseBytes: bytes, timeMs: start + (i + 1) * gapMs }));
  }
  spans.push(spanRecord({ session: key, client, sessionEnd: true, timeMs: start }));
  return spans;
}

/** Enough benign history that every baseline of `client` is warm. */
function warmed(client = 'assistant', config = rules()): DetectionEngine {
  const engine = new DetectionEngine(config);
  const history = Array.from({ length: 40 }, (_, n) => session(`h${n}`, T0 + n * 120_000, { client, calls: 5 + (n % 4), gapMs: 3_000 + (n % 5) * 500 }));
  expect(run(engine, history.flat())).toEqual([]);
  return engine;
}

const call = (spec: Partial<SpanSpec> & { session: string; timeMs: number }) => spanRecord({ client: 'assistant', tool: 'search', ...spec });
const rulesOf = (alerts: AlertRecord[]) => alerts.map((a) => a.rule);

describe('rate', () => {
  it('flags more calls in ten seconds than the client ever makes', () => {
    const engine = warmed(); // its calls are seconds apart: at most 4 in any 10 s
    const start = T0 + 10_000_000;
    const burst = Array.from({ length: 12 }, (_, i) => call({ session: 'b', argsHash: `q${i}`, timeMs: start + i * 50 }));
    const alerts = run(engine, burst);
    expect(rulesOf(alerts)).toEqual(['rate.burst']);
    expect(alerts[0]!.evidence).toMatchObject({ observed: 8, baseline: 4, threshold: 8, unit: 'calls', windowMs: 10_000 });
    expect(alerts[0]!.evidence.spanIds.at(-1)).toBe(burst[7]!.SpanId);
  });

  it('learns that a batch client is always fast, and leaves it alone', () => {
    const engine = new DetectionEngine(rules());
    const batch = Array.from({ length: 40 }, (_, n) => session(`batch${n}`, T0 + n * 600_000, { client: 'nightly-batch', calls: 60, gapMs: 300 }));
    const alerts = run(engine, batch.flat());
    // Before its baseline is warm it is judged by others' (none here): nothing to say.
    expect(alerts).toEqual([]);
  });

  it('flags a loop of one identical call at the third repeat when the client never repeats', () => {
    const engine = warmed();
    const loop = Array.from({ length: 12 }, (_, i) => call({ session: 'l', argsHash: 'same', timeMs: T0 + 20_000_000 + i * 5_000 }));
    const alerts = run(engine, loop);
    expect(rulesOf(alerts)).toEqual(['rate.identical_calls']);
    expect(alerts[0]!.evidence.observed).toBe(3);
  });

  it('still catches a loop with no history at all, at the SAFE-MCP limit of 10', () => {
    const engine = new DetectionEngine(rules());
    const loop = Array.from({ length: 12 }, (_, i) => call({ session: 'l', argsHash: 'same', timeMs: T0 + i * 5_000 }));
    const alerts = run(engine, loop);
    expect(rulesOf(alerts)).toEqual(['rate.identical_calls']);
    expect(alerts[0]!.evidence.observed).toBe(10);
  });

  it('keeps the fixed window limit whatever was learned', () => {
    const engine = new DetectionEngine(rules({ rate: { maxCalls: 30 } }));
    const many = Array.from({ length: 31 }, (_, i) => call({ session: 'w', argsHash: `x${i}`, timeMs: T0 + i * 1_000 }));
    expect(rulesOf(run(engine, many))).toEqual(['rate.session_window']);
  });

  it('does not count a span twice when a batch is delivered again', () => {
    const engine = new DetectionEngine(rules());
    const loop = Array.from({ length: 6 }, (_, i) => call({ session: 'd', argsHash: 'same', timeMs: T0 + i * 5_000 }));
    expect(run(engine, [...loop, ...loop])).toEqual([]);
  });
});

describe('egress', () => {
  it('flags a session that sends far more than the client’s sessions usually do', () => {
    const engine = warmed();
    const reads = Array.from({ length: 3 }, (_, i) => call({ session: 'x', tool: 'read', argsHash: `r${i}`, responseBytes: 600_000, timeMs: T0 + 30_000_000 + i * 4_000 }));
    const alerts = run(engine, reads);
    // The first read is far above the tool's usual size; by the second, the session is past
    // its history too, judged without its largest response: 600 KB against ~10 KB usual.
    expect(rulesOf(alerts)).toEqual(['egress.large_response', 'egress.session_bytes']);
    expect(alerts[1]!.evidence).toMatchObject({ observed: 600_000, unit: 'bytes without the largest response' });
    expect(alerts[1]!.evidence.baseline).toBeLessThan(50_000);
  });

  it('adds up responses that are each far above usual but under the floor, as a bulk read split up would be', () => {
    const engine = warmed(); // its reads answer 2 KB
    const reads = Array.from({ length: 4 }, (_, i) => call({ session: 'split', tool: 'read', argsHash: `s${i}`, responseBytes: 50_000, timeMs: T0 + 30_000_000 + i * 4_000 }));
    const alerts = run(engine, reads);
    expect(rulesOf(alerts)).toEqual(['egress.large_response']);
    // 50 KB is under the 128 KiB floor: the third one takes the sum past it.
    expect(alerts[0]!.evidence).toMatchObject({ observed: 150_000, threshold: 131_072 });
    expect(alerts[0]!.evidence.spanIds).toEqual(reads.slice(0, 3).map((r) => r.SpanId));
  });

  it('judges a client never seen before against the server’s other clients', () => {
    const engine = warmed('assistant');
    const reads = Array.from({ length: 3 }, (_, i) => call({ session: 'new', client: 'stranger', tool: 'read', argsHash: `r${i}`, responseBytes: 900_000, timeMs: T0 + 30_000_000 + i * 4_000 }));
    expect(rulesOf(run(engine, reads))).toEqual(['egress.large_response', 'egress.session_bytes']);
  });

  it('flags slow exfiltration: many small reads that add up', () => {
    const engine = warmed();
    const trickle = Array.from({ length: 200 }, (_, i) => call({ session: 'slow', tool: 'read', argsHash: `t${i}`, responseBytes: 8_000, timeMs: T0 + 40_000_000 + i * 3_000 }));
    expect(rulesOf(run(engine, trickle))).toContain('egress.session_bytes');
  });

  it('flags secrets in a result once per kind of secret, and bulk personal data past the limit', () => {
    const engine = new DetectionEngine(rules({ egress: { maxPiiItems: 50 } }));
    const alerts = run(engine, [
      call({ session: 's', tool: 'read', resultFindings: { 'aws-access-key-id': 1, email: 30 }, timeMs: T0 }),
      call({ session: 's', tool: 'read', resultFindings: { 'aws-access-key-id': 2, 'github-token': 1, email: 30 }, timeMs: T0 + 1 }),
    ]);
    expect(alerts.map((a) => [a.rule, a.tool, a.evidence.unit])).toEqual([
      ['egress.secret_in_result', 'read', 'aws-access-key-id findings'],
      ['egress.secret_in_result', 'read', 'github-token findings'],
      ['egress.bulk_personal_data', 'read', 'personal data items'],
    ]);
  });

  it('keeps the hard cap for a session with no baseline', () => {
    const engine = new DetectionEngine(rules({ egress: { maxSessionBytes: 1_000_000 } }));
    expect(rulesOf(run(engine, [call({ session: 'b', tool: 'read', responseBytes: 1_500_000, timeMs: T0 })]))).toEqual(['egress.session_bytes']);
  });
});

describe('novelty', () => {
  const list = (key: string, t: number, advertised: SpanSpec['advertised'], service = 'svc') => spanRecord({ session: key, method: 'tools/list', timeMs: t, advertised, service });

  it('flags a call to a tool the server never advertised, once per tool and session', () => {
    const engine = new DetectionEngine(rules());
    const alerts = run(engine, [
      list('s1', T0, ['search', 'read']),
      call({ session: 's1', tool: 'search', timeMs: T0 + 1 }),
      call({ session: 's1', tool: 'admin_export', timeMs: T0 + 2 }),
      call({ session: 's1', tool: 'admin_export', timeMs: T0 + 3 }),
      call({ session: 's2', tool: 'admin_export', timeMs: T0 + 4 }),
    ]);
    expect(alerts.map((a) => [a.rule, a.sessionKey, a.tool])).toEqual([
      ['novelty.unadvertised_tool', 's1', 'admin_export'],
      ['novelty.unadvertised_tool', 's2', 'admin_export'],
    ]);
  });

  it('judges a service with an allowlist by the allowlist', () => {
    const engine = new DetectionEngine(rules({ novelty: { allowlist: { svc: ['search'] } } }));
    const alerts = run(engine, [list('s1', T0, ['search', 'read']), call({ session: 's1', tool: 'read', timeMs: T0 + 1 })]);
    expect(alerts.map((a) => a.tool)).toEqual(['read']);
  });

  it('flags a tool definition that changes after it was first seen (rug pull), once per new definition', () => {
    const engine = new DetectionEngine(rules());
    const alerts = run(engine, [
      list('s1', T0, { search: 'a'.repeat(64), read: 'b'.repeat(64) }),
      list('s2', T0 + 1_000, { search: 'a'.repeat(64), read: 'b'.repeat(64) }),
      list('s3', T0 + 2_000, { search: 'a'.repeat(64), read: 'c'.repeat(64) }),
      list('s4', T0 + 3_000, { search: 'a'.repeat(64), read: 'c'.repeat(64) }),
    ]);
    expect(alerts.map((a) => [a.rule, a.sessionKey, a.tool])).toEqual([['novelty.definition_changed', 's3', 'read']]);
  });

  it('flags a new tool that reads like a trusted one, but not a server’s own first list', () => {
    const engine = new DetectionEngine(rules());
    const alerts = run(engine, [
      list('s1', T0, ['read_file', 'get_item', 'get_items'], 'files'),
      list('s2', T0 + 1_000, ['weather'], 'weather'),
      list('s3', T0 + 2_000, ['weather', 'read_fi1e'], 'weather'),
    ]);
    expect(alerts.map((a) => [a.rule, a.tool])).toEqual([['novelty.tool_shadowing', 'read_fi1e']]);
  });

  it('flags arguments that name a credentials file', () => {
    const engine = new DetectionEngine(rules());
    const alerts = run(engine, [call({ session: 's', tool: 'read', argumentsFindings: { 'sensitive-path': 1 }, timeMs: T0 })]);
    expect(rulesOf(alerts)).toEqual(['novelty.sensitive_path']);
  });
});

describe('determinism and state', () => {
  const corpus = () => [
    ...Array.from({ length: 40 }, (_, n) => session(`h${n}`, T0 + n * 120_000)).flat(),
    ...Array.from({ length: 12 }, (_, i) => call({ session: 'loop', argsHash: 'same', timeMs: T0 + 9_000_000 + i * 5_000 })),
    spanRecord({ session: 'x', method: 'tools/list', timeMs: T0 + 9_100_000, advertised: ['search'] }),
    call({ session: 'x', tool: 'hidden', timeMs: T0 + 9_100_005 }),
    call({ session: 'big', tool: 'read', responseBytes: 5_000_000, timeMs: T0 + 9_200_000 }),
  ];

  it('gives the same alerts with the same ids when the same spans are scored again', () => {
    const records = corpus();
    const first = all(new DetectionEngine(rules()), records);
    const second = all(new DetectionEngine(rules()), records);
    expect(new Set(first.map((a) => a.kind))).toEqual(new Set(['egress', 'novelty', 'rate']));
    expect(new Set(first.map((a) => a.status))).toEqual(new Set(['open', 'updated']));
    expect(second).toEqual(first);
  });

  it('gives the same alerts after a snapshot and restore halfway, as a restart would', () => {
    const records = corpus();
    const whole = new DetectionEngine(rules());
    const straight = [...all(whole, records), ...whole.endAll()];
    const half = records.findIndex((r) => r.SpanAttributes['gen_ai.tool.name'] === 'search' && r.SpanAttributes['toolwatch.arguments.hash'] === 'same') + 4;
    const before = new DetectionEngine(rules());
    const firstHalf = all(before, records.slice(0, half));
    expect(firstHalf.at(-1)?.rule).toBe('rate.identical_calls'); // cut in the middle of an alert's life
    const after = new DetectionEngine(rules());
    after.restore(JSON.parse(JSON.stringify(before.snapshot())));
    const restarted = [...firstHalf, ...all(after, records.slice(half)), ...after.endAll()];
    expect(restarted.map((a) => a.status)).toContain('closed');
    expect(restarted).toEqual(straight);
  });
});

describe('alert lifecycle and session score', () => {
  const loop = (session: string, n: number, t0 = T0 + 20_000_000) =>
    Array.from({ length: n }, (_, i) => call({ session, argsHash: 'same', timeMs: t0 + i * 5_000 }));

  it('opens an alert, updates it under the same id as it grows more severe, and closes it when the session ends', () => {
    const engine = warmed();
    const records = [...loop('l', 20), spanRecord({ session: 'l', client: 'assistant', sessionEnd: true, timeMs: T0 + 20_200_000 })];
    const made = all(engine, records);
    expect(new Set(made.map((a) => a.id)).size).toBe(1);
    expect(made.map((a) => [a.status, a.revision, a.severity])).toEqual([
      ['open', 0, 'low'],
      ['updated', 1, 'medium'],
      ['updated', 2, 'high'],
      ['updated', 3, 'critical'],
      ['closed', 4, 'critical'],
    ]);
    expect(made.map((a) => a.evidence.observed)).toEqual([3, 4, 6, 9, 20]);
    const closed = made.at(-1)!;
    expect(closed.lastEventTime).toBe(records.at(-1)!.Timestamp); // the session's end
    expect(closed.tags).toEqual(['safe-mcp:SAFE-T1106', 'owasp-mcp:MCP06:2025']);
  });

  it('closes the alerts of a session that goes idle, when a later span of any session shows it', () => {
    const engine = warmed();
    all(engine, loop('idle', 4));
    const later = all(engine, [call({ session: 'other', timeMs: T0 + 20_000_000 + 31 * 60_000 })]);
    expect(later.map((a) => [a.sessionKey, a.status, a.rule])).toEqual([['idle', 'closed', 'rate.identical_calls']]);
  });

  it('scores a session 1 − Π(1 − score/100) over its alerts, one record per change and one at its end', () => {
    const engine = new DetectionEngine(rules(), undefined, { scores: true });
    all(engine, [spanRecord({ session: 'quiet', timeMs: T0, method: 'tools/list', advertised: ['search'] }), spanRecord({ session: 'quiet', sessionEnd: true, timeMs: T0 + 1 })]);
    const made = all(engine, [
      spanRecord({ session: 's', timeMs: T0 + 10, method: 'tools/list', advertised: ['search', 'read'] }),
      call({ session: 's', tool: 'hidden', timeMs: T0 + 11 }),
      call({ session: 's', tool: 'read', argumentsFindings: { 'sensitive-path': 1 }, resultFindings: { 'aws-access-key-id': 1 }, timeMs: T0 + 12 }),
      spanRecord({ session: 's', sessionEnd: true, timeMs: T0 + 13 }),
    ]);
    const opened = made.filter((a) => a.status === 'open');
    expect(opened.map((a) => [a.rule, a.score])).toEqual([
      ['novelty.unadvertised_tool', 80],
      ['novelty.sensitive_path', 75],
      ['egress.secret_in_result', 85],
    ]);
    const expected = Math.round(1000 * (1 - 0.2 * 0.25 * 0.15)) / 10;
    expect(made.at(-1)).toMatchObject({ status: 'closed', sessionScore: expected });
    const scores = engine.drainScores();
    expect(scores.map((r) => [r.sessionKey, r.ended, r.score, r.revision])).toEqual([
      ['quiet', true, 0, 1],
      ['s', false, 80, 1],
      ['s', false, expected, 2],
      ['s', true, expected, 3],
    ]);
    expect(scores.at(-1)).toMatchObject({ severity: 'high', alerts: 3, rules: ['egress.secret_in_result', 'novelty.sensitive_path', 'novelty.unadvertised_tool'] });
    expect(engine.drainScores()).toEqual([]);
  });

  it('keeps no score records unless asked', () => {
    const engine = new DetectionEngine(rules());
    all(engine, [call({ session: 's', tool: 'x', timeMs: T0 }), spanRecord({ session: 's', sessionEnd: true, timeMs: T0 + 1 })]);
    expect(engine.drainScores()).toEqual([]);
  });
});

describe('names that are also JavaScript property names', () => {
  it('scores tools and services named constructor, __proto__ or toString like any other, across a restore', () => {
    const names = ['constructor', '__proto__', 'toString', 'hasOwnProperty'];
    const loops = (engine: DetectionEngine, from: number, to: number) =>
      names.flatMap((name) =>
        Array.from({ length: to - from }, (_, i) =>
          spanRecord({ session: `s-${name}`, service: name, client: name, tool: name, argsHash: 'same', timeMs: T0 + (from + i) * 5_000 }),
        ),
      ).flatMap((r) => engine.process(r)).filter((a) => a.status === 'open');
    const engine = new DetectionEngine(rules());
    all(engine, names.map((name, i) => spanRecord({ session: `s-${name}`, service: name, client: name, method: 'tools/list', timeMs: T0 - 1_000 + i, advertised: [name] })));
    expect(loops(engine, 0, 5)).toEqual([]);
    const restored = new DetectionEngine(rules());
    restored.restore(JSON.parse(JSON.stringify(engine.snapshot())));
    // No history: the SAFE-MCP hard limit of 10, reached at the tenth call of each loop.
    const opened = loops(restored, 5, 12);
    expect(opened.map((a) => [a.tool, a.rule, a.evidence.observed])).toEqual(names.map((n) => [n, 'rate.identical_calls', 10]));
    for (const a of opened) expect(Number.isFinite(a.evidence.threshold)).toBe(true);
  });
});

describe('late, restored and hostile input (found in review)', () => {
  const secret = (session: string, timeMs: number) => call({ session, tool: 'read', resultFindings: { 'aws-access-key-id': 1 }, timeMs });

  it('closes the alert of a span that arrives after its session went idle', () => {
    const engine = new DetectionEngine(rules());
    const made = [
      ...all(engine, [call({ session: 'x', timeMs: T0 + 31 * 60_000 }), spanRecord({ session: 'x', sessionEnd: true, timeMs: T0 + 31 * 60_000 })]),
      // A long call that ends now but started before the idle limit: a session of its own.
      ...all(engine, [secret('late', T0 + 1_000)]),
      ...all(engine, [call({ session: 'w', timeMs: T0 + 62 * 60_000 })]),
    ];
    const late = made.filter((a) => a.sessionKey === 'late');
    expect(late.map((a) => a.status)).toEqual(['open', 'closed']);
  });

  it('ends sessions at the same span after a restore as without one', () => {
    const before = [call({ session: 'x', timeMs: T0 }), secret('y', T0 + 100)];
    const after = [call({ session: 'x', timeMs: T0 + 900 }), call({ session: 'z', timeMs: T0 + 30 * 60_000 + 500 }), call({ session: 'z', timeMs: T0 + 30 * 60_000 + 1_500 })];
    const byStep = (engine: DetectionEngine) => after.map((r) => engine.process(r).map((a) => `${a.sessionKey} ${a.status}`));
    const straight = new DetectionEngine(rules());
    all(straight, before);
    const first = new DetectionEngine(rules());
    all(first, before);
    const restored = new DetectionEngine(rules());
    restored.restore(JSON.parse(JSON.stringify(first.snapshot())));
    const expected = byStep(straight);
    expect(expected.flat()).toContain('y closed');
    expect(byStep(restored)).toEqual(expected);
  });

  it('opens at most 16 secret alerts for a session, however many rules a span names', () => {
    const engine = new DetectionEngine(rules());
    const findings = Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`made-up-rule-${i}`, 1]));
    const opened = run(engine, [call({ session: 's', tool: 'read', resultFindings: findings, timeMs: T0 })]);
    expect(opened).toHaveLength(16);
    expect(new Set(opened.map((a) => a.sessionScore))).toEqual(new Set([100]));
  });

  it('learns that a tool now answers larger, from sessions that raised nothing', () => {
    const engine = warmed(); // its reads answer 2 KB
    const grown = (key: string, t: number, n: number) =>
      Array.from({ length: n }, (_, i) => call({ session: key, tool: 'read', argsHash: `${key}${i}`, responseBytes: 12_000, timeMs: t + i * 4_000 }));
    // Five 12 KB answers: far above 2 KB, but 60 KB is under the 128 KiB floor: no alert.
    for (let n = 0; n < 40; n++) {
      expect(run(engine, [...grown(`g${n}`, T0 + 50_000_000 + n * 120_000, 5), spanRecord({ session: `g${n}`, client: 'assistant', sessionEnd: true, timeMs: T0 + 50_000_000 + n * 120_000 + 30_000 })])).toEqual([]);
    }
    // Thirty of them (360 KB) would have passed the floor against the old 2 KB; not now.
    expect(rulesOf(run(engine, grown('after', T0 + 60_000_000, 30)))).not.toContain('egress.large_response');
  });

  it('restores no snapshot of another version', () => {
    const engine = new DetectionEngine(rules());
    all(engine, [call({ session: 's', timeMs: T0 })]);
    const old = { ...engine.snapshot(), version: 1 };
    const fresh = new DetectionEngine(rules());
    expect(fresh.restore(old)).toBe(false);
    expect(fresh.sessionCount).toBe(0);
    expect(fresh.restore(engine.snapshot())).toBe(true);
    expect(fresh.sessionCount).toBe(1);
  });
});
