import { readFileSync } from 'node:fs';
import { describeIssues } from '@toolwatch/schemas';
import { z } from 'zod';
import { SinkConfig, WebhookConfig } from './sinks/sink-config.js';

/** The detector's configuration: every key has a default, and an unknown key (a typo) is
 * an error that names it, not a setting silently ignored. */
const Baseline = z
  .object({
    /** Observations before a baseline may judge: no alerts while it learns. */
    warmUp: z.number().int().positive().default(30),
    /** Half-life of what a baseline remembers, in observations. */
    halfLife: z.number().positive().default(200),
    maxKeys: z.number().int().positive().default(50_000),
    /** Floor of the learned spread on the log scale (0.35 ≈ ±40%). */
    minLogSpread: z.number().positive().default(0.35),
  })
  .strict()
  .prefault({});

const History = z
  .object({
    /** Sessions remembered per client (and per server, the fallback). */
    sessions: z.number().int().positive().default(200),
    /** Sessions a client needs before its own history judges it. */
    minSessions: z.number().int().positive().default(10),
    maxKeys: z.number().int().positive().default(50_000),
  })
  .strict()
  .prefault({});

export const RulesConfig = z
  .object({
    rate: z
      .object({
        windowMs: z.number().int().positive().default(60_000),
        maxCalls: z.number().int().positive().default(600),
        burst: z
          .object({
            windowMs: z.number().int().positive().default(10_000),
            minCalls: z.number().int().min(2).default(8),
            factor: z.number().positive().default(1.5),
          })
          .strict()
          .prefault({}),
        identical: z
          .object({
            windowMs: z.number().int().positive().default(300_000),
            hardLimit: z.number().int().min(2).default(10),
            minRepeats: z.number().int().min(2).default(3),
            factor: z.number().positive().default(2),
          })
          .strict()
          .prefault({}),
        history: History,
      })
      .strict()
      .prefault({}),
    novelty: z
      .object({ allowlist: z.record(z.string(), z.array(z.string())).default({}) })
      .strict()
      .prefault({}),
    egress: z
      .object({
        maxSessionBytes: z.number().int().positive().default(10 * 1_048_576),
        session: z
          .object({
            maxFactor: z.number().positive().default(1.3),
            medianFactor: z.number().positive().default(10),
            minBytes: z.number().int().nonnegative().default(262_144),
          })
          .strict()
          .prefault({}),
        call: z
          .object({ zThreshold: z.number().positive().default(4), minBytes: z.number().int().nonnegative().default(131_072) })
          .strict()
          .prefault({}),
        maxPiiItems: z.number().int().positive().default(100),
        baseline: Baseline,
        history: History,
      })
      .strict()
      .prefault({}),
    /** Sessions idle this long (event time) end: what they taught is learned, and they are
     * forgotten, so memory stays bounded. */
    sessionIdleMs: z.number().int().positive().default(30 * 60_000),
  })
  .strict();
export type RulesConfig = z.infer<typeof RulesConfig>;

export const DetectorConfig = z
  .object({
    kafka: z
      .object({
        brokers: z.array(z.string().min(1)).min(1),
        topic: z.string().default('toolwatch.spans'),
        groupId: z.string().default('toolwatch-detector'),
        deadLetterTopic: z.string().default('toolwatch.spans.dead-letter'),
        fromBeginning: z.boolean().default(true),
      })
      .strict()
      .optional(),
    clickhouse: z
      .object({
        /** A ClickHouse server; without it, chDB (embedded ClickHouse) under `dataDir`. */
        url: z.string().url().optional(),
        username: z.string().optional(),
        password: z.string().optional(),
        database: z.string().default('default'),
        dataDir: z.string().default('./data/clickhouse'),
        cluster: z.string().optional(),
        ttlDays: z.number().int().nonnegative().default(0),
      })
      .strict()
      .prefault({}),
    /** Standard Webhooks endpoints, `{url, secret}`: the same as `sinks` entries of type `webhook`. */
    webhooks: z.array(WebhookConfig).default([]),
    /** Alert sinks by `type`: webhook, splunk-hec, elastic, ocsf, cef-syslog, pagerduty, slack. */
    sinks: z.array(SinkConfig).default([]),
    rules: RulesConfig.prefault({}),
    /** How often a partition's learned state is saved to ClickHouse (also on stop): a new
     * owner after a kill rebuilds from the last save by re-reading the topic from there. */
    state: z
      .object({
        saveEveryBatches: z.number().int().positive().default(50),
        saveEveryMs: z.number().int().positive().default(10_000),
        /** With no saved state (a first start, a new group, a partition never owned), the
         * baselines are first learned from the spans already in ClickHouse: up to `maxSpans`
         * of the last `days` days (0: start cold). */
        seed: z
          .object({ days: z.number().nonnegative().default(7), maxSpans: z.number().int().nonnegative().default(500_000) })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
  })
  .strict();
export type DetectorConfig = z.infer<typeof DetectorConfig>;
export type DetectorConfigInput = z.input<typeof DetectorConfig>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function parseDetectorConfig(input: unknown, source = 'configuration'): DetectorConfig {
  const parsed = DetectorConfig.safeParse(input);
  if (!parsed.success) {
    const unknown = parsed.error.issues.flatMap((i) => (i.code === 'unrecognized_keys' ? i.keys.map((k) => [...i.path, k].join('.')) : []));
    const hint = unknown.length ? ` (unknown key${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')})` : '';
    throw new ConfigError(`invalid ${source}: ${describeIssues(parsed.error)}${hint}`);
  }
  return parsed.data;
}

/** A JSON file, overlaid with the `TOOLWATCH_*` environment variables that are set. */
export function loadDetectorConfig(file: string | undefined, env: NodeJS.ProcessEnv = process.env): DetectorConfig {
  let base: Record<string, unknown> = {};
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    try {
      base = JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw new ConfigError(`${file} is not valid JSON`);
    }
  }
  const brokers = env.TOOLWATCH_KAFKA_BROKERS?.split(',').map((b) => b.trim()).filter(Boolean);
  if (brokers?.length) base.kafka = { ...(base.kafka as object), brokers };
  if (env.TOOLWATCH_CLICKHOUSE_URL) base.clickhouse = { ...(base.clickhouse as object), url: env.TOOLWATCH_CLICKHOUSE_URL };
  if (env.TOOLWATCH_DATA_DIR) base.clickhouse = { ...(base.clickhouse as object), dataDir: `${env.TOOLWATCH_DATA_DIR}/clickhouse` };
  if (env.TOOLWATCH_WEBHOOK_URL) {
    if (!env.TOOLWATCH_WEBHOOK_SECRET) throw new ConfigError('TOOLWATCH_WEBHOOK_URL is set but TOOLWATCH_WEBHOOK_SECRET is not');
    base.webhooks = [...((base.webhooks as unknown[]) ?? []), { url: env.TOOLWATCH_WEBHOOK_URL, secret: env.TOOLWATCH_WEBHOOK_SECRET }];
  }
  return parseDetectorConfig(base, file ?? 'configuration');
}
