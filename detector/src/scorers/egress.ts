import { findingKind, Toolwatch } from '@toolwatch/schemas';
import { BaselineTable, type BaselineOptions } from '../baselines/baseline-table.js';
import { RecentValues } from '../baselines/recent-values.js';
import type { ObservedSpan, SessionState } from '../session.js';
import { clientKeys, keysOf, learnSession, type SessionHistory } from './rate.js';
import { formatBytes } from './format.js';
import { fromZ, NO_FINDINGS, overThreshold, refOf, spanEvidence, type Finding, type Scorer, type SpanRef } from './scorer.js';

export interface EgressConfig {
  /** Hard cap on what one session receives, whatever was learned. */
  maxSessionBytes: number;
  /** The running session total without its largest response, against the same in the client's recent sessions: past `maxFactor`
   * times the largest of them, `medianFactor` times their median, and `minBytes`. */
  session: { maxFactor: number; medianFactor: number; minBytes: number };
  /** Responses against the client's learned responses from the same tool: those past
   * `zThreshold` add up per session, and alert once they reach `minBytes` (one very large
   * answer, or several merely large ones: bulk reads split to stay under a per-call cap). */
  call: { zThreshold: number; minBytes: number };
  /** Personal data items (cards, IBANs, e-mail, phone) in one session's results. */
  maxPiiItems: number;
  baseline: BaselineOptions;
  history: SessionHistory;
}

interface EgressSlot {
  bytes: number;
  largest: (SpanRef & { bytes: number })[];
  /** Responses far above the tool's usual size (the first 32), and all their bytes. */
  outliers: (SpanRef & { bytes: number; tool: string })[];
  outlierBytes: number;
  pii: number;
  alerted: string[];
}

const MAX_SECRET_KINDS = 16;

const EGRESS_METHODS = new Set(['tools/call', 'resources/read', 'prompts/get']);

/** Large egress: single responses and session totals against learned baselines, a hard
 * cap, and secrets or bulk personal data found in what went back to the client. */
export class EgressScorer implements Scorer {
  readonly name = 'egress';
  readonly kind = 'egress' as const;
  private readonly calls: BaselineTable;
  /** Per client: its recent sessions' totals without their largest response. */
  private readonly trimmed: RecentValues;

  constructor(private readonly config: EgressConfig) {
    this.calls = new BaselineTable(config.baseline);
    this.trimmed = new RecentValues(config.history.sessions, config.history.maxKeys);
  }

  observe(span: ObservedSpan, session: SessionState): Finding[] {
    if (!EGRESS_METHODS.has(span.method)) return NO_FINDINGS;
    const bytes = Number(span.record.SpanAttributes[Toolwatch.RESPONSE_BYTES] ?? 0);
    if (!Number.isFinite(bytes) || bytes < 0) return NO_FINDINGS;
    const s = session.slot<EgressSlot>(this.name, () => ({ bytes: 0, largest: [], outliers: [], outlierBytes: 0, pii: 0, alerted: [] }));
    s.bytes += bytes;
    keepLargest(s.largest, span, bytes);

    // Measures that grow (bytes, items) are reported while over: the engine updates their
    // alert when it grows more severe.
    let found: Finding[] | undefined;
    const large = this.largeResponses(span, session, s, bytes);
    if (large) (found ??= []).push(large);
    const total = this.sessionBytes(span, session, s);
    if (total) (found ??= []).push(total);
    const raw = span.record.SpanAttributes[Toolwatch.RESULT_FINDINGS];
    if (raw) {
      for (const [rule, count] of Object.entries(parseCounts(raw))) {
        const kind = findingKind(rule);
        if (kind === 'pii') s.pii += count;
        else if (kind === 'secret') {
          const secret = this.secret(span, s, rule, count);
          if (secret) (found ??= []).push(secret);
        }
      }
    }
    if (s.pii > this.config.maxPiiItems) {
      (found ??= []).push({
        rule: 'egress.bulk_personal_data',
        entity: '',
        windowStartNs: session.firstNs,
        ...overThreshold(s.pii, this.config.maxPiiItems),
        title: `${s.pii} personal data items sent to the client in one session (limit ${this.config.maxPiiItems})`,
        tool: span.tool,
        evidence: { observed: s.pii, baseline: null, threshold: this.config.maxPiiItems, unit: 'personal data items', windowMs: null, ...spanEvidence(s.largest) },
        tags: ['safe-mcp:SAFE-T1913'],
      });
    }
    return found ?? NO_FINDINGS;
  }

