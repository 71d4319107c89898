import { createHash } from 'node:crypto';
import { z } from 'zod';
import { NanosString, SpanId } from './span-record.js';

/** The three runtime threats of the MCP security guides. */
export const AlertKind = z.enum(['rate', 'novelty', 'egress']);
export type AlertKind = z.infer<typeof AlertKind>;

export const Severity = z.enum(['info', 'low', 'medium', 'high', 'critical']);
export type Severity = z.infer<typeof Severity>;

/** What a scorer saw, against what it expected: the explanation an analyst reads. */
export const Evidence = z.object({
  observed: z.number(),
  baseline: z.number().nullable().describe('learned normal value, null for a fixed rule'),
  threshold: z.number(),
  unit: z.string().describe('calls, bytes, tools, …'),
  windowMs: z.number().int().nonnegative().nullable(),
  /** The spans that made the case (the first few), so the alert links to its timeline. */
  spanIds: z.array(SpanId).max(32),
  traceIds: z.array(z.string()).max(32),
});
export type Evidence = z.infer<typeof Evidence>;

/** Where an alert stands. It opens when a detection first fires, is updated when the same
 * detection (same id) grows more severe, and closes when its session ends. Each change is
 * a new record with the same id and the next revision: the newest revision is the alert. */
export const AlertStatus = z.enum(['open', 'updated', 'closed']);
export type AlertStatus = z.infer<typeof AlertStatus>;

export const AlertRecord = z
  .object({
    id: z.string().regex(/^[0-9a-f]{64}$/).describe('sha256(rule, entity key, window start)'),
    status: AlertStatus,
    revision: z.number().int().nonnegative().describe('0 when opened, one more at each update and at the close'),
    rule: z.string().min(1).describe('e.g. rate.session_window'),
    kind: AlertKind,
    severity: Severity,
    score: z.number().min(0).max(100),
    title: z.string().max(256),
    sessionKey: z.string(),
    serviceName: z.string(),
    clientName: z.string(),
    clientVersion: z.string(),
    tool: z.string().describe('empty when the alert is not about one tool'),
    windowStart: NanosString,
    firstEventTime: NanosString,
    lastEventTime: NanosString,
    evidence: Evidence,
    tags: z.array(z.string()).describe('SAFE-MCP technique ids, OWASP MCP Top 10 ids'),
    sessionScore: z.number().min(0).max(100).describe("the session's risk score when this revision was made"),
  })
  .strict();
export type AlertRecord = z.infer<typeof AlertRecord>;

/** A session's risk, from every alert it has raised: a row per change, and one when the
 * session ends, so quiet sessions are counted too. */
export const SessionScoreRecord = z
  .object({
    sessionKey: z.string(),
    serviceName: z.string(),
    clientName: z.string(),
    clientVersion: z.string(),
    firstEventTime: NanosString,
    lastEventTime: NanosString,
    spans: z.number().int().nonnegative(),
    score: z.number().min(0).max(100).describe('1 - product of (1 - alert score / 100) over its alerts, times 100'),
    severity: Severity.describe('the highest severity among its alerts; info when none'),
    alerts: z.number().int().nonnegative(),
    rules: z.array(z.string()).describe('the rules that fired, sorted'),
    ended: z.boolean(),
    revision: z.number().int().nonnegative().describe('grows with each change; the newest row is the session'),
  })
  .strict();
export type SessionScoreRecord = z.infer<typeof SessionScoreRecord>;

/** Severity order, for "more severe than". */
export const SEVERITY_RANK: Readonly<Record<Severity, number>> = { info: 0, low: 1, medium: 2, high: 3, critical: 4 };

/**
 * The OWASP MCP Top 10 (2025) risk each detection is evidence of, as tags
 * `owasp-mcp:MCPnn:2025` (ids from OWASP/www-project-mcp-top-10). Loops and bursts are an
 * agent acting outside its user's intent (MCP06); calls to tools never advertised or
 * outside the allowlist, capability beyond what was granted (MCP02); changed and look-alike
 * definitions are the rug pulls and shadowing of tool poisoning (MCP03); credential paths
 * and secrets in results, secret exposure (MCP01); bulk egress, over-sharing (MCP10).
 */
export const OWASP_MCP_TOP10: Readonly<Record<string, readonly string[]>> = {
  'rate.session_window': ['MCP06:2025'],
  'rate.burst': ['MCP06:2025'],
  'rate.identical_calls': ['MCP06:2025'],
  'novelty.unadvertised_tool': ['MCP02:2025'],
  'novelty.definition_changed': ['MCP03:2025'],
  'novelty.tool_shadowing': ['MCP03:2025', 'MCP09:2025'],
  'novelty.sensitive_path': ['MCP01:2025', 'MCP06:2025'],
  'egress.large_response': ['MCP10:2025'],
  'egress.session_bytes': ['MCP10:2025'],
  'egress.secret_in_result': ['MCP01:2025'],
  'egress.bulk_personal_data': ['MCP10:2025'],
};

export const owaspTags = (rule: string): string[] => (OWASP_MCP_TOP10[rule] ?? []).map((id) => `owasp-mcp:${id}`);

/**
 * The deterministic alert id. Event time, never wall-clock time, goes in, so a replay or
 * a restart that sees the same spans names the same alert, and every sink (webhook-id,
 * PagerDuty dedup_key, OCSF finding_info.uid, ECS event.id) deduplicates on it.
 */
export function alertId(rule: string, entityKey: string, windowStart: string): string {
  // Length-prefixed so that ("a:b", "c") and ("a", "b:c") cannot collide.
  const h = createHash('sha256');
  for (const part of [rule, entityKey, windowStart]) h.update(`${Buffer.byteLength(part)}:${part}`);
  return h.digest('hex');
}
