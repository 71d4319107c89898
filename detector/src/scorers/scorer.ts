import type { AlertKind, Evidence, Severity } from '@toolwatch/schemas';
import type { ObservedSpan, SessionState } from '../session.js';

/** What a scorer found: the engine turns it into an alert record with a deterministic id. */
export interface Finding {
  /** The detection, e.g. `rate.burst`; with the entity and window it names the alert. */
  rule: string;
  /** Narrows the entity beyond the session (e.g. the tool), so one session can raise
   * one alert per tool; '' when the session is the entity. */
  entity: string;
  /** Event time that, with the rule and entity, names the alert. */
  windowStartNs: string;
  severity: Severity;
  score: number;
  title: string;
  tool: string;
  evidence: Evidence;
  tags: string[];
}

/**
 * One kind of detection. `observe` sees every span of every session in event order per
 * session, scores it against what it has learned (score, then learn; what it flags it
 * does not learn), and returns what it found. `end` is told when a session has gone idle,
 * for what only a whole session teaches (its total bytes, its most repeated call). Per-
 * session state lives in `session.slot(name, …)` as plain JSON. No I/O, no wall clock.
 */
export interface Scorer {
  readonly name: string;
  readonly kind: AlertKind;
  observe(span: ObservedSpan, session: SessionState): Finding[];
  end?(session: SessionState): void;
  /** Learned state, as plain JSON, and its restoration (restart, rebalance). */
  snapshot?(): unknown;
  restore?(state: unknown): void;
}

/** What a scorer returns when it found nothing: shared, so a quiet span allocates nothing. */
export const NO_FINDINGS: Finding[] = Object.freeze([]) as unknown as Finding[];

/** A record keyed by names that come from spans (tools, services, rules): no prototype, so
 * a tool named `constructor` or `__proto__` is a key like any other. */
export const dict = <T>(): Record<string, T> => Object.create(null) as Record<string, T>;

/** The same for a record read back from a snapshot, which comes with Object's prototype. */
export const asDict = <T>(o: Record<string, T>): Record<string, T> => (Object.getPrototypeOf(o) === null ? o : Object.assign(dict<T>(), o));

/** Severity and a 0–100 score from how far past its threshold an observation is. */
export function overThreshold(observed: number, threshold: number): { score: number; severity: Severity } {
  const ratio = threshold > 0 ? observed / threshold : Number.POSITIVE_INFINITY;
  return scored(50 + 25 * Math.log2(Math.max(ratio, 1)));
}

/** The same from a z-score against a learned baseline. */
export function fromZ(z: number, threshold: number): { score: number; severity: Severity } {
  return scored(50 + 10 * (Math.abs(z) - threshold));
}

function scored(raw: number): { score: number; severity: Severity } {
  const score = Math.max(0, Math.min(100, Math.round(raw)));
  const severity: Severity = score >= 90 ? 'critical' : score >= 75 ? 'high' : score >= 60 ? 'medium' : 'low';
  return { score, severity };
}

export interface SpanRef {
  spanId: string;
  traceId: string;
}
export const refOf = (s: ObservedSpan): SpanRef => ({ spanId: s.record.SpanId, traceId: s.record.TraceId });

export const spanEvidence = (refs: SpanRef[]) => ({
  spanIds: refs.slice(0, 32).map((r) => r.spanId),
  traceIds: [...new Set(refs.slice(0, 32).map((r) => r.traceId))],
});
