import type { MeterProvider } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { SERVICE_NAME } from '@toolwatch/schemas';
import { DeferredWork } from './observer/deferred-work.js';
import type { CapturePolicy, ObserverSettings, Redaction } from './observer/mcp-observer.js';
import { McpMetrics } from './observer/metrics.js';

export const SCOPE_NAME = '@toolwatch/collector';
export const SCOPE_VERSION = '0.1.0';

export interface TelemetryOptions {
  /** Span exporter: a SpanRecordExporter over Kafka, or any OpenTelemetry exporter. */
  exporter: SpanExporter;
  /** Spans queued for export at most; more are dropped, never awaited. */
  maxQueueSize?: number;
  /** How often queued spans are exported. */
  scheduledDelayMillis?: number;
  /** Told about failures inside the instrumentation, which never reach the server. */
  onInternalError?: (err: unknown) => void;
  /** The secret/PII scanner for arguments and results. */
  redaction?: Redaction;
  /** Tools whose (redacted) arguments or results go on the span; none by default. */
  capture?: CapturePolicy;
  /** For the MCP duration histograms; the global one (a no-op unless set) by default. */
  meterProvider?: MeterProvider;
  /** A request unanswered this long ends its span as `timeout`. Default 5 minutes. */
  requestTimeoutMs?: number;
  /** Methods that get no span. Default: `notifications/progress`. */
  ignoreMethods?: string[];
}

/** The span pipeline that instrument(), the register hook and the proxy share. */
export interface Telemetry {
  /** What an observer needs to report spans as the given service. */
  observerSettings(service: string, version?: string): ObserverSettings;
  /** Exports every span ended so far; resolves even when the export fails. */
  forceFlush(): Promise<void>;
  /** Flushes, then closes the exporter. */
  shutdown(): Promise<void>;
}

export function createTelemetry(options: TelemetryOptions): Telemetry {
  // `service.name` belongs to the resource, and a resource to a tracer provider: one
  // provider per service (a process rarely hosts more than one), all sharing the exporter.
  const providers = new Map<string, BasicTracerProvider>();
  const providerFor = (service: string, version: string): BasicTracerProvider => {
    const key = JSON.stringify([service, version]);
    let provider = providers.get(key);
    if (!provider) {
      provider = new BasicTracerProvider({
        resource: resourceFromAttributes({ [SERVICE_NAME]: service, ...(version ? { 'service.version': version } : {}) }),
        spanProcessors: [
          new BatchSpanProcessor(options.exporter, {
            maxQueueSize: options.maxQueueSize ?? 8192,
            maxExportBatchSize: 512,
            scheduledDelayMillis: options.scheduledDelayMillis ?? 200,
          }),
        ],
      });
      providers.set(key, provider);
    }
    return provider;
  };
  const deferred = new DeferredWork(4096, options.onInternalError);
  const metrics = new McpMetrics(options.meterProvider);
  const ignoreMethods = new Set(options.ignoreMethods ?? ['notifications/progress']);

  // A failed export is counted by the exporter and reported here; a server's shutdown
  // path must not fail because the telemetry did.
  const all = (fn: (p: BasicTracerProvider) => Promise<void>) =>
    Promise.all([...providers.values()].map(fn)).then(
      () => {},
      (err: unknown) => options.onInternalError?.(err),
    );
  return {
    observerSettings: (service, version = '') => ({
      tracer: providerFor(service, version).getTracer(SCOPE_NAME, SCOPE_VERSION),
      metrics,
      deferred,
      redaction: options.redaction,
      capture: options.capture,
      requestTimeoutMs: options.requestTimeoutMs ?? 300_000,
      ignoreMethods,
      onInternalError: options.onInternalError,
    }),
    forceFlush: () => {
      deferred.drain(); // spans still being measured end now, so the flush includes them
      return all((p) => p.forceFlush());
    },
    // Each provider shuts its processor down, and each processor the shared exporter:
    // SpanRecordExporter.shutdown is idempotent for that reason.
    shutdown: () => {
      deferred.drain();
      return all((p) => p.shutdown());
    },
  };
}
