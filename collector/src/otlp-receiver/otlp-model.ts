/**
 * An ExportTraceServiceRequest as both decoders (protobuf and JSON) produce it, so that one
 * converter turns it into span records. Ids are lowercase hex (possibly of the wrong length:
 * the converter rejects the span, not the request), times are bigint nanoseconds.
 */

export type AnyValue =
  | { type: 'string'; value: string }
  | { type: 'bool'; value: boolean }
  | { type: 'int'; value: bigint }
  | { type: 'double'; value: number }
  | { type: 'bytes'; value: Uint8Array }
  | { type: 'array'; values: AnyValue[] }
  | { type: 'kvlist'; values: KeyValue[] }
  | { type: 'empty' };

export interface KeyValue {
  key: string;
  value: AnyValue;
}

export interface OtlpEvent {
  timeUnixNano: bigint;
  name: string;
  attributes: KeyValue[];
}

export interface OtlpLink {
  traceId: string;
  spanId: string;
  traceState: string;
  attributes: KeyValue[];
}

export interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  traceState: string;
  name: string;
  /** OTLP SpanKind: 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: KeyValue[];
  events: OtlpEvent[];
  links: OtlpLink[];
  /** OTLP StatusCode: 0 unset, 1 ok, 2 error. */
  statusCode: number;
  statusMessage: string;
  /** Set by the JSON decoder when a field of this span has the wrong type: the span is
   * rejected with this reason, the rest of the request goes on. */
  invalid?: string;
}

export interface OtlpScopeSpans {
  scopeName: string;
  scopeVersion: string;
  spans: OtlpSpan[];
}

export interface OtlpResourceSpans {
  resourceAttributes: KeyValue[];
  scopeSpans: OtlpScopeSpans[];
}

export interface OtlpTraceRequest {
  resourceSpans: OtlpResourceSpans[];
}

/** A request body that cannot be decoded at all: answered 400 with this reason, which
 * names a position or a field, never the content. */
export class BadRequestError extends Error {
  override readonly name = 'BadRequestError';
}

/** AnyValue nesting (arrays in kvlists in arrays…) allowed at most: deeper is an attack on
 * the stack, not telemetry. */
export const MAX_VALUE_DEPTH = 32;

export const emptySpan = (): OtlpSpan => ({
  traceId: '',
  spanId: '',
  parentSpanId: '',
  traceState: '',
  name: '',
  kind: 0,
  startTimeUnixNano: 0n,
  endTimeUnixNano: 0n,
  attributes: [],
  events: [],
  links: [],
  statusCode: 0,
  statusMessage: '',
});
