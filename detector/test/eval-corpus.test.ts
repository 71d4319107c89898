import { createHash } from 'node:crypto';
import { Semconv, SpanRecord, Toolwatch, SERVICE_NAME, type SpanRecord as Span } from '@toolwatch/schemas';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BENIGN_FAMILIES,
  EPOCH_MS,
  generateCorpus,
  HOSTILE_FAMILIES,
  recordsBySession,
  warmupCount,
  type Corpus,
  type SessionLabel,
} from '../src/eval/index.js';

const a = (r: Span) => r.SpanAttributes;
const ms = (ns: string) => Number(BigInt(ns) / 1_000_000n);
const isCall = (r: Span) => a(r)[Semconv.MCP_METHOD_NAME] === 'tools/call';
const bytes = (r: Span) => Number(a(r)[Toolwatch.RESPONSE_BYTES] ?? 0);
const callKey = (r: Span) => `${a(r)[Semconv.GEN_AI_TOOL_NAME]}#${a(r)[Toolwatch.ARGUMENTS_HASH]}`;
const findings = (r: Span, key: string): Record<string, number> => JSON.parse(a(r)[key] ?? '{}') as Record<string, number>;
const definitions = (r: Span): Record<string, string> => JSON.parse(a(r)[Toolwatch.TOOLS_DEFINITIONS] ?? '{}') as Record<string, string>;
const PII = new Set(['email', 'phone-number']);
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[xs.length >> 1]!;

function digest(c: Corpus): string {
  const h = createHash('sha256');
  for (const r of c.records) h.update(JSON.stringify(r)).update('\n');
  for (const l of c.labels) h.update(JSON.stringify(l)).update('\n');
  return h.digest('hex');
}

function editDistance(x: string, y: string): number {
  let row = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const next = [i];
    for (let j = 1; j <= y.length; j++) next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1));
    row = next;
  }
  return row[y.length]!;
}

/** Longest run of calls less than `gapMs` apart, start to start. */
function longestQuickRun(calls: Span[], gapMs: number): number {
  let best = calls.length ? 1 : 0;
  let run = 1;
  for (let i = 1; i < calls.length; i++) {
    run = ms(calls[i]!.Timestamp) - ms(calls[i - 1]!.Timestamp) < gapMs ? run + 1 : 1;
    best = Math.max(best, run);
  }
  return best;
}

describe('corpus generator: determinism', () => {
  it('gives identical records and labels for the same seed, and others for another seed', () => {
    const options = { benign: 200, hostile: 60, seed: 7 };
    const first = generateCorpus(options);
    const second = generateCorpus(options);
    expect(second.labels).toEqual(first.labels);
    expect(second.records.length).toBe(first.records.length);
    expect(digest(second)).toBe(digest(first));
    expect(digest(generateCorpus({ ...options, seed: 8 }))).not.toBe(digest(first));
  });
});