  /** Responses far above the tool's usual size, added up per session against the floor. */
  private largeResponses(span: ObservedSpan, session: SessionState, s: EgressSlot, bytes: number): Finding | undefined {
    const callKeys = keysOf(session, span, span.tool || span.method);
    const call = this.calls.judge(callKeys, bytes);
    if (!call.warm || call.z <= this.config.call.zThreshold) {
      if (bytes > 0) this.calls.learn(callKeys, bytes);
      return undefined;
    }
    // An outlier is held back, not learned: the next one must look as unusual as this one
    // did. If the session ends without an alert, it was normal after all (a tool whose
    // answers grew), and `end` learns it then.
    this.calls.learnCold(callKeys, bytes);
    s.outlierBytes += bytes;
    if (s.outliers.length < 32) s.outliers.push({ spanId: span.record.SpanId, traceId: span.record.TraceId, bytes, tool: span.tool || span.method });
    if (s.outlierBytes < this.config.call.minBytes) return undefined;
    const from = span.tool || span.method;
    return {
      rule: 'egress.large_response',
      entity: '',
      windowStartNs: session.firstNs,
      ...fromZ(call.z, this.config.call.zThreshold),
      title:
        s.outliers.length === 1
          ? `one response of ${formatBytes(bytes)} from "${from}", against ${formatBytes(call.baseline ?? 0)} usual for this client`
          : `${s.outliers.length} responses of ${formatBytes(s.outlierBytes)} in all, each far above its tool's usual size (this one ${formatBytes(bytes)} from "${from}", usually ${formatBytes(call.baseline ?? 0)})`,
      tool: span.tool,
      evidence: { observed: s.outlierBytes, baseline: Math.round(call.baseline ?? 0), threshold: this.config.call.minBytes, unit: 'bytes in responses far above usual', windowMs: null, ...spanEvidence(s.outliers) },
      tags: ['safe-mcp:SAFE-T1802'],
    };
  }

  /** The session's total against the client's history, or past the hard cap. */
  private sessionBytes(span: ObservedSpan, session: SessionState, s: EgressSlot): Finding | undefined {
    // Without its largest response: one big answer is the large-response rule's to judge
    // (per tool), and a client's occasional legitimate export must not make every
    // session with one look like exfiltration.
    const over = this.overHistory(span, session, s.bytes - largestOf(s));
    if (over) {
      return {
        rule: 'egress.session_bytes',
        entity: '',
        windowStartNs: session.firstNs,
        ...overThreshold(over.observed, over.limit),
        title: `${formatBytes(over.observed)} of ordinary responses (${formatBytes(s.bytes)} in all) sent to the client in one session, against at most ${formatBytes(over.max)} (median ${formatBytes(over.median)}) in this client's recent sessions`,
        tool: span.tool,
        evidence: { observed: over.observed, baseline: over.median, threshold: Math.round(over.limit), unit: 'bytes without the largest response', windowMs: null, ...spanEvidence(s.largest) },
        tags: ['safe-mcp:SAFE-T1802'],
      };
    }
    if (s.bytes <= this.config.maxSessionBytes) return undefined;
    return {
      rule: 'egress.session_bytes',
      entity: '',
      windowStartNs: session.firstNs,
      ...overThreshold(s.bytes, this.config.maxSessionBytes),
      title: `${formatBytes(s.bytes)} sent to the client in one session (limit ${formatBytes(this.config.maxSessionBytes)})`,
      tool: span.tool,
      evidence: { observed: s.bytes, baseline: null, threshold: this.config.maxSessionBytes, unit: 'bytes', windowMs: null, ...spanEvidence(s.largest) },
      tags: ['safe-mcp:SAFE-T1802'],
    };
  }

