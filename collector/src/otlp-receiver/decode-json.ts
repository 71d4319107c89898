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

/*
 * ExportTraceServiceRequest in the OTLP/JSON encoding: the proto3 JSON mapping with the
 * OTLP exceptions — trace and span ids are hex, not base64; enums are integers (names are
 * accepted too). Field names are lowerCamelCase; the proto names are accepted as a JSON
 * parser of the mapping would. Unknown fields are ignored, as the specification requires.
 *
 * A field of the wrong type inside a span rejects that span only; anything wrong above the
 * spans (the envelope, a resource, a scope) rejects the request.
 */

type Json = Record<string, unknown>;

class FieldError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path}: ${reason}`);
  }
}

/** Decodes a request body; throws BadRequestError naming the field or position. */
export function decodeJsonTraceRequest(body: Uint8Array): OtlpTraceRequest {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8').decode(body));
  } catch (err) {
    // V8's message quotes the input, which may hold a secret: keep its position only.
    const at = /position (\d+)/.exec((err as Error).message)?.[1];
    throw new BadRequestError(`invalid JSON${at ? ` at position ${at}` : ''} (${body.length} bytes)`);
  }
  try {
    const root = object(json, '(root)');
    return { resourceSpans: list(get(root, 'resourceSpans', 'resource_spans'), 'resourceSpans', resourceSpans) };
  } catch (err) {
    if (err instanceof FieldError) throw new BadRequestError(`invalid request: ${err.message}`);
    throw err;
  }
}

function resourceSpans(value: unknown, path: string): OtlpResourceSpans {
  const rs = object(value, path);
  const res = get(rs, 'resource');
  const resourceAttributes = res === undefined || res === null ? [] : attributes(get(object(res, `${path}.resource`), 'attributes'), `${path}.resource.attributes`, 0);
  return { resourceAttributes, scopeSpans: list(get(rs, 'scopeSpans', 'scope_spans'), `${path}.scopeSpans`, scopeSpans) };
}

function scopeSpans(value: unknown, path: string): OtlpScopeSpans {
  const ss = object(value, path);
  const sc = get(ss, 'scope');
  const scope = sc === undefined || sc === null ? {} : object(sc, `${path}.scope`);
  const rawSpans = get(ss, 'spans');
  const spans = rawSpans === undefined || rawSpans === null ? [] : array(rawSpans, `${path}.spans`).map((s, i) => span(s, `${path}.spans[${i}]`));
  return {
    scopeName: string(get(scope, 'name'), `${path}.scope.name`),
    scopeVersion: string(get(scope, 'version'), `${path}.scope.version`),
    spans,
  };
}

function span(value: unknown, path: string): OtlpSpan {
  const s = emptySpan();
  try {
    const j = object(value, path);
    s.traceId = id(get(j, 'traceId', 'trace_id'), 'traceId');
    s.spanId = id(get(j, 'spanId', 'span_id'), 'spanId');
    s.parentSpanId = id(get(j, 'parentSpanId', 'parent_span_id'), 'parentSpanId');
    s.traceState = string(get(j, 'traceState', 'trace_state'), 'traceState');
    s.name = string(get(j, 'name'), 'name');
    s.kind = enumValue(get(j, 'kind'), 'kind', SPAN_KINDS);
    s.startTimeUnixNano = uint64(get(j, 'startTimeUnixNano', 'start_time_unix_nano'), 'startTimeUnixNano');
    s.endTimeUnixNano = uint64(get(j, 'endTimeUnixNano', 'end_time_unix_nano'), 'endTimeUnixNano');
    s.attributes = attributes(get(j, 'attributes'), 'attributes', 0);
    s.events = list(get(j, 'events'), 'events', event);
    s.links = list(get(j, 'links'), 'links', link);
    const st = get(j, 'status');
    if (st !== undefined && st !== null) {
      const status = object(st, 'status');
      s.statusCode = enumValue(get(status, 'code'), 'status.code', STATUS_CODES);
      s.statusMessage = string(get(status, 'message'), 'status.message');
    }
  } catch (err) {
    if (!(err instanceof FieldError)) throw err;
    s.invalid = err.message;
  }
  return s;
}

function event(value: unknown, path: string): OtlpEvent {
  const e = object(value, path);
  return {
    timeUnixNano: uint64(get(e, 'timeUnixNano', 'time_unix_nano'), `${path}.timeUnixNano`),
    name: string(get(e, 'name'), `${path}.name`),
    attributes: attributes(get(e, 'attributes'), `${path}.attributes`, 0),
  };
}

function link(value: unknown, path: string): OtlpLink {
  const l = object(value, path);
  return {
    traceId: id(get(l, 'traceId', 'trace_id'), `${path}.traceId`),
    spanId: id(get(l, 'spanId', 'span_id'), `${path}.spanId`),
    traceState: string(get(l, 'traceState', 'trace_state'), `${path}.traceState`),
    attributes: attributes(get(l, 'attributes'), `${path}.attributes`, 0),
  };
}

function attributes(value: unknown, path: string, depth: number): KeyValue[] {
  return list(value, path, (kv, p) => keyValue(kv, p, depth));
}

function keyValue(value: unknown, path: string, depth: number): KeyValue {
  const kv = object(value, path);
  const v = get(kv, 'value');
  return {
    key: string(get(kv, 'key'), `${path}.key`),
    value: v === undefined || v === null ? { type: 'empty' } : anyValue(v, `${path}.value`, depth),
  };
}

function anyValue(value: unknown, path: string, depth: number): AnyValue {
  if (depth > MAX_VALUE_DEPTH) throw new FieldError(path, `nested deeper than ${MAX_VALUE_DEPTH} levels`);
  const v = object(value, path);
  let x: unknown;
  if ((x = get(v, 'stringValue', 'string_value')) !== undefined) return { type: 'string', value: string(x, `${path}.stringValue`) };
  if ((x = get(v, 'boolValue', 'bool_value')) !== undefined) {
    if (typeof x !== 'boolean') throw new FieldError(`${path}.boolValue`, 'expected a boolean');
    return { type: 'bool', value: x };
  }
  if ((x = get(v, 'intValue', 'int_value')) !== undefined) {
    const n = int64(x, `${path}.intValue`);
    if (n >= 1n << 63n) throw new FieldError(`${path}.intValue`, 'out of range');
    return { type: 'int', value: n };
  }
  if ((x = get(v, 'doubleValue', 'double_value')) !== undefined) return { type: 'double', value: double(x, `${path}.doubleValue`) };
  if ((x = get(v, 'arrayValue', 'array_value')) !== undefined) {
    const values = get(object(x, `${path}.arrayValue`), 'values');
    return { type: 'array', values: list(values, `${path}.arrayValue.values`, (e, p) => anyValue(e, p, depth + 1)) };
  }
  if ((x = get(v, 'kvlistValue', 'kvlist_value')) !== undefined) {
    const values = get(object(x, `${path}.kvlistValue`), 'values');
    return { type: 'kvlist', values: attributes(values, `${path}.kvlistValue.values`, depth + 1) };
  }
  if ((x = get(v, 'bytesValue', 'bytes_value')) !== undefined) {
    const text = string(x, `${path}.bytesValue`);
    if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(text)) throw new FieldError(`${path}.bytesValue`, 'expected base64');
    return { type: 'bytes', value: new Uint8Array(Buffer.from(text, 'base64')) };
  }
  return { type: 'empty' };
}

const SPAN_KINDS = ['SPAN_KIND_UNSPECIFIED', 'SPAN_KIND_INTERNAL', 'SPAN_KIND_SERVER', 'SPAN_KIND_CLIENT', 'SPAN_KIND_PRODUCER', 'SPAN_KIND_CONSUMER'];
const STATUS_CODES = ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR'];

function get(obj: Json, camel: string, snake?: string): unknown {
  const v = obj[camel];
  return v === undefined && snake ? obj[snake] : v;
}

function object(value: unknown, path: string): Json {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new FieldError(path, 'expected an object');
  return value as Json;
}

function array(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) throw new FieldError(path, 'expected an array');
  return value;
}

/** A repeated field: absent or null is empty. */
function list<T>(value: unknown, path: string, read: (v: unknown, path: string) => T): T[] {
  if (value === undefined || value === null) return [];
  return array(value, path).map((v, i) => read(v, `${path}[${i}]`));
}

function string(value: unknown, path: string): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new FieldError(path, 'expected a string');
  return value;
}

/** Hex ids, per OTLP/JSON; lowercased. The converter checks the length. */
function id(value: unknown, path: string): string {
  const text = string(value, path);
  if (!/^[0-9a-fA-F]*$/.test(text)) throw new FieldError(path, 'expected hex');
  return text.toLowerCase();
}

function uint64(value: unknown, path: string): bigint {
  const n = int64(value, path);
  if (n < 0n) throw new FieldError(path, 'out of range');
  return n;
}

/** 64-bit integers come as decimal strings, or as numbers from lenient encoders. */
function int64(value: unknown, path: string): bigint {
  if (value === undefined || value === null) return 0n;
  let n: bigint;
  if (typeof value === 'string' && /^-?\d{1,20}$/.test(value)) n = BigInt(value);
  else if (typeof value === 'number' && Number.isInteger(value)) n = BigInt(value);
  else throw new FieldError(path, 'expected an integer');
  if (n < -(1n << 63n) || n >= 1n << 64n) throw new FieldError(path, 'out of range');
  return n;
}

function double(value: unknown, path: string): number {
  if (typeof value === 'number') return value;
  if (value === 'NaN') return NaN;
  if (value === 'Infinity') return Infinity;
  if (value === '-Infinity') return -Infinity;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  throw new FieldError(path, 'expected a number');
}

function enumValue(value: unknown, path: string, names: string[]): number {
  if (value === undefined || value === null) return 0;
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && names.includes(value)) return names.indexOf(value);
  throw new FieldError(path, 'expected an enum value');
}