describe('corpus generator: the default corpus', () => {
  let corpus: Corpus;
  let sessions: Map<string, Span[]>;
  let scored: SessionLabel[];
  const of = (family: string) => corpus.labels.filter((l) => l.family === family);
  const spansOf = (l: SessionLabel) => sessions.get(l.sessionKey)!;

  beforeAll(() => {
    corpus = generateCorpus({ benign: 2000, hostile: 500, seed: 42 });
    sessions = recordsBySession(corpus.records);
    scored = corpus.labels.filter((l) => !l.probation);
  });

  it('has the asked sizes, a warm-up on top, and every family', () => {
    expect(scored.filter((l) => !l.hostile)).toHaveLength(2000);
    expect(scored.filter((l) => l.hostile)).toHaveLength(500);
    expect(corpus.labels.filter((l) => l.probation)).toHaveLength(warmupCount(2000, 500));
    for (const f of HOSTILE_FAMILIES) expect(of(f), f).toHaveLength(50);
    for (const f of BENIGN_FAMILIES) expect(scored.filter((l) => l.family === f).length, f).toBeGreaterThan(50);
    expect(new Set(corpus.labels.map((l) => l.service)).size).toBeGreaterThanOrEqual(5);
    expect(new Set(corpus.labels.map((l) => l.client)).size).toBeGreaterThanOrEqual(7);
  });

  it('writes valid span records in delivery order, from a fixed epoch, sessions overlapping', () => {
    corpus.records.filter((_, i) => i % 25 === 0).forEach((r) => expect(SpanRecord.safeParse(r).success).toBe(true));
    expect(corpus.startNs).toBe(`${EPOCH_MS}000000`);
    const ends = corpus.records.map((r) => BigInt(r.Timestamp) + BigInt(r.Duration));
    expect(ends.every((e, i) => i === 0 || e >= ends[i - 1]!)).toBe(true);
    expect(ms(corpus.records[0]!.Timestamp)).toBeGreaterThanOrEqual(EPOCH_MS);
    // At some moment, many sessions are open at once.
    const edges = corpus.labels.flatMap((l) => [[ms(l.startNs), 1] as const, [ms(l.endNs), -1] as const]).sort((x, y) => x[0] - y[0] || x[1] - y[1]);
    let open = 0;
    let most = 0;
    for (const [, d] of edges) most = Math.max(most, (open += d));
    expect(most).toBeGreaterThanOrEqual(5);
  });

  it('labels each session from outside its records', () => {
    const known = new Set<string>([...Object.values(Semconv), ...Object.values(Toolwatch)]);
    const words = new RegExp(`\\b(${[...HOSTILE_FAMILIES, 'hostile', 'benign', 'onset'].join('|')})\\b`);
    const unknown = new Set<string>();
    const telling: string[] = [];
    for (const r of corpus.records) {
      for (const key of Object.keys(a(r))) if (!known.has(key)) unknown.add(key);
      for (const key of Object.keys(r.ResourceAttributes)) if (key !== SERVICE_NAME) unknown.add(key);
      if (words.test(`${r.SpanName} ${Object.values(a(r)).join(' ')}`)) telling.push(r.SpanId);
    }
    expect([...unknown]).toEqual([]);
    expect(telling).toEqual([]);
    for (const l of corpus.labels) {
      expect(l.sessionKey).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(spansOf(l)).toHaveLength(l.spans);
    }
  });

  it('keeps each session sequential, never idle for 25 minutes, and mostly closed by an mcp.session span', () => {
    let closed = 0;
    for (const l of corpus.labels) {
      const all = spansOf(l);
      const end = (r: Span) => BigInt(r.Timestamp) + BigInt(r.Duration);
      expect(all.map((r) => r.Timestamp).sort((x, y) => (BigInt(x) < BigInt(y) ? -1 : 1))[0]).toBe(l.startNs);
      expect(all.reduce((m, r) => (end(r) > m ? end(r) : m), 0n)).toBe(BigInt(l.endNs));
      const last = all.at(-1)!;
      const spans = a(last)[Toolwatch.SESSION_END] === 'true' ? all.slice(0, -1) : all;
      if (spans !== all) {
        closed += 1;
        expect(last).toMatchObject({ SpanName: 'mcp.session', SpanKind: 'Internal', Timestamp: l.startNs });
        expect(a(last)[Semconv.MCP_METHOD_NAME]).toBeUndefined();
        expect(end(last)).toBe(BigInt(l.endNs));
      }
      expect(spans.some((r) => a(r)[Toolwatch.SESSION_END])).toBe(false);
      const gaps = spans.slice(1).map((r, i) => ms(r.Timestamp) - ms(spans[i]!.Timestamp));
      expect(gaps.filter((g) => g < 0 || g >= 25 * 60_000)).toEqual([]);
    }
    expect(closed / corpus.labels.length).toBeGreaterThan(0.9);
    expect(closed).toBeLessThan(corpus.labels.length);
  });

  describe('benign sessions', () => {
    const benign = () => corpus.labels.filter((l) => !l.hostile);

    it('initialize, then list tools, with one stable set of definitions per server', () => {
      const bySeenService = new Map<string, Set<string>>();
      for (const l of benign()) {
        const spans = spansOf(l);
        expect(spans.slice(0, 3).map((r) => a(r)[Semconv.MCP_METHOD_NAME])).toEqual(['initialize', 'notifications/initialized', 'tools/list']);
        for (const r of spans.filter((s) => a(s)[Semconv.MCP_METHOD_NAME] === 'tools/list')) {
          const seen = bySeenService.get(l.service) ?? new Set();
          seen.add(a(r)[Toolwatch.TOOLS_DEFINITIONS]!);
          bySeenService.set(l.service, seen);
        }
        expect(l.onsetIndex).toBeNull();
      }
      for (const [service, seen] of bySeenService) expect(seen.size, service).toBe(1);
    });

    it('support tasks take 5 to 8 varied calls, as MCP-Universe measured', () => {
      const tasks = of('support').flatMap((l) => l.callsPerTask);
      const inRange = tasks.filter((n) => n >= 5 && n <= 8).length / tasks.length;
      const mean = tasks.reduce((s, n) => s + n, 0) / tasks.length;
      expect(inRange).toBeGreaterThanOrEqual(0.75);
      expect(median(tasks)).toBeGreaterThanOrEqual(5);
      expect(median(tasks)).toBeLessThanOrEqual(8);
      expect(mean).toBeGreaterThanOrEqual(5);
      expect(mean).toBeLessThanOrEqual(8);
      let varied = 0;
      for (const l of of('support')) {
        const calls = spansOf(l).filter(isCall);
        expect(calls).toHaveLength(l.callsPerTask.reduce((s, n) => s + n, 0));
        if (new Set(calls.map((c) => a(c)[Semconv.GEN_AI_TOOL_NAME])).size >= 3) varied += 1;
      }
      expect(varied / of('support').length).toBeGreaterThanOrEqual(0.9);
      expect(of('multi_task').every((l) => l.callsPerTask.length >= 3)).toBe(true);
    });

    it('coding agents burst up to 20 quick calls, never more', () => {
      const runs = of('coding').map((l) => longestQuickRun(spansOf(l).filter(isCall), 500));
      expect(Math.max(...runs)).toBeLessThanOrEqual(20);
      expect(runs.filter((n) => n >= 8).length).toBeGreaterThan(of('coding').length / 10);
    });

    it('nightly batch jobs call at a steady high rate, at night', () => {
      for (const l of of('batch')) {
        const calls = spansOf(l).filter(isCall);
        const minutes = (ms(calls.at(-1)!.Timestamp) - ms(calls[0]!.Timestamp)) / 60_000;
        expect(calls.length).toBeGreaterThanOrEqual(150);
        expect(calls.length / minutes).toBeGreaterThanOrEqual(55);
        expect(['nightly-indexer', 'etl-sync']).toContain(l.client);
        const hour = new Date(ms(l.startNs)).getUTCHours();
        expect(hour).toBeGreaterThanOrEqual(1);
        expect(hour).toBeLessThan(5);
      }
    });

    it('reporting sessions make an occasional 2–5 MB export; nobody else reads a megabyte at once', () => {
      const big = (l: SessionLabel) => spansOf(l).filter((r) => isCall(r) && bytes(r) > 1_000_000);
      const withExport = of('reporting').filter((l) => big(l).length === 1 && bytes(big(l)[0]!) >= 2e6 && bytes(big(l)[0]!) <= 5e6);
      expect(withExport.length / of('reporting').length).toBeGreaterThan(0.05);
      expect(withExport.length / of('reporting').length).toBeLessThan(0.3);
      for (const l of benign().filter((x) => x.family !== 'reporting')) expect(big(l)).toEqual([]);
    });

    it('carry no secret and no sensitive path, only the PII of normal work', () => {
      for (const l of benign()) {
        for (const r of spansOf(l)) {
          for (const rule of [...Object.keys(findings(r, Toolwatch.RESULT_FINDINGS)), ...Object.keys(findings(r, Toolwatch.ARGUMENTS_FINDINGS))]) {
            expect(PII.has(rule), rule).toBe(true);
          }
        }
      }
    });
  });

  describe('hostile sessions', () => {
    /** What every benign session of a service advertised, and every name ever listed. */
    const approved = () => {
      const out = new Map<string, Record<string, string>>();
      for (const l of corpus.labels.filter((x) => !x.hostile)) out.set(l.service, definitions(spansOf(l)[2]!));
      return out;
    };
    const listedCache = new Map<string, Set<string>>();
    const everListed = (service: string) => {
      let names = listedCache.get(service);
      if (!names) {
        names = new Set(corpus.labels.filter((l) => l.service === service).flatMap((l) => spansOf(l).filter((r) => a(r)[Toolwatch.TOOLS_DEFINITIONS]).flatMap((r) => Object.keys(definitions(r)))));
        listedCache.set(service, names);
      }
      return names;
    };
    const afterOnset = (l: SessionLabel) => spansOf(l).slice(l.onsetIndex!);
    const clientMedian = (client: string) => median(corpus.labels.filter((l) => !l.hostile && l.client === client).map((l) => spansOf(l).filter(isCall).reduce((s, r) => s + bytes(r), 0)));

    it('have an onset inside the session, after the probation period, and a normal start', () => {
      const defs = approved();
      for (const l of corpus.labels.filter((x) => x.hostile)) {
        expect(l.probation).toBe(false);
        expect(BigInt(l.startNs)).toBeGreaterThanOrEqual(BigInt(corpus.probationEndNs));
        expect(l.onsetIndex).toBeGreaterThanOrEqual(1);
        expect(l.onsetIndex).toBeLessThan(l.spans);
        expect(l.onsetNs).toBe(spansOf(l)[l.onsetIndex!]!.Timestamp);
        const listed = everListed(l.service);
        for (const r of spansOf(l).slice(0, l.onsetIndex!)) {
          for (const rule of Object.keys({ ...findings(r, Toolwatch.RESULT_FINDINGS), ...findings(r, Toolwatch.ARGUMENTS_FINDINGS) })) expect(PII.has(rule)).toBe(true);
          if (a(r)[Toolwatch.TOOLS_DEFINITIONS]) expect(definitions(r)).toEqual(defs.get(l.service));
          if (isCall(r)) expect(listed.has(a(r)[Semconv.GEN_AI_TOOL_NAME]!)).toBe(true);
        }
      }
    });

    it('loop: 10+ identical calls within 5 minutes; fast loop: 100+ in a minute', () => {
      const most = (l: SessionLabel, windowMs: number) => {
        const calls = afterOnset(l).filter(isCall);
        const key = callKey(calls[0]!);
        const times = calls.filter((c) => callKey(c) === key).map((c) => ms(c.Timestamp));
        return times.filter((t) => t - times[0]! < windowMs).length;
      };
      for (const l of of('loop')) expect(most(l, 5 * 60_000)).toBeGreaterThanOrEqual(10);
      for (const l of of('loop_fast')) expect(most(l, 60_000)).toBeGreaterThanOrEqual(100);
    });

    it('burst: 40+ different calls within a minute of the onset', () => {
      for (const l of of('burst')) {
        const calls = afterOnset(l).filter(isCall);
        const t0 = ms(calls[0]!.Timestamp);
        const minute = calls.filter((c) => ms(c.Timestamp) - t0 < 60_000);
        expect(minute.length).toBeGreaterThanOrEqual(40);
        expect(new Set(minute.map(callKey)).size).toBeGreaterThanOrEqual(30);
      }
    });

    it('rug pull: one definition changes after earlier sessions approved it, and the tool is used', () => {
      const defs = approved();
      for (const l of of('rug_pull')) {
        const onset = spansOf(l)[l.onsetIndex!]!;
        expect(['tools/list', 'notifications/tools/list_changed']).toContain(a(onset)[Semconv.MCP_METHOD_NAME]);
        const list = afterOnset(l).find((r) => a(r)[Semconv.MCP_METHOD_NAME] === 'tools/list')!;
        const before = defs.get(l.service)!;
        const changed = Object.keys(before).filter((name) => definitions(list)[name] !== before[name]);
        expect(changed).toHaveLength(1);
        expect(Object.keys(definitions(list)).sort()).toEqual(Object.keys(before).sort());
        const approvals = corpus.labels.filter((x) => x.service === l.service && !x.hostile && BigInt(x.startNs) < BigInt(l.onsetNs!));
        expect(approvals.length).toBeGreaterThanOrEqual(5);
        expect(afterOnset(l).some((r) => isCall(r) && a(r)[Semconv.GEN_AI_TOOL_NAME] === changed[0])).toBe(true);
      }
    });

    it('shadowing: list_changed, then a new tool named like a trusted one, then a call to it', () => {
      const defs = approved();
      const trusted = new Set([...defs.values()].flatMap((d) => Object.keys(d)));
      for (const l of of('shadowing')) {
        const onset = spansOf(l)[l.onsetIndex!]!;
        expect(a(onset)[Semconv.MCP_METHOD_NAME]).toBe('notifications/tools/list_changed');
        expect(onset.SpanKind).toBe('Client');
        const list = afterOnset(l).find((r) => a(r)[Semconv.MCP_METHOD_NAME] === 'tools/list')!;
        const added = Object.keys(definitions(list)).filter((n) => !(n in defs.get(l.service)!));
        expect(added).toHaveLength(1);
        const name = added[0]!;
        expect(trusted.has(name) || [...trusted].some((t) => editDistance(name, t) <= 2)).toBe(true);
        expect(afterOnset(l).some((r) => isCall(r) && a(r)[Semconv.GEN_AI_TOOL_NAME] === name)).toBe(true);
      }
    });

    it('unadvertised tool: the onset calls a tool no tools/list of the server ever showed', () => {
      for (const l of of('unadvertised_tool')) {
        const onset = spansOf(l)[l.onsetIndex!]!;
        expect(isCall(onset)).toBe(true);
        expect(everListed(l.service).has(a(onset)[Semconv.GEN_AI_TOOL_NAME]!)).toBe(false);
      }
    });

    it('bulk egress: more than 10× the client’s median session bytes', () => {
      for (const l of of('bulk_egress')) {
        const total = spansOf(l).filter(isCall).reduce((s, r) => s + bytes(r), 0);
        expect(total).toBeGreaterThan(10 * clientMedian(l.client));
      }
    });

    it('slow egress: normal-sized reads at a low rate, adding up past 10× the median over a long time', () => {
      const largest = new Map<string, number>();
      for (const l of corpus.labels.filter((x) => !x.hostile && x.family !== 'batch')) {
        for (const r of spansOf(l).filter(isCall)) {
          const k = `${l.service}/${a(r)[Semconv.GEN_AI_TOOL_NAME]}`;
          largest.set(k, Math.max(largest.get(k) ?? 0, bytes(r)));
        }
      }
      for (const l of of('slow_egress')) {
        const calls = afterOnset(l).filter(isCall);
        const total = spansOf(l).filter(isCall).reduce((s, r) => s + bytes(r), 0);
        const minutes = (ms(calls.at(-1)!.Timestamp) - ms(calls[0]!.Timestamp)) / 60_000;
        expect(total).toBeGreaterThan(10 * clientMedian(l.client));
        expect(minutes).toBeGreaterThanOrEqual(30);
        expect(calls.length / minutes).toBeLessThan(6);
        const tool = a(calls[0]!)[Semconv.GEN_AI_TOOL_NAME];
        for (const c of calls.filter((x) => a(x)[Semconv.GEN_AI_TOOL_NAME] === tool)) expect(bytes(c)).toBeLessThanOrEqual(largest.get(`${l.service}/${tool}`)!);
      }
    });

    it('secret egress and env scraping: the findings are on the onset call', () => {
      for (const l of of('secret_egress')) {
        const rules = Object.keys(findings(spansOf(l)[l.onsetIndex!]!, Toolwatch.RESULT_FINDINGS));
        expect(rules.some((r) => !PII.has(r))).toBe(true);
      }
      for (const l of of('env_scraping')) {
        expect(findings(spansOf(l)[l.onsetIndex!]!, Toolwatch.ARGUMENTS_FINDINGS)).toEqual({ 'sensitive-path': 1 });
      }
    });
  });
});
