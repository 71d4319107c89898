import { Toolwatch } from '@toolwatch/schemas';
import type { ObservedSpan, SessionState } from '../session.js';
import { overThreshold, spanEvidence, type Finding, type Scorer } from './scorer.js';

export interface SessionEgressConfig {
  /** Response bytes one session may receive from tool calls and resource reads. */
  maxSessionBytes: number;
}

const EGRESS_METHODS = new Set(['tools/call', 'resources/read', 'prompts/get']);

/** Large egress: cumulative response bytes per session over a cap. */
export class SessionEgressScorer implements Scorer {
  readonly rule = 'egress.session_bytes';
  readonly kind = 'egress' as const;

  constructor(private readonly config: SessionEgressConfig) {}

  observe(span: ObservedSpan, session: SessionState): Finding | undefined {
    if (!EGRESS_METHODS.has(span.method)) return undefined;
    const bytes = Number(span.record.SpanAttributes[Toolwatch.RESPONSE_BYTES] ?? 0);
    if (!Number.isFinite(bytes) || bytes <= 0) return undefined;
    const state = session.slot(this.rule, () => ({ bytes: 0, alerted: false, largest: [] as ObservedSpan[] }));
    state.bytes += bytes;
    state.largest.push(span);
    if (state.largest.length > 8) {
      state.largest.sort((a, b) => responseBytes(b) - responseBytes(a));
      state.largest.length = 8;
    }
    const { maxSessionBytes } = this.config;
    if (state.alerted || state.bytes <= maxSessionBytes) return undefined;
    state.alerted = true;
    return {
      entity: '',
      windowStartNs: session.firstNs,
      ...overThreshold(state.bytes, maxSessionBytes),
      title: `${formatBytes(state.bytes)} sent to the client in one session (limit ${formatBytes(maxSessionBytes)})`,
      tool: span.tool,
      evidence: { observed: state.bytes, baseline: null, threshold: maxSessionBytes, unit: 'bytes', windowMs: null, ...spanEvidence(state.largest) },
      tags: ['safe-mcp:SAFE-T1802'],
    };
  }
}

const responseBytes = (s: ObservedSpan) => Number(s.record.SpanAttributes[Toolwatch.RESPONSE_BYTES] ?? 0);

export function formatBytes(n: number): string {
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KiB`;
  return `${n} B`;
}
