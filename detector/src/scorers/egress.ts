import { findingKind, Toolwatch } from '@toolwatch/schemas';
import { BaselineTable, type BaselineOptions } from '../baselines/baseline-table.js';
import { RecentValues } from '../baselines/recent-values.js';
import type { ObservedSpan, SessionState } from '../session.js';
import { clientKeys, learnSession, spanKeys, type SessionHistory } from './rate.js';
import { formatBytes } from './format.js';
import { fromZ, overThreshold, refOf, spanEvidence, type Finding, type Scorer, type SpanRef } from './scorer.js';

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
  /** The largest single response: the session total without it is what a trickle of
   * ordinary reads adds up to, and a legitimate one-off export does not inflate. */
  largestResponse: number;
  largest: (SpanRef & { bytes: number })[];
  /** Responses far above the tool's usual size, and their bytes. */
  outliers: (SpanRef & { bytes: number })[];
  outlierBytes: number;
  pii: number;
  alerted: string[];
}

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
    if (!EGRESS_METHODS.has(span.method)) return [];
    const bytes = Number(span.record.SpanAttributes[Toolwatch.RESPONSE_BYTES] ?? 0);
    if (!Number.isFinite(bytes) || bytes < 0) return [];
    const s = session.slot<EgressSlot>(this.name, () => ({ bytes: 0, largestResponse: 0, largest: [], outliers: [], outlierBytes: 0, pii: 0, alerted: [] }));
    s.bytes += bytes;
    s.largestResponse = Math.max(s.largestResponse, bytes);
    s.largest.push({ ...refOf(span), bytes });
    s.largest.sort((a, b) => b.bytes - a.bytes);
    if (s.largest.length > 8) s.largest.length = 8;

    const found: Finding[] = [];
    const once = (rule: string, make: () => Finding) => {
      if (s.alerted.includes(rule)) return;
      s.alerted.push(rule);
      found.push(make());
    };
    // Measures that grow (bytes, items) are reported while over, at most once a span: the
    // engine updates their alert when it grows more severe.
    const reported = new Set<string>();
    const whileOver = (rule: string, make: () => Finding) => {
      if (reported.has(rule)) return;
      reported.add(rule);
      found.push(make());
    };
    const evidence = () => spanEvidence(s.largest);

    const callKeys = spanKeys(span, span.tool || span.method);
    const call = this.calls.judge(callKeys, bytes);
    if (call.warm && call.z > this.config.call.zThreshold) {
      // An outlier is not learned: the next one must look as unusual as this one did.
      this.calls.learnCold(callKeys, bytes);
      s.outlierBytes += bytes;
      if (s.outliers.length < 32) s.outliers.push({ ...refOf(span), bytes });
      if (s.outlierBytes >= this.config.call.minBytes) {
        whileOver('egress.large_response', () => ({
          rule: 'egress.large_response',
          entity: '',
          windowStartNs: session.firstNs,
          ...fromZ(call.z, this.config.call.zThreshold),
          title:
            s.outliers.length === 1
              ? `one response of ${formatBytes(bytes)} from "${span.tool || span.method}", against ${formatBytes(call.baseline ?? 0)} usual for this client`
              : `${s.outliers.length} responses of ${formatBytes(s.outlierBytes)} in all, each far above its tool's usual size (this one ${formatBytes(bytes)} from "${span.tool || span.method}", usually ${formatBytes(call.baseline ?? 0)})`,
          tool: span.tool,
          evidence: { observed: s.outlierBytes, baseline: Math.round(call.baseline ?? 0), threshold: this.config.call.minBytes, unit: 'bytes in responses far above usual', windowMs: null, ...spanEvidence(s.outliers) },
          tags: ['safe-mcp:SAFE-T1802'],
        }));
      }
    } else if (bytes > 0) this.calls.learn(callKeys, bytes);

    // Without its largest response: one big answer is the large-response rule's to judge
    // (per tool), and a client's occasional legitimate export must not make every
    // session with one look like exfiltration.
    const over = this.overHistory(span, s.bytes - s.largestResponse);
    if (over) {
      whileOver('egress.session_bytes', () => ({
        rule: 'egress.session_bytes',
        entity: '',
        windowStartNs: session.firstNs,
        ...overThreshold(over.observed, over.limit),
        title: `${formatBytes(over.observed)} of ordinary responses (${formatBytes(s.bytes)} in all) sent to the client in one session, against at most ${formatBytes(over.max)} (median ${formatBytes(over.median)}) in this client's recent sessions`,
        tool: span.tool,
        evidence: { observed: over.observed, baseline: over.median, threshold: Math.round(over.limit), unit: 'bytes without the largest response', windowMs: null, ...evidence() },
        tags: ['safe-mcp:SAFE-T1802'],
      }));
    }
    if (s.bytes > this.config.maxSessionBytes) {
      whileOver('egress.session_bytes', () => ({
        rule: 'egress.session_bytes',
        entity: '',
        windowStartNs: session.firstNs,
        ...overThreshold(s.bytes, this.config.maxSessionBytes),
        title: `${formatBytes(s.bytes)} sent to the client in one session (limit ${formatBytes(this.config.maxSessionBytes)})`,
        tool: span.tool,
        evidence: { observed: s.bytes, baseline: null, threshold: this.config.maxSessionBytes, unit: 'bytes', windowMs: null, ...evidence() },
        tags: ['safe-mcp:SAFE-T1802'],
      }));
    }

    const findings = parseCounts(span.record.SpanAttributes[Toolwatch.RESULT_FINDINGS]);
    for (const [rule, count] of Object.entries(findings)) {
      const kind = findingKind(rule);
      if (kind === 'secret') {
        once(`egress.secret_in_result\u0000${rule}`, () => ({
          rule: 'egress.secret_in_result',
          entity: rule,
          windowStartNs: span.timeNs,
          score: 85,
          severity: 'high',
          title: `${count} ${rule} secret${count > 1 ? 's' : ''} in a response from "${span.tool || span.method}"`,
          tool: span.tool,
          evidence: { observed: count, baseline: null, threshold: 0, unit: `${rule} findings`, windowMs: null, ...spanEvidence([refOf(span)]) },
          tags: ['safe-mcp:SAFE-T1804'],
        }));
      } else if (kind === 'pii') s.pii += count;
    }
    if (s.pii > this.config.maxPiiItems) {
      whileOver('egress.bulk_personal_data', () => ({
        rule: 'egress.bulk_personal_data',
        entity: '',
        windowStartNs: session.firstNs,
        ...overThreshold(s.pii, this.config.maxPiiItems),
        title: `${s.pii} personal data items sent to the client in one session (limit ${this.config.maxPiiItems})`,
        tool: span.tool,
        evidence: { observed: s.pii, baseline: null, threshold: this.config.maxPiiItems, unit: 'personal data items', windowMs: null, ...evidence() },
        tags: ['safe-mcp:SAFE-T1913'],
      }));
    }
    return found;
  }

  end(session: SessionState): void {
    const s = session.slot<EgressSlot | undefined>(this.name, () => undefined);
    const keys = clientKeys(session.service, session.clientName);
    learnSession(this.trimmed, keys, (s?.bytes ?? 0) - (s?.largestResponse ?? 0), session.alerts > 0, this.config.history.minSessions);
  }

  /** A session measure past its history: `maxFactor` times the largest, `medianFactor`
   * times the median, and `minBytes`. */
  private overHistory(span: ObservedSpan, observed: number) {
    const usual = this.trimmed.summary(spanKeys(span), this.config.history.minSessions);
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
