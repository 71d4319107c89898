import { tmpdir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { ExporterConfigError } from './config-error.js';
import { FanOutExporter } from './fan-out.js';
import { JsonlFileTransport } from './jsonl.js';
import { DEFAULT_SPAN_TOPIC, KafkaTransport } from './kafka.js';
import { createOtlpExporter, otlpOptionsFromEnv } from './otlp.js';
import { SpanRecordExporter } from './span-record-exporter.js';
import { SpoolingTransport } from './spooling-transport.js';

export interface EnvVariable {
  name: string;
  default: string;
  description: string;
}

const DEFAULT_SPOOL_MAX_BYTES = 64 << 20;
const MIN_SPOOL_BYTES = 64 << 10;

/** Every variable `exporterFromEnv` reads: the source of the README's table. */
export const EXPORTER_ENV_VARIABLES: readonly EnvVariable[] = [
  {
    name: 'TOOLWATCH_EXPORTER',
    default: 'kafka',
    description: 'where spans go: `kafka`, `otlp` or `jsonl:<path>`; several, comma-separated, each get every span',
  },
  { name: 'TOOLWATCH_KAFKA_BROKERS', default: '(none: required by kafka)', description: 'comma-separated `host:port` list' },
  { name: 'TOOLWATCH_KAFKA_TOPIC', default: DEFAULT_SPAN_TOPIC, description: 'topic of the span records' },
  {
    name: 'TOOLWATCH_SPOOL_DIR',
    default: '`<tmpdir>/toolwatch-spool-<user>/<service>`',
    description:
      'disk spool for span records while Kafka is away, delivered in order when it returns; `<service>` is TOOLWATCH_SERVICE_NAME, else OTEL_SERVICE_NAME, else `mcp-server`; set it to a lasting place, a tmpdir may be wiped at reboot',
  },
  {
    name: 'TOOLWATCH_SPOOL_MAX_BYTES',
    default: '64MiB',
    description: 'size cap of the spool, in bytes or with KiB/MiB/GiB; past it the oldest records are dropped (and counted); `0`: no disk spool, memory only',
  },
  { name: 'OTEL_EXPORTER_OTLP_ENDPOINT', default: 'http://localhost:4318', description: 'otlp: base URL, `/v1/traces` is appended' },
  { name: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', default: '(unset)', description: 'otlp: full traces URL, used as is; wins over the base URL' },
  { name: 'OTEL_EXPORTER_OTLP_HEADERS', default: '(none)', description: 'otlp: request headers, `key=value,…` with percent-encoded values' },
  { name: 'OTEL_EXPORTER_OTLP_TRACES_HEADERS', default: '(none)', description: 'otlp: more headers, winning over the general ones' },
  { name: 'OTEL_EXPORTER_OTLP_TIMEOUT', default: '10000', description: 'otlp: ms per export request' },
  { name: 'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT', default: '(unset)', description: 'otlp: the same, for traces only' },
  { name: 'OTEL_EXPORTER_OTLP_COMPRESSION', default: 'none', description: 'otlp: `gzip` or `none`' },
  { name: 'OTEL_EXPORTER_OTLP_TRACES_COMPRESSION', default: '(unset)', description: 'otlp: the same, for traces only' },
  { name: 'OTEL_EXPORTER_OTLP_PROTOCOL', default: 'http/protobuf', description: 'otlp: `http/json` or `http/protobuf` (both are sent as OTLP/HTTP JSON); grpc is not supported' },
  { name: 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', default: '(unset)', description: 'otlp: the same, for traces only' },
];

/** `TOOLWATCH_*` variables that other parts of toolwatch read: not typos of ours. */
const OTHER_TOOLWATCH_VARIABLES = new Set([
  'TOOLWATCH_SERVICE_NAME',
  'TOOLWATCH_DISABLED',
  'TOOLWATCH_DEBUG',
  'TOOLWATCH_CAPTURE_TOOLS',
  'TOOLWATCH_CAPTURE_MAX_CHARS',
  'TOOLWATCH_CLICKHOUSE_URL',
  'TOOLWATCH_DATA_DIR',
  'TOOLWATCH_WEBHOOK_URL',
  'TOOLWATCH_WEBHOOK_SECRET',
]);

/** A markdown table of the variables, for the README. */
export function exporterEnvMarkdown(): string {
  const rows = EXPORTER_ENV_VARIABLES.map((v) => `| \`${v.name}\` | ${v.default.startsWith('`') || v.default.startsWith('(') ? v.default : `\`${v.default}\``} | ${v.description} |`);
  return ['| Variable | Default | Meaning |', '|---|---|---|', ...rows].join('\n');
}

export type ExporterSpec = { kind: 'kafka' } | { kind: 'otlp' } | { kind: 'jsonl'; path: string };

export interface ExporterFromEnvOptions {
  /** Names the default spool directory; else TOOLWATCH_SERVICE_NAME, OTEL_SERVICE_NAME or `mcp-server`. */
  serviceName?: string;
  /** Told of export and spool failures, which never reach the server. Never given span content. */
  onError?: (err: unknown) => void;
  /** kafkajs's warnings. */
  log?: (line: string) => void;
}

/**
 * The span exporter the `TOOLWATCH_*` variables describe. Kafka goes through a disk
 * spool (SpoolingTransport) so that a broker outage neither loses spans nor slows the
 * server. Everything is checked before anything is built: a bad value throws an
 * ExporterConfigError that names the variable.
 */
export function exporterFromEnv(env: NodeJS.ProcessEnv = process.env, options: ExporterFromEnvOptions = {}): SpanExporter {
  checkForTypos(env);
  const specs = parseExporterList(env.TOOLWATCH_EXPORTER);
  const onError = options.onError ?? (() => {});
  const kafka = specs.some((s) => s.kind === 'kafka') ? kafkaSettingsFromEnv(env, options.serviceName) : undefined;
  if (specs.some((s) => s.kind === 'otlp')) otlpOptionsFromEnv(env); // throws now, not half-way through building

  const exporters = specs.map((spec): SpanExporter => {
    switch (spec.kind) {
      case 'kafka': {
        const { brokers, topic, spoolDir, spoolMaxBytes } = kafka!;
        // The spool does the retrying (see KafkaTransportOptions.retries).
        const transport = new KafkaTransport({ brokers, topic, log: options.log, retries: 0 });
        const spooling = new SpoolingTransport(transport, { dir: spoolMaxBytes > 0 ? spoolDir : undefined, maxBytes: spoolMaxBytes, onError });
        return new SpanRecordExporter(spooling, onError);
      }
      case 'otlp':
        return createOtlpExporter({}, env);
      case 'jsonl':
        return new SpanRecordExporter(new JsonlFileTransport({ path: spec.path, onError }), onError);
    }
  });
  return exporters.length === 1 ? exporters[0]! : new FanOutExporter(exporters);
}

/** `TOOLWATCH_EXPORTER`: `kafka` when unset. */
export function parseExporterList(value: string | undefined): ExporterSpec[] {
  const name = 'TOOLWATCH_EXPORTER';
  if (value === undefined || value.trim() === '') return [{ kind: 'kafka' }];
  const specs: ExporterSpec[] = [];
  const seen = new Set<string>();
  for (const [i, raw] of value.split(',').entries()) {
    const entry = raw.trim();
    if (!entry) throw new ExporterConfigError(name, `entry ${i + 1} is empty (a stray comma?)`);
    let spec: ExporterSpec;
    const lower = entry.toLowerCase();
    if (lower === 'kafka' || lower === 'otlp') spec = { kind: lower };
    else if (lower.startsWith('jsonl:')) {
      const path = entry.slice('jsonl:'.length).trim();
      if (!path) throw new ExporterConfigError(name, 'jsonl needs a file path, as in jsonl:/var/log/toolwatch/spans.jsonl');
      spec = { kind: 'jsonl', path: resolve(path) };
    } else {
      const shown = JSON.stringify(entry.length > 40 ? `${entry.slice(0, 40)}…` : entry);
      const hint = closest(lower.split(':')[0]!, ['kafka', 'otlp', 'jsonl']);
      throw new ExporterConfigError(name, `unknown exporter ${shown}${hint ? ` (did you mean ${hint}?)` : ''}; expected kafka, otlp or jsonl:<path>, comma-separated`);
    }
    const id = spec.kind === 'jsonl' ? `jsonl:${spec.path}` : spec.kind;
    if (seen.has(id)) throw new ExporterConfigError(name, `lists ${spec.kind === 'jsonl' ? 'the same jsonl file' : spec.kind} twice`);
    seen.add(id);
    specs.push(spec);
  }
  return specs;
}

export interface KafkaSettings {
  brokers: string[];
  topic: string;
  spoolDir: string;
  /** 0: no disk spool. */
  spoolMaxBytes: number;
}

export function kafkaSettingsFromEnv(env: NodeJS.ProcessEnv, serviceName?: string): KafkaSettings {
  const brokersValue = env.TOOLWATCH_KAFKA_BROKERS?.trim();
  if (!brokersValue) {
    throw new ExporterConfigError(
      'TOOLWATCH_KAFKA_BROKERS',
      'not set, and the kafka exporter (TOOLWATCH_EXPORTER, kafka by default) needs it, as in kafka-1:9092,kafka-2:9092; or set TOOLWATCH_EXPORTER=otlp or jsonl:<path>',
    );
  }
  const brokers = brokersValue.split(',').map((b, i) => {
    const broker = b.trim();
    const match = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(broker);
    const port = Number(match?.[2]);
    if (!match || port < 1 || port > 65535) {
      throw new ExporterConfigError('TOOLWATCH_KAFKA_BROKERS', `entry ${i + 1} ${JSON.stringify(broker.slice(0, 80))} is not host:port`);
    }
    return broker;
  });

  const topic = env.TOOLWATCH_KAFKA_TOPIC?.trim() || DEFAULT_SPAN_TOPIC;
  if (!/^[A-Za-z0-9._-]{1,249}$/.test(topic) || topic === '.' || topic === '..') {
    throw new ExporterConfigError('TOOLWATCH_KAFKA_TOPIC', 'a Kafka topic name is 1 to 249 of the characters a-z A-Z 0-9 . _ -');
  }

  const service = serviceName ?? (env.TOOLWATCH_SERVICE_NAME?.trim() || env.OTEL_SERVICE_NAME?.trim() || 'mcp-server');
  const spoolDir = env.TOOLWATCH_SPOOL_DIR?.trim() ? resolve(env.TOOLWATCH_SPOOL_DIR.trim()) : defaultSpoolDir(service);
  const spoolMaxBytes = parseSize('TOOLWATCH_SPOOL_MAX_BYTES', env.TOOLWATCH_SPOOL_MAX_BYTES) ?? DEFAULT_SPOOL_MAX_BYTES;
  if (spoolMaxBytes !== 0 && spoolMaxBytes < MIN_SPOOL_BYTES) {
    throw new ExporterConfigError('TOOLWATCH_SPOOL_MAX_BYTES', 'must be at least 64KiB, or 0 for no disk spool');
  }
  return { brokers, topic, spoolDir, spoolMaxBytes };
}

/** Per user, since a tmpdir is often shared; per service, so servers do not mix spools. */
export function defaultSpoolDir(service: string): string {
  let user: string;
  try {
    user = userInfo().username;
  } catch {
    user = String(process.getuid?.() ?? 'user'); // no passwd entry, as in some containers
  }
  const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+$/, '_').slice(0, 100) || '_';
  return join(tmpdir(), `toolwatch-spool-${safe(user)}`, safe(service));
}

const UNITS: Record<string, number> = { '': 1, k: 1 << 10, m: 1 << 20, g: 1 << 30 };

function parseSize(variable: string, value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const match = /^(\d+)\s*(?:([kmg])(?:i?b)?|b)?$/i.exec(value.trim());
  const bytes = match ? Number(match[1]) * UNITS[(match[2] ?? '').toLowerCase()]! : NaN;
  if (!Number.isSafeInteger(bytes)) throw new ExporterConfigError(variable, 'must be a size in bytes, or with KiB, MiB or GiB (as in 64MiB)');
  return bytes;
}

/** A variable one or two letters away from one of ours is a typo that would go unseen. */
function checkForTypos(env: NodeJS.ProcessEnv): void {
  const ours = EXPORTER_ENV_VARIABLES.map((v) => v.name).filter((n) => n.startsWith('TOOLWATCH_'));
  for (const name of Object.keys(env)) {
    if (!name.startsWith('TOOLWATCH_') || ours.includes(name) || OTHER_TOOLWATCH_VARIABLES.has(name)) continue;
    const meant = closest(name, ours);
    if (meant) throw new ExporterConfigError(name, `unknown variable; did you mean ${meant}?`);
  }
}

function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of candidates) {
    const d = distance(word.toUpperCase(), candidate.toUpperCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best;
}

/** Damerau-Levenshtein (optimal string alignment): a swap of two letters is one typo. */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}
