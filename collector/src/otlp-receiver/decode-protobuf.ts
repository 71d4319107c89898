import {
  BadRequestError,
  emptySpan,
  MAX_VALUE_DEPTH,
  type AnyValue,
  type KeyValue,
  type OtlpEvent,
  type OtlpLink,
  type OtlpResourceSpans,
  type OtlpScopeSpans,
  type OtlpSpan,
  type OtlpTraceRequest,
} from './otlp-model.js';
import { ProtobufReader, WireType } from './protobuf-reader.js';

/*
 * ExportTraceServiceRequest in the protobuf encoding, field numbers from
 * opentelemetry-proto (collector/trace/v1/trace_service.proto, trace/v1/trace.proto,
 * common/v1/common.proto, resource/v1/resource.proto). otlp-transformer 0.223 encodes with
 * a hand-written writer and ships no protobufjs root to decode with, so this reads the
 * handful of messages a trace export has. Unknown fields are skipped, as proto3 requires.
 */

const { VARINT, FIXED64, LEN, FIXED32 } = WireType;

/** Decodes a whole request; throws BadRequestError when the bytes are not one. */
export function decodeProtobufTraceRequest(body: Uint8Array): OtlpTraceRequest {
  const r = new ProtobufReader(body);
  const request: OtlpTraceRequest = { resourceSpans: [] };
  while (!r.done) {
    const { field, wireType } = r.tag();
    if (field === 1) {
      r.expect(wireType, LEN, 'resource_spans');
      request.resourceSpans.push(resourceSpans(r.message()));
    } else r.skip(wireType);
  }
  return request;
}

function resourceSpans(r: ProtobufReader): OtlpResourceSpans {
  const out: OtlpResourceSpans = { resourceAttributes: [], scopeSpans: [] };
  while (!r.done) {
    const { field, wireType } = r.tag();
    if (field === 1) {
      r.expect(wireType, LEN, 'resource');
      out.resourceAttributes = resource(r.message());
    } else if (field === 2) {
      r.expect(wireType, LEN, 'scope_spans');
      out.scopeSpans.push(scopeSpans(r.message()));
    } else r.skip(wireType);
  }
  return out;
}

function resource(r: ProtobufReader): KeyValue[] {
  const attributes: KeyValue[] = [];
  while (!r.done) {
    const { field, wireType } = r.tag();
    if (field === 1) {
      r.expect(wireType, LEN, 'resource.attributes');
      attributes.push(keyValue(r.message(), 0));
    } else r.skip(wireType);
  }
  return attributes;
}

function scopeSpans(r: ProtobufReader): OtlpScopeSpans {
  const out: OtlpScopeSpans = { scopeName: '', scopeVersion: '', spans: [] };
  while (!r.done) {
    const { field, wireType } = r.tag();
    if (field === 1) {
      r.expect(wireType, LEN, 'scope');
      Object.assign(out, scope(r.message()));
    } else if (field === 2) {
      r.expect(wireType, LEN, 'spans');
      out.spans.push(span(r.message()));
    } else r.skip(wireType);
  }
  return out;
}

function scope(r: ProtobufReader): { scopeName: string; scopeVersion: string } {
  const out = { scopeName: '', scopeVersion: '' };
  while (!r.done) {
    const { field, wireType } = r.tag();
    if (field === 1) {
      r.expect(wireType, LEN, 'scope.name');
      out.scopeName = r.string();
    } else if (field === 2) {
      r.expect(wireType, LEN, 'scope.version');
      out.scopeVersion = r.string();
    } else r.skip(wireType); // scope attributes have no column in otel_traces
  }
  return out;
}

function span(r: ProtobufReader): OtlpSpan {
  const s = emptySpan();
  while (!r.done) {
    const { field, wireType } = r.tag();
    switch (field) {
      case 1:
        r.expect(wireType, LEN, 'span.trace_id');
        s.traceId = hex(r.bytes());
        break;
      case 2:
        r.expect(wireType, LEN, 'span.span_id');
        s.spanId = hex(r.bytes());
        break;
      case 3:
        r.expect(wireType, LEN, 'span.trace_state');
        s.traceState = r.string();
        break;
      case 4:
        r.expect(wireType, LEN, 'span.parent_span_id');
        s.parentSpanId = hex(r.bytes());
        break;
      case 5:
        r.expect(wireType, LEN, 'span.name');
        s.name = r.string();
        break;
      case 6:
        r.expect(wireType, VARINT, 'span.kind');
        s.kind = r.uint();
        break;
      case 7:
        r.expect(wireType, FIXED64, 'span.start_time_unix_nano');
        s.startTimeUnixNano = r.fixed64();
        break;
      case 8:
        r.expect(wireType, FIXED64, 'span.end_time_unix_nano');
        s.endTimeUnixNano = r.fixed64();
        break;
      case 9:
        r.expect(wireType, LEN, 'span.attributes');
        s.attributes.push(keyValue(r.message(), 0));
        break;
      case 11:
        r.expect(wireType, LEN, 'span.events');
        s.events.push(event(r.message()));
        break;
      case 13:
        r.expect(wireType, LEN, 'span.links');
        s.links.push(link(r.message()));
        break;
      case 15:
        r.expect(wireType, LEN, 'span.status');
        status(r.message(), s);
        break;
      case 16:
        r.expect(wireType, FIXED32, 'span.flags');
        r.fixed32();
        break;
      default:
        r.skip(wireType);
    }
  }
  return s;
}

