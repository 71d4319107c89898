import { SpanKind as OtelKind, SpanStatusCode, type Attributes, type HrTime } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { SERVICE_NAME, type SpanRecord } from '@toolwatch/schemas';

/** An OpenTelemetry span as a span record: the `otel_traces` row the OTel Collector's
 * ClickHouse exporter would write for it. */
export function toSpanRecord(span: ReadableSpan): SpanRecord {
  const ctx = span.spanContext();
  const resource = stringMap(span.resource.attributes);
  return {
    Timestamp: nanos(span.startTime),
    TraceId: ctx.traceId,
    SpanId: ctx.spanId,
    ParentSpanId: span.parentSpanContext?.spanId ?? '',
    TraceState: ctx.traceState?.serialize() ?? '',
    SpanName: span.name,
    SpanKind: KIND[span.kind] ?? 'Internal',
    ServiceName: resource[SERVICE_NAME] ?? '',
    ResourceAttributes: resource,
    ScopeName: span.instrumentationScope.name,
    ScopeVersion: span.instrumentationScope.version ?? '',
    SpanAttributes: stringMap(span.attributes),
    Duration: Number(BigInt(nanos(span.duration))),
    StatusCode: span.status.code === SpanStatusCode.ERROR ? 'Error' : span.status.code === SpanStatusCode.OK ? 'Ok' : 'Unset',
    StatusMessage: span.status.message ?? '',
    Events: span.events.map((e) => ({ Timestamp: nanos(e.time), Name: e.name, Attributes: stringMap(e.attributes ?? {}) })),
    Links: span.links.map((l) => ({
      TraceId: l.context.traceId,
      SpanId: l.context.spanId,
      TraceState: l.context.traceState?.serialize() ?? '',
      Attributes: stringMap(l.attributes ?? {}),
    })),
  };
}

const KIND: Record<number, SpanRecord['SpanKind']> = {
  [OtelKind.INTERNAL]: 'Internal',
  [OtelKind.SERVER]: 'Server',
  [OtelKind.CLIENT]: 'Client',
  [OtelKind.PRODUCER]: 'Producer',
  [OtelKind.CONSUMER]: 'Consumer',
};

const nanos = ([s, ns]: HrTime): string => (BigInt(s) * 1_000_000_000n + BigInt(ns)).toString();

/** The `Map(String, String)` form: numbers and booleans as text, arrays as JSON. */
function stringMap(attributes: Attributes): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === null) continue;
    out[key] = Array.isArray(value) ? JSON.stringify(value) : String(value);
  }
  return out;
}
