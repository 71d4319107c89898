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

export const AlertRecord = z
  .object({
    id: z.string().regex(/^[0-9a-f]{64}$/).describe('sha256(rule, entity key, window start)'),
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
  })
  .strict();
export type AlertRecord = z.infer<typeof AlertRecord>;

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