  /** A kind of secret in a result: once per kind and session, and at most
   * `MAX_SECRET_KINDS` kinds (a span can name any number of rules: its findings attribute
   * is a sender's word, and thousands of alerts would drown the SIEM, not inform it). */
  private secret(span: ObservedSpan, s: EgressSlot, rule: string, count: number): Finding | undefined {
    const key = `egress.secret_in_result\u0000${rule}`;
    if (s.alerted.length >= MAX_SECRET_KINDS || s.alerted.includes(key)) return undefined;
    s.alerted.push(key);
    return {
      rule: 'egress.secret_in_result',
      entity: rule,
      windowStartNs: span.timeNs,
      score: 85,
      severity: 'high',
      title: `${count} ${rule} secret${count > 1 ? 's' : ''} in a response from "${span.tool || span.method}"`,
      tool: span.tool,
      evidence: { observed: count, baseline: null, threshold: 0, unit: `${rule} findings`, windowMs: null, ...spanEvidence([refOf(span)]) },
      tags: ['safe-mcp:SAFE-T1804'],
    };
  }

  end(session: SessionState): void {
    const s = session.slot<EgressSlot | undefined>(this.name, () => undefined);
    if (s && session.alerts === 0) for (const o of s.outliers) this.calls.learn(clientKeys(session.service, session.clientName, o.tool), o.bytes);
    const keys = clientKeys(session.service, session.clientName);
    learnSession(this.trimmed, keys, s ? s.bytes - largestOf(s) : 0, session.alerts > 0, this.config.history.minSessions);
  }

  /** A session measure past its history: `maxFactor` times the largest, `medianFactor`
   * times the median, and `minBytes`. */
  private overHistory(span: ObservedSpan, session: SessionState, observed: number) {
    const usual = this.trimmed.summary(keysOf(session, span), this.config.history.minSessions);
    if (!usual) return undefined;
    const { maxFactor, medianFactor, minBytes } = this.config.session;
    const limit = Math.max(minBytes, maxFactor * usual.max, medianFactor * usual.median);
    return observed > limit ? { observed, limit, max: usual.max, median: usual.median } : undefined;
  }

  snapshot(): unknown {
    return { calls: this.calls.toJSON(), trimmed: this.trimmed.toJSON() };
  }

  restore(state: unknown): void {
    const saved = state as { calls: never; trimmed: Record<string, number[]> };
    this.calls.restore(saved.calls);
    this.trimmed.restore(saved.trimmed);
  }
}

export function parseCounts(raw: string | undefined): Record<string, number> {
  if (!raw) return {};
  try {
    const parsed = JSON.parse(raw) as unknown;
    if (typeof parsed !== 'object' || parsed === null) return {};
    return Object.fromEntries(Object.entries(parsed).filter(([, v]) => typeof v === 'number' && v > 0)) as Record<string, number>;
  } catch {
    return {}; // a broken attribute must not stop scoring; the span is still stored
  }
}

/** The largest single response: the session total without it is what a trickle of
 * ordinary reads adds up to, and a legitimate one-off export does not inflate. */
const largestOf = (s: EgressSlot): number => s.largest[0]?.bytes ?? 0;

/** The 8 largest responses, largest first; among equals the earlier stays ahead. */
function keepLargest(largest: (SpanRef & { bytes: number })[], span: ObservedSpan, bytes: number): void {
  if (largest.length >= 8 && bytes <= largest[largest.length - 1]!.bytes) return;
  let i = largest.length;
  while (i > 0 && largest[i - 1]!.bytes < bytes) i--;
  largest.splice(i, 0, { spanId: span.record.SpanId, traceId: span.record.TraceId, bytes });
  if (largest.length > 8) largest.length = 8;
}
