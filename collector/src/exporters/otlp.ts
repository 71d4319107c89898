import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { ExporterConfigError } from './config-error.js';

type OtlpConfig = NonNullable<ConstructorParameters<typeof OTLPTraceExporter>[0]>;

export interface OtlpExporterOptions {
  /** The full traces URL, e.g. `http://collector:4318/v1/traces`. */
  url?: string;
  headers?: Record<string, string>;
  timeoutMillis?: number;
  compression?: 'gzip' | 'none';
  /** Export requests in flight at most; more fail at once (the exporter's default is 30). */
  concurrencyLimit?: number;
}

export const DEFAULT_OTLP_TRACES_URL = 'http://localhost:4318/v1/traces';

/**
 * The OpenTelemetry OTLP/HTTP (JSON) trace exporter, so the same spans can go to any OTel
 * backend. Options win over the standard `OTEL_EXPORTER_OTLP_*` variables of `env`, and
 * the traces-specific variable over the general one, as the OTel specification says.
 */
export function createOtlpExporter(options: OtlpExporterOptions = {}, env: NodeJS.ProcessEnv = process.env): OTLPTraceExporter {
  const fromEnv = otlpOptionsFromEnv(env);
  const config: OtlpConfig = {
    url: options.url ?? fromEnv.url,
    headers: { ...fromEnv.headers, ...options.headers },
    timeoutMillis: options.timeoutMillis ?? fromEnv.timeoutMillis,
    compression: (options.compression ?? fromEnv.compression) as OtlpConfig['compression'],
    concurrencyLimit: options.concurrencyLimit,
  };
  return new OTLPTraceExporter(config);
}

/** Reads and checks the `OTEL_EXPORTER_OTLP_*` variables; an error names the variable,
 * never its value (headers and URLs carry credentials). */
export function otlpOptionsFromEnv(env: NodeJS.ProcessEnv): OtlpExporterOptions & { url: string } {
  const protocol = pick(env, 'PROTOCOL');
  // http/protobuf is the specification's default, so it is often set for every exporter:
  // OTLP/HTTP receivers take JSON on the same path.
  if (protocol && !['http/json', 'http/protobuf'].includes(protocol.value)) {
    throw new ExporterConfigError(protocol.name, `toolwatch exports OTLP over HTTP; use http/json or http/protobuf, not ${JSON.stringify(protocol.value)}`);
  }
  const traces = nonEmpty(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  const base = nonEmpty(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  let url = DEFAULT_OTLP_TRACES_URL;
  if (traces !== undefined) url = httpUrl('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', traces);
  else if (base !== undefined) url = httpUrl('OTEL_EXPORTER_OTLP_ENDPOINT', base.replace(/\/*$/, '/') + 'v1/traces');

  const headers = { ...parseHeaders(env, 'OTEL_EXPORTER_OTLP_HEADERS'), ...parseHeaders(env, 'OTEL_EXPORTER_OTLP_TRACES_HEADERS') };

  let timeoutMillis: number | undefined;
  const timeout = pick(env, 'TIMEOUT');
  if (timeout) {
    timeoutMillis = Number(timeout.value);
    if (!/^\d+$/.test(timeout.value) || timeoutMillis <= 0) throw new ExporterConfigError(timeout.name, 'must be a positive integer of milliseconds');
  }

  let compression: 'gzip' | 'none' | undefined;
  const compress = pick(env, 'COMPRESSION');
  if (compress) {
    if (compress.value !== 'gzip' && compress.value !== 'none') throw new ExporterConfigError(compress.name, 'must be gzip or none');
    compression = compress.value;
  }
  return { url, headers, timeoutMillis, compression };
}

/** The traces-specific variable if set, else the general one. */
function pick(env: NodeJS.ProcessEnv, suffix: string): { name: string; value: string } | undefined {
  for (const name of [`OTEL_EXPORTER_OTLP_TRACES_${suffix}`, `OTEL_EXPORTER_OTLP_${suffix}`]) {
    const value = nonEmpty(env, name);
    if (value !== undefined) return { name, value: value.toLowerCase() };
  }
  return undefined;
}

const nonEmpty = (env: NodeJS.ProcessEnv, name: string) => {
  const value = env[name]?.trim();
  return value ? value : undefined;
};

function httpUrl(variable: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ExporterConfigError(variable, 'is not a URL (expected http(s)://host:port…)');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ExporterConfigError(variable, `must be an http or https URL, not ${url.protocol}`);
  return url.href;
}

/** The W3C-baggage-like list of the OTel spec: `key=value,key2=value2`, values percent-encoded. */
function parseHeaders(env: NodeJS.ProcessEnv, variable: string): Record<string, string> {
  const value = nonEmpty(env, variable);
  if (value === undefined) return {};
  const headers: Record<string, string> = {};
  value.split(',').forEach((entry, i) => {
    const eq = entry.indexOf('=');
    const key = eq > 0 ? entry.slice(0, eq).trim() : '';
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(key)) throw new ExporterConfigError(variable, `entry ${i + 1} is not key=value with a valid header name`);
    try {
      headers[key.toLowerCase()] = decodeURIComponent(entry.slice(eq + 1).trim());
    } catch {
      throw new ExporterConfigError(variable, `the value of entry ${i + 1} (${key}) is not valid percent-encoding`);
    }
  });
  return headers;
}
