export { instrument, createInstrumentation, type InstrumentOptions, type Instrumentation, SCOPE_NAME, SCOPE_VERSION } from './instrument.js';
export { observeTransport, type ObserveOptions } from './observe-transport.js';
export { toSpanRecord } from './to-span-record.js';
export { canonicalHash, jsonBytes, keyShape } from './summarize.js';
export type { KeyedRecord, RecordTransport } from './exporters/record-transport.js';
export { SpanRecordExporter, type ExporterStats } from './exporters/span-record-exporter.js';
export { KafkaTransport, DEFAULT_SPAN_TOPIC, type KafkaTransportOptions } from './exporters/kafka.js';
