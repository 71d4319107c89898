import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@toolwatch/detector';
import { Toolwatch, type AlertRecord, type SpanRecord } from '@toolwatch/schemas';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { evalCommand, generateCorpus, HOSTILE_FAMILIES, loadRules, recordsBySession, runEval, type Corpus, type Detector, type EvalReport } from '../src/eval/index.js';

const alert = (rule: string, sessionKey: string) => ({ rule, sessionKey, status: 'open' }) as AlertRecord;
const keyOf = (r: SpanRecord) => r.SpanAttributes[Toolwatch.SESSION_KEY]!;
const median = (xs: number[]) => {
  const s = [...xs].sort((x, y) => x - y);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** A detector that alerts on the spans a function picks. */
const on = (pick: (r: SpanRecord) => boolean, rule = 'test.rule'): Detector => ({
  process: (r) => (pick(r) ? [alert(rule, keyOf(r))] : []),
});

describe('evaluation of a detector on the corpus', () => {
  let corpus: Corpus;
  let onsets: Set<string>;
  let firsts: Set<string>;
  let lasts: Set<string>;

  beforeAll(() => {
    corpus = generateCorpus({ benign: 300, hostile: 100, seed: 3 });
    const sessions = recordsBySession(corpus.records);
    const spans = (key: string) => sessions.get(key)!;
    const hostile = corpus.labels.filter((l) => l.hostile);
    onsets = new Set(hostile.map((l) => spans(l.sessionKey)[l.onsetIndex!]!.SpanId));
    lasts = new Set(hostile.map((l) => spans(l.sessionKey).at(-1)!.SpanId));
    firsts = new Set(corpus.labels.filter((l) => !l.hostile).map((l) => spans(l.sessionKey)[0]!.SpanId));
  });

  const family = (report: EvalReport, name: string) => report.families.find((f) => f.family === name)!;

  it('gives the perfect detector full recall, 0 calls to alert, no false alert and NAB 100', () => {
    const report = runEval({ corpus, detector: on((r) => onsets.has(r.SpanId), 'oracle') });
    for (const name of HOSTILE_FAMILIES) {
      expect(family(report, name)).toMatchObject({ sessions: 10, detected: 10, recall: 1, medianCallsToAlert: 0, falseAlerts: 0, firstAlertRules: { oracle: 10 } });
      expect(family(report, name).nab).toEqual({ standard: 100, reward_low_FP: 100, reward_low_FN: 100 });
    }
    expect(report.total).toMatchObject({ recall: 1, medianCallsToAlert: 0, falseAlerts: 0, falseAlertsPer1kBenign: 0, nab: { standard: 100, reward_low_FP: 100 } });
    expect(report.alerts).toBe(100);
  });

  it('gives the null detector no recall and NAB 0', () => {
    const report = runEval({ corpus, detector: on(() => false) });
    expect(report.total).toMatchObject({ detected: 0, recall: 0, medianCallsToAlert: null, falseAlerts: 0, nab: { standard: 0, reward_low_FP: 0 } });
    expect(family(report, 'loop')).toMatchObject({ recall: 0, medianCallsToAlert: null, nab: { standard: 0 } });
  });

  it('scores a detection at the last span below one at the onset, and counts the calls in between', () => {
    const report = runEval({ corpus, detector: on((r) => lasts.has(r.SpanId)) });
    const expected = corpus.labels.filter((l) => l.hostile && l.family === 'loop_fast').map((l) => l.spans - 1 - l.onsetIndex!);
    expect(family(report, 'loop_fast').medianCallsToAlert).toBe(median(expected));
    expect(report.total.recall).toBe(1);
    expect(report.total.nab.standard!).toBeGreaterThan(0);
    expect(report.total.nab.standard!).toBeLessThan(100);
  });

  it('counts alerts in benign sessions, and before the onset, as false, per 1,000 benign sessions', () => {
    const report = runEval({ corpus, detector: on((r) => onsets.has(r.SpanId) || firsts.has(r.SpanId)) });
    const benignScored = corpus.labels.filter((l) => !l.hostile && !l.probation);
    const warmup = corpus.labels.filter((l) => l.probation);
    expect(report.total).toMatchObject({ benignSessions: 300, hostileSessions: 100, falseAlerts: 300, falseAlertsPer1kBenign: 1000, warmupSessions: warmup.length, warmupAlerts: warmup.length });
    expect(family(report, 'support').falseAlertsPer1k).toBe(1000);
    // S = 100 windows found at once − 0.11 per benign false alert; S_null = −100, S_perfect = 100.
    expect(report.total.nab.standard).toBeCloseTo((100 * (200 - 0.11 * benignScored.length)) / 200, 8);
    expect(report.total.nab.reward_low_FP).toBeCloseTo((100 * (200 - 0.22 * benignScored.length)) / 200, 8);
    // Each family pays its share (a tenth here) of the benign false alerts.
    expect(family(report, 'burst').nab!.standard).toBeCloseTo(report.total.nab.standard!, 8);

    // `initialize` comes before every onset: an alert there finds nothing and is false.
    const early = runEval({ corpus, detector: on((r) => r.SpanAttributes['mcp.method.name'] === 'initialize') });
    expect(early.total).toMatchObject({ recall: 0, falseAlerts: 300 + 100 });
  });

  it('places an alert that names another session on that session’s latest span', () => {
    const target = corpus.labels.find((l) => l.family === 'secret_egress')!;
    let armed = false;
    let later = 0; // spans of the target seen after its onset, before the alert
    const detector: Detector = {
      process: (r) => {
        const own = keyOf(r) === target.sessionKey;
        if (own && r.Timestamp === target.onsetNs) armed = true;
        else if (armed && own) later += 1;
        else if (armed) {
          armed = false;
          return [alert('cross.session', target.sessionKey)];
        }
        return [];
      },
    };
    const report = runEval({ corpus, detector });
    expect(family(report, 'secret_egress')).toMatchObject({ detected: 1, falseAlerts: 0, medianCallsToAlert: later });
    expect(report.total.falseAlerts).toBe(0);
  });

  it('is the same report when the same corpus is scored again', () => {
    const d = () => on((r) => r.SpanId.startsWith('a'));
    expect(runEval({ corpus, detector: d() })).toEqual(runEval({ corpus, detector: d() }));
  });
});

describe('toolwatch eval command', () => {
  afterEach(() => vi.restoreAllMocks());

  const capture = async (argv: string[]) => {
    let out = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      out += String(chunk);
      return true;
    });
    const logs: string[] = [];
    const code = await evalCommand(argv, (level, m) => logs.push(`${level}: ${m}`));
    vi.restoreAllMocks();
    return { code, out, logs };
  };

  it('prints the figures as JSON, writes the corpus, and a table by default', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tw-eval-'));
    const json = await capture(['--benign', '60', '--hostile', '20', '--seed', '5', '--json', '--out', dir]);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.out) as EvalReport;
    expect(report.seed).toBe(5);
    expect(report.total).toMatchObject({ benignSessions: 60, hostileSessions: 20 });
    expect(report.families.filter((f) => f.hostile).map((f) => f.family)).toEqual([...HOSTILE_FAMILIES]);
    const labels = readFileSync(join(dir, 'labels.jsonl'), 'utf8').trim().split('\n');
    expect(labels).toHaveLength(60 + 20 + report.total.warmupSessions);
    expect(readFileSync(join(dir, 'spans.jsonl'), 'utf8').trim().split('\n')).toHaveLength(report.spans);

    const table = await capture(['--benign', '60', '--hostile', '20', '--seed', '5']);
    expect(table.out).toMatch(/^family +sessions +recall +median calls +false\/1k +NAB std +NAB low-FP/m);
    expect(table.out).toMatch(/^total +80 /m);
    expect(table.logs.some((l) => /spans generated and scored in/.test(l))).toBe(true);
  });

  it('reads rules from a detector configuration or a bare rules object, and names a bad key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tw-eval-rules-'));
    const write = (name: string, body: unknown) => {
      writeFileSync(join(dir, name), JSON.stringify(body));
      return join(dir, name);
    };
    expect(loadRules(write('bare.json', {}))).toEqual(loadRules(write('wrapped.json', { rules: {} })));
    expect(() => loadRules(write('typo.json', { noSuchRule: {} }))).toThrow(/noSuchRule/);
    expect(() => loadRules(join(dir, 'missing.json'))).toThrow(ConfigError);
  });

  it('refuses a count that is not a number', async () => {
    await expect(evalCommand(['--benign', 'many'], () => {})).rejects.toThrow(/--benign/);
  });
});
