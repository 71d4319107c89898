import type { ObservedSpan, SessionState } from '../session.js';
import { overThreshold, type Finding, type Scorer } from './scorer.js';

export interface SessionRateConfig {
  /** Sliding window length. */
  windowMs: number;
  /** More tool calls than this in one window raise an alert. */
  maxCalls: number;
}

interface Call {
  timeMs: number;
  timeNs: string;
  spanId: string;
  traceId: string;
}

/** High-frequency calls: tool calls per session in a sliding event-time window. */
export class SessionRateScorer implements Scorer {
  readonly rule = 'rate.session_window';
  readonly kind = 'rate' as const;

  constructor(private readonly config: SessionRateConfig) {}

  observe(span: ObservedSpan, session: SessionState): Finding | undefined {
    if (span.method !== 'tools/call') return undefined;
    const { windowMs, maxCalls } = this.config;
    const state = session.slot(this.rule, () => ({ calls: [] as Call[], quietUntilMs: Number.NEGATIVE_INFINITY }));
    state.calls.push({ timeMs: span.timeMs, timeNs: span.timeNs, spanId: span.record.SpanId, traceId: span.record.TraceId });
    while (state.calls.length > 0 && state.calls[0]!.timeMs <= span.timeMs - windowMs) state.calls.shift();

    const observed = state.calls.length;
    // One alert per window of calls: a loop that goes on raises a new alert each window.
    if (observed <= maxCalls || span.timeMs < state.quietUntilMs) return undefined;
    state.quietUntilMs = span.timeMs + windowMs;
    const first = state.calls[0]!;
    const evidenceCalls = state.calls.slice(0, 32);
    return {
      entity: '',
      windowStartNs: first.timeNs,
      ...overThreshold(observed, maxCalls),
      title: `${observed} tool calls in ${windowMs / 1000} s (limit ${maxCalls})`,
      tool: '',
      evidence: {
        observed,
        baseline: null,
        threshold: maxCalls,
        unit: 'calls',
        windowMs,
        spanIds: evidenceCalls.map((c) => c.spanId),
        traceIds: [...new Set(evidenceCalls.map((c) => c.traceId))],
      },
      tags: ['safe-mcp:SAFE-T1106'],
    };
  }
}
