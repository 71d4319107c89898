import { Toolwatch } from '@toolwatch/schemas';
import type { ObservedSpan, SessionState } from '../session.js';
import { spanEvidence, type Finding, type Scorer } from './scorer.js';

export interface UnadvertisedToolConfig {
  /** Per service name, the only tools its clients may call; a service not named here is
   * judged by what it advertises in `tools/list`. */
  allowlist: Record<string, string[]>;
}

/**
 * Unexpected tools: a `tools/call` for a tool the server never advertised in `tools/list`
 * (hidden, removed or disabled tools, or a guessed name), or outside a policy allowlist.
 * The MCP SDK answers such a call with a normal `isError` result, not a JSON-RPC error,
 * so only a comparison with what was advertised reveals it.
 */
export class UnadvertisedToolScorer implements Scorer {
  readonly rule = 'novelty.unadvertised_tool';
  readonly kind = 'novelty' as const;
  /** Per service, every tool name any of its `tools/list` answers advertised. */
  private readonly advertised = new Map<string, Set<string>>();

  constructor(private readonly config: UnadvertisedToolConfig) {}

  observe(span: ObservedSpan, session: SessionState): Finding | undefined {
    if (span.method === 'tools/list') {
      this.learn(span);
      return undefined;
    }
    if (span.method !== 'tools/call' || !span.tool) return undefined;
    const allowed = this.config.allowlist[span.service];
    const advertised = this.advertised.get(span.service);
    const reason = allowed
      ? allowed.includes(span.tool) ? undefined : 'outside the allowlist'
      : advertised && !advertised.has(span.tool) ? 'never advertised by the server' : undefined;
    if (!reason) return undefined;

    const seen = session.slot(this.rule, () => new Set<string>());
    if (seen.has(span.tool)) return undefined; // one alert per tool per session
    seen.add(span.tool);
    const known = allowed?.length ?? advertised?.size ?? 0;
    return {
      entity: span.tool,
      windowStartNs: span.timeNs,
      score: 80,
      severity: 'high',
      title: `call to tool "${span.tool}", ${reason}`,
      tool: span.tool,
      evidence: { observed: 1, baseline: null, threshold: 0, unit: 'calls', windowMs: null, ...spanEvidence([span]) },
      tags: ['toolwatch:unadvertised-tool', `toolwatch:known-tools=${known}`],
    };
  }

  private learn(span: ObservedSpan): void {
    const raw = span.record.SpanAttributes[Toolwatch.TOOLS_DEFINITIONS];
    if (!raw) return;
    let names: string[];
    try {
      names = Object.keys(JSON.parse(raw) as Record<string, string>);
    } catch {
      return; // a broken attribute must not stop scoring; the span is still stored
    }
    let set = this.advertised.get(span.service);
    if (!set) this.advertised.set(span.service, (set = new Set()));
    for (const name of names) set.add(name);
  }
}
