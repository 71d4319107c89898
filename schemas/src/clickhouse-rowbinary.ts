import type { SpanRecord } from './span-record.js';

/**
 * Span records as ClickHouse `RowBinary` rows of `otel_traces`, for an INSERT that names
 * `SPAN_INSERT_COLUMNS` (the MATERIALIZED columns are computed by ClickHouse and must not
 * be sent). Encoded straight from the records into one growing Buffer: no JSON text for
 * ClickHouse to parse, which is most of what a JSONEachRow insert costs.
 *
 * RowBinary: DateTime64(9) is an Int64 of nanoseconds, little-endian; UInt64 likewise;
 * String (and LowCardinality(String)) is a LEB128 byte length and the UTF-8 bytes;
 * Array(T) and Map(K, V) are a LEB128 count and the elements (pairs for a map). The
 * Nested columns go in flattened, one array per sub-column.
 */

/** The exporter's columns of `otel_traces`, in table order, as the INSERT must name them. */
export const SPAN_INSERT_COLUMNS = [
  'Timestamp',
  'TraceId',
  'SpanId',
  'ParentSpanId',
  'TraceState',
  'SpanName',
  'SpanKind',
  'ServiceName',
  'ResourceAttributes',
  'ScopeName',
  'ScopeVersion',
  'SpanAttributes',
  'Duration',
  'StatusCode',
  'StatusMessage',
  'Events.Timestamp',
  'Events.Name',
  'Events.Attributes',
  'Links.TraceId',
  'Links.SpanId',
  'Links.TraceState',
  'Links.Attributes',
] as const;

const TWO_32 = 0x1_0000_0000;
const NANOS_RE = /^\d{1,19}$/;

class RowBinaryWriter {
  buf: Buffer;
  pos = 0;

  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  varint(n: number): void {
    this.ensure(10);
    const buf = this.buf;
    let pos = this.pos;
    while (n >= 0x80) {
      buf[pos++] = (n & 0x7f) | 0x80;
      n = Math.floor(n / 128);
    }
    buf[pos++] = n;
    this.pos = pos;
  }

  /** A little-endian 64-bit integer from its low and high 32-bit halves. */
  u64(low: number, high: number): void {
    this.ensure(8);
    this.buf.writeUInt32LE(low, this.pos);
    this.buf.writeUInt32LE(high, this.pos + 4);
    this.pos += 8;
  }

  string(s: string): void {
    const n = s.length;
    if (n < 64) {
      // Short ASCII (ids, names, most values): copied by hand, the length fits one byte.
      this.ensure(n + 1);
      const buf = this.buf;
      let p = this.pos + 1;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        buf[p++] = c;
      }
      if (i === n) {
        buf[this.pos] = n;
        this.pos = p;
        return;
      }
    }
    const bytes = Buffer.byteLength(s, 'utf8');
    this.varint(bytes);
    this.ensure(bytes);
    this.pos += this.buf.write(s, this.pos, bytes, 'utf8');
  }

  /**
   * Integer nanoseconds from a decimal string as an Int64, exactly: the string is split at
   * the ninth digit from the right and the halves combined in 16- and 32-bit steps, each
   * below 2^53, so no float ever rounds.
   */
  nanos(s: string): void {
    if (!NANOS_RE.test(s)) throw new RangeError(`not integer nanoseconds within Int64: ${JSON.stringify(s)}`);
    const split = s.length - 9;
    const lo = split > 0 ? Number(s.slice(split)) : Number(s);
    const hi = split > 0 ? Number(s.slice(0, split)) : 0; // seconds, at most 10 digits
    // hi = hh·2^32 + p·2^16 + q, so hi·1e9 + lo = (hh·1e9 + ⌊p·1e9 / 2^16⌋)·2^32 + (p·1e9 mod 2^16)·2^16 + q·1e9 + lo.
    const hh = Math.floor(hi / TWO_32);
    const hl = hi - hh * TWO_32;
    const p = Math.floor(hl / 0x1_0000);
    const q = hl - p * 0x1_0000;
    const b = p * 1e9;
    const bh = Math.floor(b / 0x1_0000);
    const bl = b - bh * 0x1_0000;
    const low = bl * 0x1_0000 + q * 1e9 + lo;
    const carry = Math.floor(low / TWO_32);
    const high = hh * 1e9 + bh + carry;
    if (high >= 0x8000_0000) throw new RangeError(`nanoseconds beyond Int64: ${s}`);
    this.u64(low - carry * TWO_32, high);
  }

  uint64(n: number): void {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`not a UInt64 that a JS number holds exactly: ${n}`);
    const high = Math.floor(n / TWO_32);
    this.u64(n - high * TWO_32, high);
  }

  map(m: Record<string, string>): void {
    const keys = Object.keys(m);
    this.varint(keys.length);
    for (const k of keys) {
      this.string(k);
      this.string(m[k]!);
    }
  }

  result(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

/** `otel_traces` rows of the records, in `SPAN_INSERT_COLUMNS` order, as RowBinary. */
export function encodeSpanRowsRowBinary(records: SpanRecord[]): Buffer {
  const w = new RowBinaryWriter(Math.max(4096, records.length * 1024));
  for (const r of records) {
    w.nanos(r.Timestamp);
    w.string(r.TraceId);
    w.string(r.SpanId);
    w.string(r.ParentSpanId);
    w.string(r.TraceState);
    w.string(r.SpanName);
    w.string(r.SpanKind);
    w.string(r.ServiceName);
    w.map(r.ResourceAttributes);
    w.string(r.ScopeName);
    w.string(r.ScopeVersion);
    w.map(r.SpanAttributes);
    w.uint64(r.Duration);
    w.string(r.StatusCode);
    w.string(r.StatusMessage);
    const events = r.Events;
    w.varint(events.length);
    for (const e of events) w.nanos(e.Timestamp);
    w.varint(events.length);
    for (const e of events) w.string(e.Name);
    w.varint(events.length);
    for (const e of events) w.map(e.Attributes);
    const links = r.Links;
    w.varint(links.length);
    for (const l of links) w.string(l.TraceId);
    w.varint(links.length);
    for (const l of links) w.string(l.SpanId);
    w.varint(links.length);
    for (const l of links) w.string(l.TraceState);
    w.varint(links.length);
    for (const l of links) w.map(l.Attributes);
  }
  return w.result();
}
