import { Semconv, Toolwatch } from './attributes.js';

/**
 * The CREATE statements of every toolwatch table, by name, for one database and options.
 * Migrations (clickhouse-migrations.ts) run them with `IF NOT EXISTS` and bring older
 * tables forward with ALTERs, so a fresh database and an upgraded one end up alike.
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
  /** The OTel exporter's trace-id → time range lookup, and the view that fills it. */
  traceIdTs: 'otel_traces_trace_id_ts',
  traceIdTsView: 'otel_traces_trace_id_ts_mv',
  alerts: 'toolwatch_alerts',
  sessionScores: 'toolwatch_session_scores',
  detectorState: 'toolwatch_detector_state',
  toolInventory: 'toolwatch_tool_inventory',
  toolInventoryView: 'toolwatch_tool_inventory_mv',
  migrations: 'toolwatch_schema_migrations',
  /** Alerts waiting for each sink, the sinks' answers, and which sinks asked to be left alone. */
  outbox: 'toolwatch_outbox',
  outboxAcks: 'toolwatch_outbox_acks',
  sinkStatus: 'toolwatch_sink_status',
} as const;

export const ident = (name: string): string => {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`not a plain ClickHouse identifier: ${JSON.stringify(name)}`);
  return name;
};

/** A span attribute in SQL, and the sum of a findings attribute (rule → count JSON). */
export const spanAttr = (key: string) => `SpanAttributes['${key}']`;
export const findingsSum = (key: string) => `arraySum(f -> f.2, JSONExtractKeysAndValues(${spanAttr(key)}, 'UInt32'))`;
const attr = spanAttr;

/**
 * Columns that `otel_traces` computes from `SpanAttributes` on insert. A panel that reads
 * one of them reads a narrow column instead of every span's whole map; the exporter's
 * INSERT names its columns, so it never sees these.
 */
export const SPAN_COLUMNS = {
  McpMethod: ['LowCardinality(String)', attr(Semconv.MCP_METHOD_NAME)],
  McpTool: ['LowCardinality(String)', attr(Semconv.GEN_AI_TOOL_NAME)],
  McpSessionKey: ['String', attr(Toolwatch.SESSION_KEY)],
  McpClientName: ['LowCardinality(String)', attr(Toolwatch.CLIENT_NAME)],
  McpErrorType: ['LowCardinality(String)', attr(Semconv.ERROR_TYPE)],
  McpRequestBytes: ['UInt64', `toUInt64OrZero(${attr(Toolwatch.REQUEST_BYTES)})`],
  McpResponseBytes: ['UInt64', `toUInt64OrZero(${attr(Toolwatch.RESPONSE_BYTES)})`],
  // Rule → count objects from the secret/PII scan, summed: how many findings a call carried.
  McpFindings: [
    'UInt32',
    `${findingsSum(Toolwatch.ARGUMENTS_FINDINGS)} + ${findingsSum(Toolwatch.RESULT_FINDINGS)}`,
  ],
} as const satisfies Record<string, readonly [string, string]>;
export type SpanColumn = keyof typeof SPAN_COLUMNS;

/** Skip indexes on the computed columns: a session's timeline reads a few granules. */
export const SPAN_INDEXES = {
  idx_mcp_session: 'McpSessionKey TYPE bloom_filter(0.001) GRANULARITY 1',
  idx_mcp_tool: 'McpTool TYPE set(256) GRANULARITY 1',
  idx_mcp_response_bytes: 'McpResponseBytes TYPE minmax GRANULARITY 1',
} as const;

export interface Resolved {
  db: string;
  onCluster: string;
  engine: (base: string) => string;
  /** The TTL clause of a table in TTL_COLUMNS ('' when rows are kept for ever). */
  ttl: (table: string) => string;
  cluster?: string;
}

export function resolve(options: DdlOptions = {}): Resolved {
  const ttlDays = options.ttlDays && options.ttlDays > 0 ? Math.floor(options.ttlDays) : 0;
  return {
    db: ident(options.database ?? 'default'),
    onCluster: options.cluster ? ` ON CLUSTER ${ident(options.cluster)}` : '',
    engine: (base) => (options.cluster ? `Replicated${base}` : base),
    ttl: (table) => (ttlDays && TTL_COLUMNS[table] ? `TTL ${TTL_COLUMNS[table]} + toIntervalDay(${ttlDays})` : ''),
    cluster: options.cluster,
  };
}

