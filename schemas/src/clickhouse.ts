import type { AlertRecord, SessionScoreRecord } from './alert.js';
import type { SpanRecord } from './span-record.js';

/**
 * ClickHouse row mappings; the tables are in clickhouse-tables.ts and reach a database
 * through clickhouse-migrations.ts. `otel_traces` keeps the column names, types and order
 * of the OpenTelemetry Collector's ClickHouse exporter, so that its INSERT, Grafana's
 * ClickHouse trace view and other OTel tools read and write the same table.
 */

export { TABLES, SPAN_COLUMNS, spanAttr, findingsSum, SPAN_INDEXES, ident, type DdlOptions, type SpanColumn } from './clickhouse-tables.js';
export { clickhouseDdl, migrate, sqlRunner, MIGRATIONS, SCHEMA_VERSION, type SqlRunner, type ClickHouseClientLike, type Migration, type MigrationResult } from './clickhouse-migrations.js';

/**
 * Nanoseconds as the decimal seconds `S.nnnnnnnnn` that a `DateTime64(9)` column reads
 * exactly. An integer string is ambiguous to ClickHouse: it reads a long one as
 * nanoseconds but a short one as seconds; and a JS number cannot hold nanoseconds.
 */
export function toDateTime64(nanos: string): string {
  const ns = BigInt(nanos);
  return `${ns / 1_000_000_000n}.${(ns % 1_000_000_000n).toString().padStart(9, '0')}`;
}

/** Settings for an INSERT of our rows: `basic` parsing reads decimal seconds exactly; a
 * retried batch that ClickHouse drops by its deduplication token is dropped from the
 * tables that materialized views fill from it too. */
export const INSERT_SETTINGS = { date_time_input_format: 'basic', deduplicate_blocks_in_dependent_materialized_views: 1 } as const;

/** The detector's writes: synchronous, so a batch's offsets commit only once it is stored. */
export const WRITE_SETTINGS = { ...INSERT_SETTINGS, async_insert: 0 } as const;

/** A span record as a JSONEachRow row: the Nested columns go in flattened, as arrays. */
export function toSpanRow(r: SpanRecord): Record<string, unknown> {
  return {
    Timestamp: toDateTime64(r.Timestamp),
    TraceId: r.TraceId,
    SpanId: r.SpanId,
    ParentSpanId: r.ParentSpanId,
    TraceState: r.TraceState,
    SpanName: r.SpanName,
    SpanKind: r.SpanKind,
    ServiceName: r.ServiceName,
    ResourceAttributes: r.ResourceAttributes,
    ScopeName: r.ScopeName,
    ScopeVersion: r.ScopeVersion,
    SpanAttributes: r.SpanAttributes,
    Duration: r.Duration,
    StatusCode: r.StatusCode,
    StatusMessage: r.StatusMessage,
    'Events.Timestamp': r.Events.map((e) => toDateTime64(e.Timestamp)),
    'Events.Name': r.Events.map((e) => e.Name),
    'Events.Attributes': r.Events.map((e) => e.Attributes),
    'Links.TraceId': r.Links.map((l) => l.TraceId),
    'Links.SpanId': r.Links.map((l) => l.SpanId),
    'Links.TraceState': r.Links.map((l) => l.TraceState),
    'Links.Attributes': r.Links.map((l) => l.Attributes),
  };
}

export function toAlertRow(a: AlertRecord): Record<string, unknown> {
  return {
    Id: a.id,
    Status: a.status,
    Revision: a.revision,
    SessionScore: a.sessionScore,
    Rule: a.rule,
    Kind: a.kind,
    Severity: a.severity,
    Score: a.score,
    Title: a.title,
    SessionKey: a.sessionKey,
    ServiceName: a.serviceName,
    ClientName: a.clientName,
    ClientVersion: a.clientVersion,
    Tool: a.tool,
    WindowStart: toDateTime64(a.windowStart),
    FirstEventTime: toDateTime64(a.firstEventTime),
    LastEventTime: toDateTime64(a.lastEventTime),
    Observed: a.evidence.observed,
    Baseline: a.evidence.baseline,
    Threshold: a.evidence.threshold,
    Unit: a.evidence.unit,
    Evidence: JSON.stringify(a.evidence),
    Tags: a.tags,
  };
}

export function toSessionScoreRow(s: SessionScoreRecord): Record<string, unknown> {
  return {
    SessionKey: s.sessionKey,
    ServiceName: s.serviceName,
    ClientName: s.clientName,
    ClientVersion: s.clientVersion,
    FirstEventTime: toDateTime64(s.firstEventTime),
    LastEventTime: toDateTime64(s.lastEventTime),
    Spans: s.spans,
    Score: s.score,
    Severity: s.severity,
    Alerts: s.alerts,
    Rules: s.rules,
    Ended: s.ended,
    Revision: s.revision,
  };
}

/** A row of `toolwatch_outbox`: one alert revision waiting for one sink. */
export interface OutboxRow {
  Sink: string;
  ConsumerGroup: string;
  Topic: string;
  Partition: number;
  /** With Position, the order a partition's alerts were raised in. */
  Offset: string;
  Position: number;
  AlertId: string;
  Revision: number;
  SessionKey: string;
  EnqueuedAt: string;
  /** The AlertRecord as JSON, as the sink will get it. */
  Alert: string;
}

/** The columns of `otel_traces` as a span record's fields, for `fromSpanRow`: times as
 * integer nanoseconds in strings (a JS number cannot hold them). */
export const SPAN_RECORD_COLUMNS = `toString(toUnixTimestamp64Nano(Timestamp)) AS Timestamp, TraceId, SpanId, ParentSpanId,
  TraceState, SpanName, SpanKind, ServiceName, ResourceAttributes, ScopeName, ScopeVersion, SpanAttributes,
  Duration, StatusCode, StatusMessage,
  arrayMap(t -> toString(toUnixTimestamp64Nano(t)), Events.Timestamp) AS EventTimes, Events.Name AS EventNames,
  Events.Attributes AS EventAttributes, Links.TraceId AS LinkTraceIds, Links.SpanId AS LinkSpanIds,
  Links.TraceState AS LinkTraceStates, Links.Attributes AS LinkAttributes`;

export interface SpanRow extends Omit<SpanRecord, 'Events' | 'Links' | 'Duration'> {
  Duration: string | number;
  EventTimes: string[];
  EventNames: string[];
  EventAttributes: Record<string, string>[];
  LinkTraceIds: string[];
  LinkSpanIds: string[];
  LinkTraceStates: string[];
  LinkAttributes: Record<string, string>[];
}

/** A row read with `SPAN_RECORD_COLUMNS` back into the span record it was written from. */
export function fromSpanRow(row: SpanRow): SpanRecord {
  const { EventTimes, EventNames, EventAttributes, LinkTraceIds, LinkSpanIds, LinkTraceStates, LinkAttributes, Duration, ...fields } = row;
  return {
    ...fields,
    Duration: Number(Duration),
    Events: EventTimes.map((Timestamp, i) => ({ Timestamp, Name: EventNames[i]!, Attributes: EventAttributes[i]! })),
    Links: LinkTraceIds.map((TraceId, i) => ({ TraceId, SpanId: LinkSpanIds[i]!, TraceState: LinkTraceStates[i]!, Attributes: LinkAttributes[i]! })),
  };
}
