import { DetectionEngine, RulesConfig } from '@toolwatch/detector';
import type { AlertRecord, SpanRecord } from '@toolwatch/schemas';
import { describe, expect, it } from 'vitest';
import { spanRecord } from '../../test/support/span-factory.js';

const rules = (overrides: object = {}) => RulesConfig.parse(overrides);
const run = (engine: DetectionEngine, records: SpanRecord[]): AlertRecord[] => records.flatMap((r) => engine.process(r));
const T0 = 1_763_700_000_000;

const calls = (n: number, everyMs: number, session = 's1', start = T0) =>
  Array.from({ length: n }, (_, i) => spanRecord({ session, tool: 'search', timeMs: start + i * everyMs }));

describe('session rate', () => {
  const config = rules({ sessionRate: { windowMs: 60_000, maxCalls: 30 } });

  it('alerts on the call that passes the limit within the window, not before', () => {
    const engine = new DetectionEngine(config);
    const records = calls(31, 100);
    expect(run(engine, records.slice(0, 30))).toEqual([]);
    const [alert, ...more] = engine.process(records[30]!);
    expect(more).toEqual([]);
    expect(alert).toMatchObject({ rule: 'rate.session_window', kind: 'rate', sessionKey: 's1', windowStart: records[0]!.Timestamp });
    expect(alert!.evidence).toMatchObject({ observed: 31, threshold: 30, unit: 'calls', windowMs: 60_000 });
    expect(alert!.evidence.spanIds[0]).toBe(records[0]!.SpanId);
  });

  it('does not alert when the same number of calls is spread wider than the window', () => {
    expect(run(new DetectionEngine(config), calls(100, 2_100))).toEqual([]);
  });

  it('keeps sessions apart', () => {
    const interleaved = calls(20, 100, 'a').flatMap((r, i) => [r, calls(20, 100, 'b')[i]!]);
    expect(run(new DetectionEngine(config), interleaved)).toEqual([]);
  });

  it('raises one alert per window while a loop goes on, each with its own id', () => {
    const alerts = run(new DetectionEngine(config), calls(400, 500)); // 120 calls a minute for 200 s
    expect(alerts.length).toBeGreaterThanOrEqual(3);
    expect(alerts.length).toBeLessThanOrEqual(4);
    expect(new Set(alerts.map((a) => a.id)).size).toBe(alerts.length);
  });

  it('does not count a span twice when a batch is delivered again', () => {
    const engine = new DetectionEngine(config);
    const records = calls(20, 100);
    expect(run(engine, [...records, ...records])).toEqual([]);
  });
});

describe('unadvertised tool', () => {
  const list = (session: string, t: number) => spanRecord({ session, method: 'tools/list', timeMs: t, advertised: ['search', 'read'] });

  it('alerts once per session and tool on a tool the server never advertised', () => {
    const engine = new DetectionEngine(rules());
    const alerts = run(engine, [
      list('s1', T0),
      spanRecord({ session: 's1', tool: 'search', timeMs: T0 + 1 }),
      spanRecord({ session: 's1', tool: 'admin_export', timeMs: T0 + 2 }),
      spanRecord({ session: 's1', tool: 'admin_export', timeMs: T0 + 3 }),
      spanRecord({ session: 's2', tool: 'admin_export', timeMs: T0 + 4 }),
    ]);
    expect(alerts.map((a) => [a.rule, a.sessionKey, a.tool])).toEqual([
      ['novelty.unadvertised_tool', 's1', 'admin_export'],
      ['novelty.unadvertised_tool', 's2', 'admin_export'],
    ]);
    expect(alerts[0]!.severity).toBe('high');
  });

  it('stays silent while it has seen no tools/list of the server', () => {
    const engine = new DetectionEngine(rules());
    expect(run(engine, [spanRecord({ session: 's1', tool: 'anything', timeMs: T0 })])).toEqual([]);
  });

  it('judges a service with an allowlist by the allowlist', () => {
    const engine = new DetectionEngine(rules({ unadvertisedTool: { allowlist: { svc: ['search'] } } }));
    const alerts = run(engine, [
      list('s1', T0),
      spanRecord({ session: 's1', tool: 'search', timeMs: T0 + 1 }),
      spanRecord({ session: 's1', tool: 'read', timeMs: T0 + 2 }),
    ]);
    expect(alerts.map((a) => a.tool)).toEqual(['read']);
  });
});

describe('session egress', () => {
  const config = rules({ sessionEgress: { maxSessionBytes: 1_000_000 } });
  const read = (session: string, bytes: number, t: number) => spanRecord({ session, tool: 'read', responseBytes: bytes, timeMs: t });

  it('alerts once when a session passes the byte cap', () => {
    const engine = new DetectionEngine(config);
    const alerts = run(engine, [read('s1', 600_000, T0), read('s1', 300_000, T0 + 1), read('s1', 200_000, T0 + 2), read('s1', 500_000, T0 + 3)]);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.evidence).toMatchObject({ observed: 1_100_000, threshold: 1_000_000, unit: 'bytes' });
    expect(alerts[0]!.evidence.spanIds).toHaveLength(3);
  });

  it('does not add sessions together', () => {
    const engine = new DetectionEngine(config);
    expect(run(engine, [read('a', 600_000, T0), read('b', 600_000, T0 + 1)])).toEqual([]);
  });
});

describe('determinism', () => {
  it('gives the same alerts with the same ids when the same spans are scored again', () => {
    const records = [
      ...calls(40, 100, 'loop'),
      spanRecord({ session: 'x', method: 'tools/list', timeMs: T0, advertised: ['search'] }),
      spanRecord({ session: 'x', tool: 'hidden', timeMs: T0 + 5 }),
      spanRecord({ session: 'big', tool: 'search', responseBytes: 5_000_000, timeMs: T0 + 9 }),
    ];
    const first = run(new DetectionEngine(rules()), records);
    const second = run(new DetectionEngine(rules()), records);
    expect(first.map((a) => a.kind).sort()).toEqual(['egress', 'novelty', 'rate']);
    expect(second).toEqual(first);
  });
});