function event(r: ProtobufReader): OtlpEvent {
  const e: OtlpEvent = { timeUnixNano: 0n, name: '', attributes: [] };
  while (!r.done) {
    const { field, wireType } = r.tag();
    if (field === 1) {
      r.expect(wireType, FIXED64, 'event.time_unix_nano');
      e.timeUnixNano = r.fixed64();
    } else if (field === 2) {
      r.expect(wireType, LEN, 'event.name');
      e.name = r.string();
    } else if (field === 3) {
      r.expect(wireType, LEN, 'event.attributes');
      e.attributes.push(keyValue(r.message(), 0));
    } else r.skip(wireType);
  }
  return e;
}

function link(r: ProtobufReader): OtlpLink {
  const l: OtlpLink = { traceId: '', spanId: '', traceState: '', attributes: [] };
  while (!r.done) {
    const { field, wireType } = r.tag();
    if (field === 1) {
      r.expect(wireType, LEN, 'link.trace_id');
      l.traceId = hex(r.bytes());
    } else if (field === 2) {
      r.expect(wireType, LEN, 'link.span_id');
      l.spanId = hex(r.bytes());
    } else if (field === 3) {
      r.expect(wireType, LEN, 'link.trace_state');
      l.traceState = r.string();
    } else if (field === 4) {
      r.expect(wireType, LEN, 'link.attributes');
      l.attributes.push(keyValue(r.message(), 0));
    } else r.skip(wireType);
  }
  return l;
}

function status(r: ProtobufReader, s: OtlpSpan): void {
  while (!r.done) {
    const { field, wireType } = r.tag();
    if (field === 2) {
      r.expect(wireType, LEN, 'status.message');
      s.statusMessage = r.string();
    } else if (field === 3) {
      r.expect(wireType, VARINT, 'status.code');
      s.statusCode = r.uint();
    } else r.skip(wireType);
  }
}

function keyValue(r: ProtobufReader, depth: number): KeyValue {
  const kv: KeyValue = { key: '', value: { type: 'empty' } };
  while (!r.done) {
    const { field, wireType } = r.tag();
    if (field === 1) {
      r.expect(wireType, LEN, 'key_value.key');
      kv.key = r.string();
    } else if (field === 2) {
      r.expect(wireType, LEN, 'key_value.value');
      kv.value = anyValue(r.message(), depth);
    } else r.skip(wireType);
  }
  return kv;
}

function anyValue(r: ProtobufReader, depth: number): AnyValue {
  if (depth > MAX_VALUE_DEPTH) throw new BadRequestError(`invalid attribute value: nested deeper than ${MAX_VALUE_DEPTH} levels`);
  let value: AnyValue = { type: 'empty' };
  // A oneof: the last field on the wire wins.
  while (!r.done) {
    const { field, wireType } = r.tag();
    switch (field) {
      case 1:
        r.expect(wireType, LEN, 'any_value.string_value');
        value = { type: 'string', value: r.string() };
        break;
      case 2:
        r.expect(wireType, VARINT, 'any_value.bool_value');
        value = { type: 'bool', value: r.bool() };
        break;
      case 3:
        r.expect(wireType, VARINT, 'any_value.int_value');
        value = { type: 'int', value: r.int64() };
        break;
      case 4:
        r.expect(wireType, FIXED64, 'any_value.double_value');
        value = { type: 'double', value: r.double() };
        break;
      case 5:
        r.expect(wireType, LEN, 'any_value.array_value');
        value = { type: 'array', values: repeated(r.message(), (m) => anyValue(m, depth + 1)) };
        break;
      case 6:
        r.expect(wireType, LEN, 'any_value.kvlist_value');
        value = { type: 'kvlist', values: repeated(r.message(), (m) => keyValue(m, depth + 1)) };
        break;
      case 7:
        r.expect(wireType, LEN, 'any_value.bytes_value');
        value = { type: 'bytes', value: r.bytes().slice() };
        break;
      default:
        r.skip(wireType);
    }
  }
  return value;
}

/** ArrayValue and KeyValueList: `repeated X values = 1`. */
function repeated<T>(r: ProtobufReader, read: (m: ProtobufReader) => T): T[] {
  const out: T[] = [];
  while (!r.done) {
    const { field, wireType } = r.tag();
    if (field === 1) {
      r.expect(wireType, LEN, 'values');
      out.push(read(r.message()));
    } else r.skip(wireType);
  }
  return out;
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex');
