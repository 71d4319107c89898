import type { FindingKind } from './api.js';

/** Where a detector found something: UTF-16 offsets, end exclusive. */
export interface Span {
  start: number;
  end: number;
}

/**
 * Tries one pattern at a prefilter hit. `at` is where the keyword (or trigger) matched, so
 * every pattern is anchored and a miss costs a few steps, never a scan of the text.
 * A number is a hint that no hit before that offset can match (a rejected digit run), so
 * the prefilter skips ahead instead of retrying inside the run. `after` is where the
 * keyword ends, for patterns that need not read it again.
 */
export type Matcher = (text: string, at: number, after: number) => Span | number | null;

export interface Detector {
  /** Literal ASCII strings the prefilter looks for, case-insensitively; the matcher runs
   * only where one occurs (and checks case itself where case matters). */
  keywords?: readonly string[];
  /** For PII with no literal anchor (phone, card, IBAN): a cheap regex (flag g) run instead. */
  trigger?: RegExp;
  match: Matcher;
}

export interface Rule {
  /** Stable id: what findings, spans and alerts carry. */
  id: string;
  kind: FindingKind;
  /** Wins when findings of two rules overlap: a vendor rule names a secret better than the
   * generic `key = value` rule that also saw it. */
  priority: number;
  description: string;
  detectors: readonly Detector[];
}

/** A sticky regex tried at the hit (or, with `afterKeyword`, where the keyword ends);
 * `group` picks the secret out of its context (`password=` stays, the value goes). */
export function sticky(
  source: string,
  opts: { flags?: string; group?: number | readonly number[]; afterKeyword?: boolean; check?: (value: string, m: RegExpExecArray) => boolean } = {},
): Matcher {
  const re = new RegExp(source, `${opts.flags ?? ''}yd`);
  const groups = opts.group === undefined ? [0] : typeof opts.group === 'number' ? [opts.group] : opts.group;
  const afterKeyword = opts.afterKeyword === true;
  return (text, at, after) => {
    re.lastIndex = afterKeyword ? after : at;
    const m = re.exec(text);
    if (m === null) return null;
    for (const g of groups) {
      const value = m[g];
      const range = m.indices?.[g];
      if (value === undefined || range === undefined) continue;
      if (opts.check && !opts.check(value, m)) return null;
      return { start: range[0], end: range[1] };
    }
    return null;
  };
}
