import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { SERVICE_NAME } from '@toolwatch/schemas';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { MeterProvider } from '@opentelemetry/api';
import { observeTransport } from './observe-transport.js';
import { DeferredWork } from './observer/deferred-work.js';
import type { CapturePolicy, Redaction } from './observer/mcp-observer.js';
import { McpMetrics } from './observer/metrics.js';

export const SCOPE_NAME = '@toolwatch/collector';
export const SCOPE_VERSION = '0.1.0';

/** The low-level `Server` and the high-level `McpServer` (which holds a `Server`). */
type ServerLike = { connect(transport: Transport): Promise<void> };
type InstrumentTarget = ServerLike | { server: ServerLike };

export interface InstrumentOptions {
  /** Span exporter: a SpanRecordExporter over Kafka, or any OpenTelemetry exporter. */
  exporter: SpanExporter;
  /** `service.name` of the spans; defaults to the name the server gives in serverInfo. */
  serviceName?: string;
  /** Spans queued for export at most; more are dropped (and counted), never awaited. */
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

export interface Instrumentation {
  /** Instruments one more server (one per session in the usual HTTP deployment) with the
   * same exporter. Returns the server. */
  instrument<T extends InstrumentTarget>(target: T): T;
  /** Exports every span ended so far; resolves even when the export fails. */
  forceFlush(): Promise<void>;
  /** Flushes, then closes the exporter. */
  shutdown(): Promise<void>;
}

/**
 * Instruments an MCP server in place: every connection it makes from now on emits one
 * SERVER span per MCP request. Call it before `connect`.
 */
export function instrument(target: InstrumentTarget, options: InstrumentOptions): Instrumentation {
  const instrumentation = createInstrumentation(options);
  instrumentation.instrument(target);
  return instrumentation;
}

/** One exporter and span pipeline for any number of servers. */
export function createInstrumentation(options: InstrumentOptions): Instrumentation {
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

  const instrumentOne = <T extends InstrumentTarget>(target: T): T => {
    const server: ServerLike = 'server' in target && typeof target.server?.connect === 'function' ? target.server : (target as ServerLike);
    const info = (server as { _serverInfo?: { name?: string; version?: string } })._serverInfo ?? {};
    const tracer = providerFor(options.serviceName ?? info.name ?? 'mcp-server', info.version ?? '').getTracer(SCOPE_NAME, SCOPE_VERSION);
    const connect = server.connect.bind(server);
    server.connect = async (transport: Transport) => {
      // Protocol.connect sets its handlers on the transport and then starts it: observing
      // inside start() puts the observer over the SDK's handlers before the first message.
      const start = transport.start.bind(transport);
      transport.start = async () => {
        try {
          observeTransport(transport, {
            tracer,
            metrics,
            deferred,
            redaction: options.redaction,
            capture: options.capture,
            requestTimeoutMs: options.requestTimeoutMs ?? 300_000,
            ignoreMethods,
            onInternalError: options.onInternalError,
          });
        } catch (err) {
          options.onInternalError?.(err);
        }
        transport.start = start;
        return start();
      };
      return connect(transport);
    };
    return target;
  };

  // A failed export is counted by the exporter and reported here; a server's shutdown
  // path must not fail because the telemetry did.
  const reported = (p: Promise<void>) => p.catch((err: unknown) => options.onInternalError?.(err));
  const all = (fn: (p: BasicTracerProvider) => Promise<void>) => reported(Promise.all([...providers.values()].map(fn)).then(() => {}));
  return {
    instrument: instrumentOne,
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
