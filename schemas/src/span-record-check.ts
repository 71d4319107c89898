import type { SpanEvent, SpanLink, SpanRecord } from './span-record.js';

/**
 * The zod `SpanRecord` schema, checked by hand for the detector's hot path: zod's
 * safeParse was half the cost of decoding a span. It must accept exactly what the schema
 * accepts and return what its parse returns (a fresh record in schema order, unknown keys
 * of events and links dropped, `__proto__` keys of attribute maps dropped), and reject the
 * rest; schemas/test/span-record-check.test.ts holds it to that on a fuzzed corpus.
 * Rejections go back to zod, which stays the schema of record and names the reason.
 *
 * Written for what JSON.parse returns (plain objects and arrays, string keys only):
 * that is what lets `for…in` stand in for the own keys that zod reads.
 */
export function checkSpanRecord(o: unknown): SpanRecord | undefined {
  if (!isObject(o)) return undefined;
  const r = o as Record<string, unknown>;
  const parent = r.ParentSpanId;
  const duration = r.Duration;
  const resource = attributeMap(r.ResourceAttributes);
  const attributes = attributeMap(r.SpanAttributes);
  const events = eventList(r.Events);
  const links = linkList(r.Links);
  if (
    !isNanos(r.Timestamp) ||
    !isHex(r.TraceId, 32) ||
    !isHex(r.SpanId, 16) ||
    !(parent === '' || isHex(parent, 16)) ||
    typeof r.TraceState !== 'string' ||
    typeof r.SpanName !== 'string' ||
    r.SpanName.length < 1 ||
    r.SpanName.length > 512 ||
    !isSpanKind(r.SpanKind) ||
    typeof r.ServiceName !== 'string' ||
    resource === undefined ||
    typeof r.ScopeName !== 'string' ||
    typeof r.ScopeVersion !== 'string' ||
    attributes === undefined ||
    typeof duration !== 'number' ||
    !Number.isSafeInteger(duration) ||
    duration < 0 ||
    !isStatusCode(r.StatusCode) ||
    typeof r.StatusMessage !== 'string' ||
    events === undefined ||
    links === undefined
  ) {
    return undefined;
  }
  // The record is strict: all 17 keys are there and valid, so any other key is one too many.
  let keys = 0;
  for (const _ in r) keys++;
  if (keys !== 17) return undefined;
  return {
    Timestamp: r.Timestamp,
    TraceId: r.TraceId,
    SpanId: r.SpanId,
    ParentSpanId: parent,
    TraceState: r.TraceState,
    SpanName: r.SpanName,
    SpanKind: r.SpanKind,
    ServiceName: r.ServiceName,
    ResourceAttributes: resource,
    ScopeName: r.ScopeName,
    ScopeVersion: r.ScopeVersion,
    SpanAttributes: attributes,
    Duration: duration,
    StatusCode: r.StatusCode,
    StatusMessage: r.StatusMessage,
    Events: events,
    Links: links,
  } as SpanRecord;
}

const isObject = (x: unknown): x is object => typeof x === 'object' && x !== null && !Array.isArray(x);

/** The latest instant a `DateTime64(9)` holds (2262-04-11): one past it fails the whole
 * insert it is in, and its retries, so it must never get past decoding. */
export const MAX_NANOS = '9223372036854775807';

function isNanos(x: unknown): x is string {
  if (typeof x !== 'string' || x.length < 1 || x.length > 19) return false;
  for (let i = 0; i < x.length; i++) {
    const c = x.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  // Equal lengths of digits compare as numbers do.
  return x.length < 19 || x <= MAX_NANOS;
}

/** Lowercase hex of exactly `length` characters. */
function isHex(x: unknown, length: number): x is string {
  if (typeof x !== 'string' || x.length !== length) return false;
  for (let i = 0; i < length; i++) {
    const c = x.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

const isSpanKind = (x: unknown): boolean => x === 'Server' || x === 'Client' || x === 'Internal' || x === 'Producer' || x === 'Consumer';
const isStatusCode = (x: unknown): boolean => x === 'Unset' || x === 'Ok' || x === 'Error';

/** The map itself when it is valid as it stands; a copy without `__proto__` when it has
 * one (zod neither checks nor keeps that key); undefined when it is invalid. */
function attributeMap(x: unknown): Record<string, string> | undefined {
  if (!isObject(x)) return undefined;
  const m = x as Record<string, unknown>;
  let proto = false;
  for (const key in m) {
    if (key === '__proto__') proto = true;
    else if (key.length > 256 || typeof m[key] !== 'string') return undefined;
  }
  return proto ? withoutProto(m as Record<string, string>) : (m as Record<string, string>);
}

function withoutProto(m: Record<string, string>): Record<string, string> {
  const copy: Record<string, string> = {};
  for (const key in m) if (key !== '__proto__') copy[key] = m[key]!;
  return copy;
}

function eventList(x: unknown): SpanEvent[] | undefined {
  if (!Array.isArray(x)) return undefined;
  const out: SpanEvent[] = [];
  for (let i = 0; i < x.length; i++) {
    const e: unknown = x[i];
    if (!isObject(e)) return undefined;
    const { Timestamp, Name } = e as Record<string, unknown>;
    const Attributes = attributeMap((e as Record<string, unknown>).Attributes);
    if (!isNanos(Timestamp) || typeof Name !== 'string' || Attributes === undefined) return undefined;
    out.push({ Timestamp, Name, Attributes });
  }
  return out;
}

function linkList(x: unknown): SpanLink[] | undefined {
  if (!Array.isArray(x)) return undefined;
  const out: SpanLink[] = [];
  for (let i = 0; i < x.length; i++) {
    const l: unknown = x[i];
    if (!isObject(l)) return undefined;
    const { TraceId, SpanId, TraceState } = l as Record<string, unknown>;
    const Attributes = attributeMap((l as Record<string, unknown>).Attributes);
    if (!isHex(TraceId, 32) || !isHex(SpanId, 16) || typeof TraceState !== 'string' || Attributes === undefined) return undefined;
    out.push({ TraceId, SpanId, TraceState, Attributes });
  }
  return out;
}
