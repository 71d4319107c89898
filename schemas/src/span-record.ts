import { z } from 'zod';
import { checkSpanRecord, MAX_NANOS } from './span-record-check.js';

/**
 * The span record: one MCP request as one OpenTelemetry span, in the shape of a row of the
 * OpenTelemetry Collector's ClickHouse `otel_traces` table. The same JSON object is the
 * Kafka message value, the ClickHouse row (after flattening Events and Links), and the
 * evidence an alert points to.
 */

/** Integer nanoseconds since the epoch, as a decimal string: a JS number loses precision
 * above 2^53 ns, and ClickHouse reads `DateTime64(9)` exactly from such a string. */
export const NanosString = z
  .string()
  .regex(/^\d{1,19}$/, 'expected integer nanoseconds as a decimal string')
  .refine((s) => s.length < 19 || s <= MAX_NANOS, 'nanoseconds past what ClickHouse DateTime64(9) holds (year 2262)');

const Hex = (bytes: number) =>
  z.string().regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`), `expected ${bytes} bytes as lowercase hex`);

export const TraceId = Hex(16);
export const SpanId = Hex(8);

/** Attribute maps hold strings only, as `Map(LowCardinality(String), String)` does. */
export const AttributeMap = z.record(z.string().max(256), z.string());

export const SpanKind = z.enum(['Server', 'Client', 'Internal', 'Producer', 'Consumer']);
export const StatusCode = z.enum(['Unset', 'Ok', 'Error']);

export const SpanEvent = z.object({
  Timestamp: NanosString,
  Name: z.string(),
  Attributes: AttributeMap,
});

export const SpanLink = z.object({
  TraceId,
  SpanId,
  TraceState: z.string(),
  Attributes: AttributeMap,
});

export const SpanRecord = z
  .object({
    Timestamp: NanosString.describe('span start time'),
    TraceId,
    SpanId,
    ParentSpanId: z.union([SpanId, z.literal('')]),
    TraceState: z.string(),
    SpanName: z.string().min(1).max(512),
    SpanKind,
    ServiceName: z.string(),
    ResourceAttributes: AttributeMap,
    ScopeName: z.string(),
    ScopeVersion: z.string(),
    SpanAttributes: AttributeMap,
    Duration: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).describe('nanoseconds'),
    StatusCode,
    StatusMessage: z.string(),
    Events: z.array(SpanEvent),
    Links: z.array(SpanLink),
  })
  .strict();

export type SpanRecord = z.infer<typeof SpanRecord>;
export type SpanEvent = z.infer<typeof SpanEvent>;
export type SpanLink = z.infer<typeof SpanLink>;

/** A parse failure with the reason, for logs and the dead-letter topic. */
export type DecodeResult<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Decodes a Kafka message value (or a JSONL line) into a span record, never throwing. */
export function decodeSpanRecord(raw: string | Uint8Array): DecodeResult<SpanRecord> {
  let json: unknown;
  // A view, not Buffer.from(raw): that copies every message before decoding it.
  const text = typeof raw === 'string' ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8');
  try {
    json = JSON.parse(text);
  } catch {
    // V8's message quotes the input, and the input may hold a secret: give the size only.
    return { ok: false, reason: `not JSON (${Buffer.byteLength(text)} bytes)` };
  }
  const checked = checkSpanRecord(json);
  if (checked) return { ok: true, value: checked };
  // The fast check only says no; zod, the schema of record, says why.
  const parsed = SpanRecord.safeParse(json);
  if (parsed.success) return { ok: true, value: parsed.data };
  return { ok: false, reason: `not a span record: ${describeIssues(parsed.error)}` };
}

/** Issue paths and codes only: zod's default message can quote the rejected input, and
 * the input may carry a secret. Keys inside attribute maps show as `[key]`: a key is
 * client-controlled text too. */
export function describeIssues(error: z.ZodError, max = 5): string {
  const parts = error.issues.slice(0, max).map((i) => `${i.path.length ? pathText(i.path) : '(root)'}: ${i.code}`);
  if (error.issues.length > max) parts.push(`… ${error.issues.length - max} more`);
  return parts.join('; ');
}

const MAPS = new Set(['SpanAttributes', 'ResourceAttributes', 'Attributes']);
function pathText(path: PropertyKey[]): string {
  return path.map((segment, i) => (i > 0 && MAPS.has(String(path[i - 1])) ? '[key]' : String(segment))).join('.');
}
