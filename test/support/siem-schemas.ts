import { z } from 'zod';

/**
 * The field rules of each product's documented wire format (detection-and-siem.md §7 and the
 * products' own references), as schemas the test receivers hold every body to. They are
 * written from the documentation, not from our sinks' code.
 */

/** Splunk HEC `/services/collector/event`: `event` required; `time` epoch seconds; indexed
 * `fields` flat, each value a string or an array of strings. */
export const SplunkHecEvent = z
  .object({
    time: z.number().positive().optional(),
    host: z.string().min(1).optional(),
    source: z.string().min(1).optional(),
    sourcetype: z.string().min(1).optional(),
    index: z.string().min(1).optional(),
    event: z.union([z.string().min(1), z.record(z.string(), z.unknown())]),
    fields: z.record(z.string(), z.union([z.string(), z.array(z.string())])).optional(),
  })
  .strict();

const ECS_CATEGORY_TYPES: Record<string, string[]> = {
  api: ['access', 'admin', 'allowed', 'change', 'creation', 'deletion', 'denied', 'end', 'info', 'start', 'user'],
  intrusion_detection: ['allowed', 'denied', 'info'],
  threat: ['indicator'],
};
const isoDate = z.string().refine((s) => !Number.isNaN(Date.parse(s)) && /T.*Z$/.test(s), 'an ISO 8601 date');

/** An ECS alert document: `event.kind: alert` (`signal` is Kibana's), categories from the
 * allowed values with types each category expects, numeric severity, risk_score_norm 0–100. */
export const EcsAlert = z
  .object({
    '@timestamp': isoDate,
    ecs: z.object({ version: z.string().regex(/^\d+\.\d+\.\d+$/) }),
    message: z.string(),
    tags: z.array(z.string()),
    event: z
      .object({
        kind: z.literal('alert'),
        category: z.array(z.enum(Object.keys(ECS_CATEGORY_TYPES) as [string, ...string[]])).min(1),
        type: z.array(z.string()).min(1),
        id: z.string().min(1),
        severity: z.number().int(),
        risk_score: z.number(),
        risk_score_norm: z.number().min(0).max(100),
        reason: z.string().min(1),
        start: isoDate.optional(),
        end: isoDate.optional(),
      })
      .passthrough()
      .refine((e) => e.category.every((c) => e.type.every((t) => ECS_CATEGORY_TYPES[c]!.includes(t))), 'event.type expected for every event.category'),
    rule: z.object({ id: z.string().min(1), name: z.string().min(1) }).passthrough(),
    threat: z.object({ framework: z.string().min(1), technique: z.object({ id: z.array(z.string().min(1)).min(1) }).passthrough() }).passthrough().optional(),
  })
  .passthrough();

const timestampMs = z.number().int().min(1_000_000_000_000).max(10_000_000_000_000);
const observation = z.object({ value: z.string(), count: z.number().int().optional(), timespan: z.object({ duration: z.number().int() }).passthrough().optional() }).strict();

/** OCSF 1.6 Detection Finding (class 2004): the required attributes, their enums, type_uid
 * = class_uid·100 + activity_id, and the anomaly_analysis object's required parts. */
export const OcsfDetectionFinding = z
  .object({
    class_uid: z.literal(2004),
    category_uid: z.literal(2),
    activity_id: z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3), z.literal(99)]),
    type_uid: z.number().int(),
    severity_id: z.union([z.number().int().min(0).max(6), z.literal(99)]),
    time: timestampMs,
    start_time: timestampMs.optional(),
    end_time: timestampMs.optional(),
    status_id: z.union([z.number().int().min(0).max(6), z.literal(99)]).optional(),
    confidence_id: z.union([z.number().int().min(0).max(3), z.literal(99)]).optional(),
    is_alert: z.boolean().optional(),
    metadata: z
      .object({
        version: z.string().regex(/^\d+\.\d+\.\d+/),
        product: z.object({ name: z.string().min(1).optional(), uid: z.string().min(1).optional() }).passthrough().refine((p) => p.name || p.uid, 'product.name or product.uid'),
      })
      .passthrough(),
    finding_info: z
      .object({
        uid: z.string().min(1),
        title: z.string().optional(),
        analytic: z.object({ type_id: z.union([z.number().int().min(0).max(6), z.literal(99)]), name: z.string().optional() }).passthrough().optional(),
      })
      .passthrough(),
    anomaly_analyses: z
      .array(
        z
          .object({
            analysis_targets: z.array(z.object({ name: z.string(), type: z.string().optional() }).strict()),
            anomalies: z.array(z.object({ observation_parameter: z.string(), observations: z.array(observation) }).passthrough()),
            baselines: z.array(z.object({ observation_parameter: z.string(), observations: z.array(observation) }).passthrough()).optional(),
          })
          .strict(),
      )
      .optional(),
  })
  .passthrough()
  .refine((f) => f.type_uid === f.class_uid * 100 + f.activity_id, 'type_uid = class_uid * 100 + activity_id');

/** PagerDuty Events API v2: a trigger needs a payload (summary ≤ 1024, source, severity);
 * dedup_key ≤ 255; the whole event ≤ 512 KB (checked by the receiver). */
export const PagerDutyEvent = z.discriminatedUnion('event_action', [
  z
    .object({
      routing_key: z.string().length(32),
      event_action: z.literal('trigger'),
      dedup_key: z.string().min(1).max(255).optional(),
      client: z.string().optional(),
      payload: z
        .object({
          summary: z.string().min(1).max(1024),
          source: z.string().min(1),
          severity: z.enum(['critical', 'error', 'warning', 'info']),
          timestamp: isoDate.optional(),
          component: z.string().optional(),
          group: z.string().optional(),
          class: z.string().optional(),
          custom_details: z.record(z.string(), z.unknown()).optional(),
        })
        .strict(),
    })
    .strict(),
  z
    .object({
      routing_key: z.string().length(32),
      event_action: z.enum(['acknowledge', 'resolve']),
      dedup_key: z.string().min(1).max(255),
    })
    .strict(),
]);

const mrkdwn = (max: number) => z.object({ type: z.literal('mrkdwn'), text: z.string().min(1).max(max) }).strict();

/** A Slack incoming-webhook message: `text` (the fallback) and Block Kit blocks within their limits. */
export const SlackMessage = z
  .object({
    text: z.string().min(1).max(40_000),
    blocks: z
      .array(
        z.discriminatedUnion('type', [
          z.object({ type: z.literal('section'), text: mrkdwn(3000).optional(), fields: z.array(mrkdwn(2000)).max(10).optional() }).strict(),
          z.object({ type: z.literal('context'), elements: z.array(mrkdwn(3000)).min(1).max(10) }).strict(),
          z.object({ type: z.literal('header'), text: z.object({ type: z.literal('plain_text'), text: z.string().max(150) }).strict() }).strict(),
        ]),
      )
      .max(50),
  })
  .strict();
