import type { AlertRecord, SessionScoreRecord } from './alert.js';
import type { SpanRecord } from './span-record.js';

/**
 * ClickHouse DDL and row mappings. `otel_traces` keeps the column names, types and order of
 * the OpenTelemetry Collector's ClickHouse exporter, so that its INSERT, Grafana's
 * ClickHouse trace view and other OTel tools read and write the same table.
 */

export interface DdlOptions {
  /** Database to create tables in; `default` when omitted. */
  database?: string;
  /** Adds `ON CLUSTER <name>` and switches to Replicated engines. */
  cluster?: string;
  /** Rows older than this many days are dropped; 0 keeps them for ever. */
  ttlDays?: number;
}

export const TABLES = {
  spans: 'otel_traces',
  alerts: 'toolwatch_alerts',
  sessionScores: 'toolwatch_session_scores',
  detectorState: 'toolwatch_detector_state',
} as const;

const ident = (name: string): string => {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`not a plain ClickHouse identifier: ${JSON.stringify(name)}`);
  return name;
};

export function clickhouseDdl(options: DdlOptions = {}): string[] {
  const db = ident(options.database ?? 'default');
  const onCluster = options.cluster ? ` ON CLUSTER ${ident(options.cluster)}` : '';
  const engine = (base: string) => (options.cluster ? `Replicated${base}` : base);
  const ttl = (column: string) =>
    options.ttlDays && options.ttlDays > 0 ? `TTL ${column} + toIntervalDay(${Math.floor(options.ttlDays)})` : '';

  // Insert deduplication (a retried batch with the same token is dropped) is on for
  // Replicated tables; a plain MergeTree needs a window of its own.
  const dedupWindow = options.cluster ? '' : ', non_replicated_deduplication_window = 1000';

  const spans = `CREATE TABLE IF NOT EXISTS ${db}.${TABLES.spans}${onCluster} (
    Timestamp DateTime64(9) CODEC(Delta, ZSTD(1)),
    TraceId String CODEC(ZSTD(1)),
    SpanId String CODEC(ZSTD(1)),
    ParentSpanId String CODEC(ZSTD(1)),
    TraceState String CODEC(ZSTD(1)),
    SpanName LowCardinality(String) CODEC(ZSTD(1)),
    SpanKind LowCardinality(String) CODEC(ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ScopeName String CODEC(ZSTD(1)),
    ScopeVersion String CODEC(ZSTD(1)),
    SpanAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    Duration UInt64 CODEC(ZSTD(1)),
    StatusCode LowCardinality(String) CODEC(ZSTD(1)),
    StatusMessage String CODEC(ZSTD(1)),
    Events Nested (
        Timestamp DateTime64(9),
        Name LowCardinality(String),
        Attributes Map(LowCardinality(String), String)
    ) CODEC(ZSTD(1)),
    Links Nested (
        TraceId String,
        SpanId String,
        TraceState String,
        Attributes Map(LowCardinality(String), String)
    ) CODEC(ZSTD(1)),
    INDEX idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_span_attr_key mapKeys(SpanAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_span_attr_value mapValues(SpanAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_duration Duration TYPE minmax GRANULARITY 1
) ENGINE = ${engine('MergeTree')}()
PARTITION BY toDate(Timestamp)
ORDER BY (ServiceName, SpanName, toDateTime(Timestamp))
${ttl('toDateTime(Timestamp)')}
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1${dedupWindow}`;

  // ReplacingMergeTree on the deterministic id, newest revision kept: a replayed or retried
  // alert collapses into one row, and an update or close replaces the open one. WindowStart
  // is part of the id, so every revision lands in the same partition.
  const alerts = `CREATE TABLE IF NOT EXISTS ${db}.${TABLES.alerts}${onCluster} (
    Id String CODEC(ZSTD(1)),
    Status LowCardinality(String),
    Revision UInt32,
    SessionScore Float64,
    Rule LowCardinality(String),
    Kind LowCardinality(String),
    Severity LowCardinality(String),
    Score Float64,
    Title String CODEC(ZSTD(1)),
    SessionKey String CODEC(ZSTD(1)),
    ServiceName LowCardinality(String),
    ClientName LowCardinality(String),
    ClientVersion LowCardinality(String),
    Tool LowCardinality(String),
    WindowStart DateTime64(9),
    FirstEventTime DateTime64(9),
    LastEventTime DateTime64(9),
    Observed Float64,
    Baseline Nullable(Float64),
    Threshold Float64,
    Unit LowCardinality(String),
    Evidence String CODEC(ZSTD(1)),
    Tags Array(LowCardinality(String)),
    INDEX idx_session SessionKey TYPE bloom_filter(0.01) GRANULARITY 1
) ENGINE = ${engine('ReplacingMergeTree')}(Revision)
PARTITION BY toDate(WindowStart)
ORDER BY (ServiceName, Id)
${ttl('toDateTime(WindowStart)')}`;

  // One row per session (newest revision wins): every session, alerted or not, so panels
  // rank the riskiest and count the quiet ones.
  const sessionScores = `CREATE TABLE IF NOT EXISTS ${db}.${TABLES.sessionScores}${onCluster} (
    SessionKey String CODEC(ZSTD(1)),
    ServiceName LowCardinality(String),
    ClientName LowCardinality(String),
    ClientVersion LowCardinality(String),
    FirstEventTime DateTime64(9),
    LastEventTime DateTime64(9),
    Spans UInt32,
    Score Float64,
    Severity LowCardinality(String),
    Alerts UInt32,
    Rules Array(LowCardinality(String)),
    Ended Bool,
    Revision UInt32
) ENGINE = ${engine('ReplacingMergeTree')}(Revision)
PARTITION BY toDate(FirstEventTime)
ORDER BY (ServiceName, SessionKey)
${ttl('toDateTime(FirstEventTime)')}`;

  // What a detector partition's engine has learned, as of an offset. The newest offset wins
  // (a stale owner's late save loses); `Committed` is the offset below which an owner wrote
  // the spans and alerts, so a new owner rebuilds state up to it without writing again.
  const detectorState = `CREATE TABLE IF NOT EXISTS ${db}.${TABLES.detectorState}${onCluster} (
    ConsumerGroup String,
    Topic String,
    Partition UInt32,
    Offset Int64,
    Committed Int64,
    SavedAt DateTime64(3),
    Snapshot String CODEC(ZSTD(3))
) ENGINE = ${engine('ReplacingMergeTree')}(Offset)
ORDER BY (ConsumerGroup, Topic, Partition)`;

  return [spans, alerts, sessionScores, detectorState].map((sql) => sql.replace(/\n\n/g, '\n'));
}

/**
 * Nanoseconds as the decimal seconds `S.nnnnnnnnn` that a `DateTime64(9)` column reads
 * exactly. An integer string is ambiguous to ClickHouse: it reads a long one as
 * nanoseconds but a short one as seconds; and a JS number cannot hold nanoseconds.
 */
export function toDateTime64(nanos: string): string {
  const ns = BigInt(nanos);
  return `${ns / 1_000_000_000n}.${(ns % 1_000_000_000n).toString().padStart(9, '0')}`;
}

/** Settings for an INSERT of our rows: `basic` parsing reads decimal seconds exactly. */
export const INSERT_SETTINGS = { date_time_input_format: 'basic' } as const;

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