/** The column each table's TTL counts from (tables without one keep rows for ever). */
export const TTL_COLUMNS: Partial<Record<string, string>> = {
  [TABLES.spans]: 'toDateTime(Timestamp)',
  [TABLES.traceIdTs]: 'toDateTime(Start)',
  [TABLES.alerts]: 'toDateTime(WindowStart)',
  [TABLES.sessionScores]: 'toDateTime(FirstEventTime)',
  [TABLES.toolInventory]: 'toDateTime(LastSeen)',
};

const tidy = (sql: string) => sql.replace(/\n\s*\n/g, '\n');

/** `otel_traces` exactly as the OTel Collector's ClickHouse exporter creates it. */
export function spansTable(r: Resolved): string {
  // Insert deduplication (a retried batch with the same token is dropped) is on for
  // Replicated tables; a plain MergeTree needs a window of its own.
  const dedupWindow = r.cluster ? '' : ', non_replicated_deduplication_window = 1000';
  return tidy(`CREATE TABLE IF NOT EXISTS ${r.db}.${TABLES.spans}${r.onCluster} (
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
) ENGINE = ${r.engine('MergeTree')}()
PARTITION BY toDate(Timestamp)
ORDER BY (ServiceName, SpanName, toDateTime(Timestamp))
${r.ttl(TABLES.spans)}
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1${dedupWindow}`);
}

/** The exporter's lookup (`traces_id_ts_lookup_table.sql`, `…_mv.sql`): Grafana's trace
 * view finds a trace's time range here before it reads `otel_traces`. */
export function traceIdLookup(r: Resolved): string[] {
  return [
    tidy(`CREATE TABLE IF NOT EXISTS ${r.db}.${TABLES.traceIdTs}${r.onCluster} (
    TraceId String CODEC(ZSTD(1)),
    Start DateTime CODEC(Delta, ZSTD(1)),
    End DateTime CODEC(Delta, ZSTD(1)),
    INDEX idx_trace_id TraceId TYPE bloom_filter(0.01) GRANULARITY 1
) ENGINE = ${r.engine('MergeTree')}()
PARTITION BY toDate(Start)
ORDER BY (TraceId, Start)
${r.ttl(TABLES.traceIdTs)}
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1`),
    `CREATE MATERIALIZED VIEW IF NOT EXISTS ${r.db}.${TABLES.traceIdTsView}${r.onCluster}
TO ${r.db}.${TABLES.traceIdTs}
AS ${traceIdSelect(r)}`,
  ];
}

/** The view's SELECT, as the exporter writes it: spans to a trace's first and last time. */
export function traceIdSelect(r: Resolved): string {
  return `SELECT
    TraceId,
    min(Timestamp) as Start,
    max(Timestamp) as End
FROM ${r.db}.${TABLES.spans}
WHERE TraceId != ''
GROUP BY TraceId`;
}

/** The SELECT that turns spans into inventory rows: each `tools/list` span names every
 * advertised tool with the hash of its definition. */
export function inventorySelect(r: Resolved): string {
  return `SELECT ServiceName, def.1 AS Tool, def.2 AS DefinitionHash, min(Timestamp) AS FirstSeen, max(Timestamp) AS LastSeen
FROM ${r.db}.${TABLES.spans}
ARRAY JOIN JSONExtractKeysAndValues(${attr(Toolwatch.TOOLS_DEFINITIONS)}, 'String') AS def
WHERE ${attr(Semconv.MCP_METHOD_NAME)} = 'tools/list'
GROUP BY ServiceName, Tool, DefinitionHash`;
}

/** Tool inventory: one row per (server, tool, definition hash) with when it was first and
 * last advertised. A tool with two hashes has had its definition changed (drift). */
export function toolInventory(r: Resolved): string[] {
  return [
    tidy(`CREATE TABLE IF NOT EXISTS ${r.db}.${TABLES.toolInventory}${r.onCluster} (
    ServiceName LowCardinality(String),
    Tool String,
    DefinitionHash String,
    FirstSeen SimpleAggregateFunction(min, DateTime64(9)),
    LastSeen SimpleAggregateFunction(max, DateTime64(9))
) ENGINE = ${r.engine('AggregatingMergeTree')}()
ORDER BY (ServiceName, Tool, DefinitionHash)
${r.ttl(TABLES.toolInventory)}`),
    `CREATE MATERIALIZED VIEW IF NOT EXISTS ${r.db}.${TABLES.toolInventoryView}${r.onCluster}
TO ${r.db}.${TABLES.toolInventory}
AS ${inventorySelect(r)}`,
  ];
}

