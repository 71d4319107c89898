import type { AlertKind, Evidence, Severity } from '@toolwatch/schemas';
import type { ObservedSpan, SessionState } from '../session.js';

/** What a scorer found: the engine turns it into an alert record with a deterministic id. */
export interface Finding {
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
 * One detection. `observe` sees every span of every session in event order per session,
 * scores it against what it has learned, and returns a finding or nothing. It keeps
 * per-session state in `session.slot(rule, …)`. It does no I/O.
 */
export interface Scorer {
  readonly rule: string;
  readonly kind: AlertKind;
  observe(span: ObservedSpan, session: SessionState): Finding | undefined;
}

/** Severity and a 0–100 score from how far past its threshold an observation is. */
export function overThreshold(observed: number, threshold: number): { score: number; severity: Severity } {
  const ratio = threshold > 0 ? observed / threshold : Number.POSITIVE_INFINITY;
  const score = Math.min(100, Math.round(50 + 25 * Math.log2(Math.max(ratio, 1))));
  const severity: Severity = score >= 90 ? 'critical' : score >= 75 ? 'high' : score >= 60 ? 'medium' : 'low';
  return { score, severity };
}

export const spanEvidence = (spans: ObservedSpan[]) => ({
  spanIds: spans.slice(0, 32).map((s) => s.record.SpanId),
  traceIds: [...new Set(spans.slice(0, 32).map((s) => s.record.TraceId))],
});
