import { Semconv, Toolwatch, type SpanRecord } from '@toolwatch/schemas';

/** The session a record belongs to, keyed as the detector keys it, for ordering and the
 * summary only: scoring goes through the engine. */
export const sessionKeyOf = (r: SpanRecord): string =>
  r.SpanAttributes[Toolwatch.SESSION_KEY] ?? r.SpanAttributes[Semconv.MCP_SESSION_ID] ?? r.TraceId;
