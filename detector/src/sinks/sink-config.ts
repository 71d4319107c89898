import { z } from 'zod';
import { PAGERDUTY_EVENTS_URL } from './pagerduty.js';

/** Standard Webhooks secret: `whsec_` and base64 of 24–64 random bytes. Error messages
 * from these schemas name the key that is wrong, never the value. */
export const WebhookSecret = z.string().regex(/^whsec_[A-Za-z0-9+/=]{32,}$/, 'expected whsec_ followed by base64');
/** One secret, or several during a key rotation (each signs every message). */
const WebhookSecrets = z.union([WebhookSecret, z.array(WebhookSecret).min(1).max(4)]);

const timeoutMs = z.number().int().positive().default(15_000);
/** The sink's key in the outbox, kept across restarts: rename it and its pending alerts
 * stay behind under the old name. Without it, the type and a hash of the destination. */
const name = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/, 'expected letters, digits, _ . : - (at most 64)')
  .optional();
const token = z.string().min(1);

export const WebhookConfig = z.object({ url: z.string().url(), secret: WebhookSecrets, name }).strict();

/** One entry of `sinks`: where alerts go, by `type`. */
export const SinkConfig = z.discriminatedUnion('type', [
  WebhookConfig.extend({ type: z.literal('webhook'), timeoutMs }).strict(),
  z
    .object({
      type: z.literal('splunk-hec'),
      name,
      url: z.string().url(),
      token,
      index: z.string().optional(),
      source: z.string().default('toolwatch'),
      sourcetype: z.string().default('toolwatch:alert'),
      host: z.string().optional(),
      channel: z.string().uuid().optional(),
      ackTimeoutMs: z.number().int().positive().default(30_000),
      timeoutMs,
    })
    .strict(),
  z
    .object({
      type: z.literal('elastic'),
      name,
      url: z.string().url(),
      apiKey: token,
      index: z.string().default('toolwatch-alerts'),
      opType: z.enum(['index', 'create']).default('index'),
      timeoutMs,
    })
    .strict(),
  z.object({ type: z.literal('ocsf'), name, url: z.string().url(), headers: z.record(z.string(), z.string()).default({}), timeoutMs }).strict(),
  z
    .object({
      type: z.literal('cef-syslog'),
      name,
      host: z.string().min(1),
      port: z.number().int().min(1).max(65_535).default(514),
      protocol: z.enum(['tcp', 'tls', 'udp']).default('tcp'),
      /** PEM file of the CA that signed the receiver's certificate (protocol tls). */
      caFile: z.string().optional(),
      framing: z.enum(['octet-counting', 'newline']).default('octet-counting'),
      facility: z.number().int().min(0).max(23).default(4),
      hostname: z.string().optional(),
      appName: z.string().default('toolwatch'),
      timeoutMs,
    })
    .strict(),
  z
    .object({
      type: z.literal('pagerduty'),
      name,
      routingKey: z.string().regex(/^[A-Za-z0-9]{32}$/, 'expected a 32-character integration key'),
      url: z.string().url().default(PAGERDUTY_EVENTS_URL),
      timeoutMs,
    })
    .strict(),
  z.object({ type: z.literal('slack'), name, url: z.string().url(), minIntervalMs: z.number().int().nonnegative().default(1_000), timeoutMs }).strict(),
]);
export type SinkConfig = z.infer<typeof SinkConfig>;
