export { instrument, createInstrumentation, wrapConnect, type InstrumentOptions, type Instrumentation, type InstrumentTarget } from './instrument.js';
export { createTelemetry, type Telemetry, type TelemetryOptions, SCOPE_NAME, SCOPE_VERSION } from './telemetry.js';
export { startStdioProxy, type StdioProxy, type StdioProxyOptions } from './proxy/stdio-proxy.js';
export { startHttpProxy, type HttpProxy, type HttpProxyOptions } from './proxy/http-proxy.js';
export type { HttpProxyStats } from './proxy/http-stats.js';
export { observeTransport } from './observe-transport.js';
export { McpObserver, type ObserverSettings, type Redaction, type CapturePolicy, type Connection } from './observer/mcp-observer.js';
export { DeferredWork } from './observer/deferred-work.js';
export { McpMetrics, DURATION_BUCKETS } from './observer/metrics.js';
export { toSpanRecord } from './to-span-record.js';
export { canonicalHash, jsonBytes, keyShape } from './summarize.js';
export type { KeyedRecord, RecordTransport } from './exporters/record-transport.js';
export { SpanRecordExporter, type ExporterStats } from './exporters/span-record-exporter.js';
export { KafkaTransport, DEFAULT_SPAN_TOPIC, type KafkaTransportOptions } from './exporters/kafka.js';
export * from './redaction/index.js';
export { redactCommand, REDACT_HELP } from './redaction/redact-command.js';
export { SpoolingTransport, type SpoolingOptions, type SpoolingStats, type DropReason } from './exporters/spooling-transport.js';
export { JsonlFileTransport, type JsonlFileOptions } from './exporters/jsonl.js';
export { createOtlpExporter, otlpOptionsFromEnv, DEFAULT_OTLP_TRACES_URL, type OtlpExporterOptions } from './exporters/otlp.js';
export { FanOutExporter } from './exporters/fan-out.js';
export {
  exporterFromEnv,
  EXPORTER_ENV_VARIABLES,
  exporterEnvMarkdown,
  defaultSpoolDir,
  type EnvVariable,
  type ExporterFromEnvOptions,
} from './exporters/from-env.js';
export { ExporterConfigError } from './exporters/config-error.js';
export * from './otlp-receiver/index.js';
export { proxyCommand, PROXY_HELP, serviceNameFromCommand } from './proxy/proxy-command.js';
export { registerSettingsFromEnv, REGISTER_VARIABLES, type RegisterSettings } from './register/env-settings.js';
export { clientAddress, CLIENT_ADDRESS_HEADER } from './client-address.js';
