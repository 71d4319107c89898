import type { RedactionFinding } from './api.js';
import { KeywordAutomaton } from './keyword-automaton.js';
import type { Detector, Rule } from './rule.js';
import { RULES } from './rules.js';

/**
 * The scan: two prefilter passes, and detectors only where they hit, anchored there.
 *  1. every literal keyword of every rule, in one Aho-Corasick automaton;
 *  2. the digit-shaped PII triggers (cards, IBANs, national phone numbers), in one regex,
 *     spelled `\d\d\d\d` rather than `\d{4}`, which V8 searches with Boyer-Moore skips.
 * Benign text costs the two passes and little else.
 */

export interface RawFinding {
  rule: Rule;
  start: number;
  end: number;
}

interface Bound {
  rule: Rule;
  detector: Detector;
  /** Index into the per-scan `ends` array. */
  index: number;
}

export interface CompiledRules {
  keywords: KeywordAutomaton<Bound>;
  trigger: RegExp | undefined;
  triggered: Bound[];
  detectors: number;
}

export function compileRules(rules: readonly Rule[]): CompiledRules {
  const entries: { keyword: string; value: Bound }[] = [];
  const triggered: Bound[] = [];
  let index = 0;
  for (const rule of rules) {
    for (const detector of rule.detectors) {
      const bound = { rule, detector, index: index++ };
      for (const keyword of detector.keywords ?? []) entries.push({ keyword, value: bound });
      if (detector.trigger) triggered.push(bound);
    }
  }
  const sources = triggered.map((b) => b.detector.trigger?.source);
  return {
    keywords: new KeywordAutomaton(entries),
    trigger: sources.length > 0 ? new RegExp(sources.map((s) => `(?:${s})`).join('|'), 'g') : undefined,
    triggered,
    detectors: index,
  };
}

const COMPILED = compileRules(RULES);

/**
 * Every match of every rule, overlapping. A detector is not run again at a hit inside its
 * own last match: that would find a part of what it found (and on `cookie: a=1 cookie: …`
 * redo a long match at every keyword), so each detector reads each character about once.
 */
export function detect(text: string, out: RawFinding[] = [], compiled: CompiledRules = COMPILED): RawFinding[] {
  const ends = new Int32Array(compiled.detectors);
  const run = (bound: Bound, at: number, after: number): number | null => {
    if (at < (ends[bound.index] as number)) return null;
    const r = bound.detector.match(text, at, after);
    if (r === null || typeof r === 'number') return r;
    if (r.end > r.start) {
      out.push({ rule: bound.rule, start: r.start, end: r.end });
      ends[bound.index] = r.end;
    }
    return null;
  };
  compiled.keywords.scan(text, (end, hits) => {
    for (const { value, length } of hits) run(value, end - length, end);
  });
  const re = compiled.trigger;
  if (re === undefined) return out;
  re.lastIndex = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const at = m.index;
    let next = at + 1;
    // Every digit-shaped detector runs at every hit: each rejects a foreign shape in a step
    // or two, and a number means "no match inside this digit run", which all of them share.
    for (const bound of compiled.triggered) {
      const skip = run(bound, at, at + m[0].length);
      if (skip !== null) next = Math.max(next, skip);
    }
    re.lastIndex = next;
  }
  return out;
}

/**
 * Overlapping matches become one finding over their union, named by the most specific
 * rule: `"token": "ghp_…"` is a GitHub token, and nothing of either match survives.
 */
export function resolve(raw: RawFinding[]): RedactionFinding[] {
  if (raw.length === 0) return [];
  raw.sort((a, b) => a.start - b.start || b.end - a.end);
  const out: RedactionFinding[] = [];
  const first = raw[0] as RawFinding;
  let best = first.rule;
  let start = first.start;
  let end = first.end;
  for (let i = 1; i < raw.length; i++) {
    const f = raw[i] as RawFinding;
    if (f.start < end) {
      if (f.rule.priority > best.priority) best = f.rule;
      if (f.end > end) end = f.end;
      continue;
    }
    out.push({ rule: best.id, kind: best.kind, start, end });
    best = f.rule;
    start = f.start;
    end = f.end;
  }
  out.push({ rule: best.id, kind: best.kind, start, end });
  return out;
}

export function countFindings(findings: readonly RedactionFinding[], into: Record<string, number> = {}): Record<string, number> {
  for (const f of findings) into[f.rule] = (into[f.rule] ?? 0) + 1;
  return into;
}
