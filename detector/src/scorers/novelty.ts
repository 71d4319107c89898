import { findingKind, Toolwatch } from '@toolwatch/schemas';
import type { ObservedSpan, SessionState } from '../session.js';
import { parseCounts } from './egress.js';
import { looksAlike } from './names.js';
import { asDict, dict, NO_FINDINGS, refOf, spanEvidence, type Finding, type Scorer } from './scorer.js';

export interface NoveltyConfig {
  /** Per service name, the only tools its clients may call; a service not named here is
   * judged by what it advertises in `tools/list`. */
  allowlist: Record<string, string[]>;
}

interface NoveltyState {
  /** Per service: every tool name its `tools/list` answers advertised. */
  advertised: Record<string, string[]>;
  /** Per service and tool: the definition hashes seen; the first is the approved one. */
  definitions: Record<string, string[]>;
  /** Per service: how many `tools/list` answers were seen. */
  lists: Record<string, number>;
}

/**
 * Unexpected tools: calls to tools the server never advertised (or outside an allowlist),
 * tool definitions that change after they were first seen (a rug pull), new tools whose
 * names shadow trusted ones, and arguments naming credential files.
 */
export class NoveltyScorer implements Scorer {
  readonly name = 'novelty';
  readonly kind = 'novelty' as const;
  // Keyed by service names, which come from spans: no prototype (see `dict`).
  private state: NoveltyState = { advertised: dict(), definitions: dict(), lists: dict() };
  private readonly allowlist: Record<string, string[]>;

  constructor(config: NoveltyConfig) {
    this.allowlist = asDict(config.allowlist);
  }

  observe(span: ObservedSpan, session: SessionState): Finding[] {
    if (span.method === 'tools/list') return this.toolList(span);
    if (span.method !== 'tools/call' || !span.tool) return NO_FINDINGS;
    const allowed = this.allowlist[span.service];
    const advertised = this.state.advertised[span.service];
    const reason = allowed
      ? allowed.includes(span.tool) ? undefined : 'outside the allowlist'
      : advertised && !advertised.includes(span.tool) ? 'never advertised by the server' : undefined;
    const rawPaths = span.record.SpanAttributes[Toolwatch.ARGUMENTS_FINDINGS];
    if (!reason && !rawPaths) return NO_FINDINGS;

    const seen = session.slot<string[]>(this.name, () => []);
    const found: Finding[] = [];
    const once = (key: string, make: () => Finding) => {
      if (seen.includes(key)) return;
      seen.push(key);
      found.push(make());
    };
    if (reason) {
      once(`unadvertised\u0000${span.tool}`, () => ({
        rule: 'novelty.unadvertised_tool',
        entity: span.tool,
        windowStartNs: span.timeNs,
        score: 80,
        severity: 'high',
        title: `call to tool "${span.tool}", ${reason}`,
        tool: span.tool,
        evidence: { observed: 1, baseline: null, threshold: 0, unit: 'calls', windowMs: null, ...spanEvidence([refOf(span)]) },
        tags: ['toolwatch:unadvertised-tool', `toolwatch:known-tools=${allowed?.length ?? advertised?.length ?? 0}`],
      }));
    }

    const paths = Object.entries(parseCounts(rawPaths)).filter(([rule]) => findingKind(rule) === 'path');
    if (paths.length > 0) {
      once('sensitive-path', () => ({
        rule: 'novelty.sensitive_path',
        entity: '',
        windowStartNs: span.timeNs,
        score: 75,
        severity: 'high',
        title: `"${span.tool}" called with a path to a credentials file`,
        tool: span.tool,
        evidence: { observed: paths.reduce((n, [, c]) => n + c, 0), baseline: null, threshold: 0, unit: 'paths', windowMs: null, ...spanEvidence([refOf(span)]) },
        tags: ['safe-mcp:SAFE-T1503'],
      }));
    }
    return found;
  }

  snapshot(): unknown {
    return this.state;
  }

  restore(state: unknown): void {
    const saved = structuredClone(state as NoveltyState);
    this.state = { advertised: asDict(saved.advertised), definitions: asDict(saved.definitions), lists: asDict(saved.lists) };
  }

  private toolList(span: ObservedSpan): Finding[] {
    const raw = span.record.SpanAttributes[Toolwatch.TOOLS_DEFINITIONS];
    if (!raw) return NO_FINDINGS;
    const listed = parseHashes(raw);
    if (!listed) return NO_FINDINGS;
    const service = span.service;
    const established = (this.state.lists[service] ?? 0) > 0;
    this.state.lists[service] = (this.state.lists[service] ?? 0) + 1;
    const known = (this.state.advertised[service] ??= []);
    const found: Finding[] = [];

    for (const [tool, hash] of Object.entries(listed)) {
      const hashes = (this.state.definitions[`${service}\u0000${tool}`] ??= []);
      if (hashes.length > 0 && !hashes.includes(hash)) {
        found.push({
          rule: 'novelty.definition_changed',
          entity: `${service}\u0000${tool}\u0000${hash}`,
          windowStartNs: span.timeNs,
          score: 85,
          severity: 'high',
          title: `the definition of "${tool}" on ${service} changed after it was first seen`,
          tool,
          evidence: { observed: hashes.length + 1, baseline: 1, threshold: 1, unit: 'definitions', windowMs: null, ...spanEvidence([refOf(span)]) },
          tags: ['safe-mcp:SAFE-T1201'],
        });
      }
      if (!hashes.includes(hash)) hashes.push(hash);

      if (!known.includes(tool)) {
        const shadowed = this.shadowed(service, tool, established);
        if (shadowed) {
          found.push({
            rule: 'novelty.tool_shadowing',
            entity: `${service}\u0000${tool}`,
            windowStartNs: span.timeNs,
            score: 85,
            severity: 'high',
            title: `new tool "${tool}" on ${service} reads like "${shadowed.tool}" of ${shadowed.service}`,
            tool,
            evidence: { observed: 1, baseline: null, threshold: 0, unit: 'tools', windowMs: null, ...spanEvidence([refOf(span)]) },
            tags: ['safe-mcp:SAFE-T1301'],
          });
        }
        known.push(tool);
      }
    }
    return found;
  }

  /** A trusted tool the new name imitates: a look-alike anywhere, or the same name on
   * another server when this server adds it after it was first listed. */
  private shadowed(service: string, tool: string, established: boolean): { service: string; tool: string } | undefined {
    for (const [other, tools] of Object.entries(this.state.advertised)) {
      // A server's first list is its own baseline: get_item beside get_items is design.
      if (other === service && !established) continue;
      for (const trusted of tools) {
        if (looksAlike(tool, trusted)) return { service: other, tool: trusted };
        if (established && other !== service && trusted === tool) return { service: other, tool: trusted };
      }
    }
    return undefined;
  }
}

function parseHashes(raw: string): Record<string, string> | undefined {
  try {
    const parsed = JSON.parse(raw) as unknown;
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, string>) : undefined;
  } catch {
    return undefined; // a broken attribute must not stop scoring; the span is still stored
  }
}