/** ReplacingMergeTree on the deterministic id, newest revision kept: a replayed or retried
 * alert collapses into one row, and an update or close replaces the open one. WindowStart
 * is part of the id, so every revision lands in the same partition. */
export function alertsTable(r: Resolved, name: string = TABLES.alerts): string {
  return tidy(`CREATE TABLE IF NOT EXISTS ${r.db}.${name}${r.onCluster} (
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
) ENGINE = ${r.engine('ReplacingMergeTree')}(Revision)
PARTITION BY toDate(WindowStart)
ORDER BY (ServiceName, Id)
${r.ttl(TABLES.alerts)}`);
}

/** One row per session (newest revision wins): every session, alerted or not, so panels
 * rank the riskiest and count the quiet ones. */
export function sessionScoresTable(r: Resolved): string {
  return tidy(`CREATE TABLE IF NOT EXISTS ${r.db}.${TABLES.sessionScores}${r.onCluster} (
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
) ENGINE = ${r.engine('ReplacingMergeTree')}(Revision)
PARTITION BY toDate(FirstEventTime)
ORDER BY (ServiceName, SessionKey)
${r.ttl(TABLES.sessionScores)}`);
}

/** What a detector partition's engine has learned, as of an offset. The newest offset wins
 * (a stale owner's late save loses); `Committed` is the offset below which an owner wrote
 * the spans and alerts, so a new owner rebuilds state up to it without writing again. */
export function detectorStateTable(r: Resolved): string {
  return `CREATE TABLE IF NOT EXISTS ${r.db}.${TABLES.detectorState}${r.onCluster} (
    ConsumerGroup String,
    Topic String,
    Partition UInt32,
    Offset Int64,
    Committed Int64,
    SavedAt DateTime64(3),
    Snapshot String CODEC(ZSTD(3))
) ENGINE = ${r.engine('ReplacingMergeTree')}(Offset)
ORDER BY (ConsumerGroup, Topic, Partition)`;
}

/** How long an alert waits in the outbox for a sink that does not answer: longer than the
 * Standard Webhooks retry schedule (about 3 days), whatever the spans' TTL. Its answer is
 * kept a day longer, so that a row is never pending again for want of it. */
export const OUTBOX_DAYS = 7;

/**
 * The durable outbox: one row per alert revision per sink, written with the alerts and
 * before the offsets commit. A row is pending until its sink has an answer in
 * `toolwatch_outbox_acks`; (ConsumerGroup, Topic, Partition) name who delivers it (the
 * partition's owner), (Offset, Position) the order it was raised in. A batch written twice
 * (a retry, a new owner) repeats rows, not deliveries: readers group by alert and revision.
 */
export function outboxTables(r: Resolved): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${r.db}.${TABLES.outbox}${r.onCluster} (
    Sink LowCardinality(String),
    ConsumerGroup LowCardinality(String),
    Topic LowCardinality(String),
    Partition UInt32,
    Offset Int64,
    Position UInt32,
    AlertId String,
    Revision UInt32,
    SessionKey String CODEC(ZSTD(1)),
    EnqueuedAt DateTime64(3),
    Alert String CODEC(ZSTD(3))
) ENGINE = ${r.engine('MergeTree')}()
ORDER BY (Sink, ConsumerGroup, Topic, Partition, Offset, Position)
TTL toDateTime(EnqueuedAt) + toIntervalDay(${OUTBOX_DAYS})`,
    `CREATE TABLE IF NOT EXISTS ${r.db}.${TABLES.outboxAcks}${r.onCluster} (
    Sink LowCardinality(String),
    AlertId String,
    Revision UInt32,
    Outcome LowCardinality(String),
    Reason String,
    At DateTime64(3)
) ENGINE = ${r.engine('ReplacingMergeTree')}(At)
ORDER BY (Sink, AlertId, Revision)
TTL toDateTime(At) + toIntervalDay(${OUTBOX_DAYS + 1})`,
    `CREATE TABLE IF NOT EXISTS ${r.db}.${TABLES.sinkStatus}${r.onCluster} (
    Sink LowCardinality(String),
    Disabled Bool,
    Reason String,
    At DateTime64(3)
) ENGINE = ${r.engine('ReplacingMergeTree')}(At)
ORDER BY Sink`,
  ];
}
