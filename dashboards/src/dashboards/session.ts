import type { DashboardSpec } from '../dashboard-spec.js';
import { IS_ERROR, T } from '../query.js';
import { SESSION_DASHBOARD_UID, sessionScoreColumns, sessionScoreSelect } from './common.js';

const session = '${session:sqlstring}';
const calls = `${T.spans} WHERE McpSessionKey = ${session} AND $__timeFilter(Timestamp)`;

/** Shows a trace in the panel below, keeping the session and the time range. */
const traceLink = { title: 'Show trace', url: `/d/${SESSION_DASHBOARD_UID}?var-session=\${session}&var-trace=\${__value.raw}&\${__url_time_range}` };

/**
 * The spans of one trace as the plugin's trace view reads them (`src/data/sqlGenerator.ts`):
 * the lookup table bounds the trace's time first, so the scan stays in its partitions.
 */
const traceSql = `WITH \${trace:sqlstring} AS trace_id,
  (SELECT min(Start) FROM ${T.traceIdTs} WHERE TraceId = trace_id) AS trace_start,
  (SELECT max(End) + 1 FROM ${T.traceIdTs} WHERE TraceId = trace_id) AS trace_end
SELECT TraceId AS traceID, SpanId AS spanID, ParentSpanId AS parentSpanID, ServiceName AS serviceName, SpanName AS operationName,
  Timestamp AS startTime, multiply(Duration, 0.000001) AS duration,
  arrayMap(key -> map('key', key, 'value', SpanAttributes[key]), mapKeys(SpanAttributes)) AS tags,
  arrayMap(key -> map('key', key, 'value', ResourceAttributes[key]), mapKeys(ResourceAttributes)) AS serviceTags
FROM ${T.spans}
WHERE traceID = trace_id AND startTime >= trace_start AND startTime <= trace_end AND $__timeFilter(Timestamp)
LIMIT 1000`;

/** One session, for incident response: what it called, how much it took, what fired. */
export const sessionDrillDown: DashboardSpec = {
  uid: SESSION_DASHBOARD_UID,
  title: 'toolwatch / Session drill-down',
  description: "One MCP session's calls on a time axis with sizes, errors, findings and alerts; each call links to its trace.",
  variables: [
    { name: 'session', label: 'Session key', default: '' },
    { name: 'trace', label: 'Trace id', default: '' },
  ],
  panels: [
    {
      title: 'Session',
      kind: 'table',
      w: 24,
      h: 4,
      sql: `${sessionScoreSelect}
FROM ${T.sessionScores} FINAL WHERE SessionKey = ${session} AND $__timeFilter(FirstEventTime)`,
      columns: sessionScoreColumns,
    },
    {
      title: 'Bytes per call',
      kind: 'points',
      w: 12,
      h: 8,
      unit: 'bytes',
      sql: `SELECT Timestamp AS time, McpResponseBytes AS response_bytes, McpRequestBytes AS request_bytes FROM ${calls} ORDER BY time`,
      columns: ['time', 'response_bytes', 'request_bytes'],
    },
    {
      title: 'Calls and errors',
      kind: 'timeseries',
      w: 12,
      h: 8,
      sql: `SELECT $__timeInterval(Timestamp) AS time, count() AS calls, countIf(${IS_ERROR}) AS errors, sum(McpFindings) AS findings
FROM ${calls} GROUP BY time ORDER BY time`,
      columns: ['time', 'calls', 'errors', 'findings'],
    },
    {
      title: 'Alerts',
      kind: 'table',
      w: 24,
      h: 6,
      sql: `SELECT WindowStart, Severity, Kind, Rule, Title, round(Score, 1) AS Score, Status, Revision, Observed, Threshold, Unit, Tool
FROM ${T.alerts} FINAL WHERE SessionKey = ${session} AND $__timeFilter(WindowStart) ORDER BY WindowStart`,
      columns: ['WindowStart', 'Severity', 'Kind', 'Rule', 'Title', 'Score', 'Status', 'Revision', 'Observed', 'Threshold', 'Unit', 'Tool'],
    },
    {
      title: 'Timeline of calls',
      description: 'Click a trace id to show its trace below.',
      kind: 'table',
      w: 24,
      h: 10,
      sql: `SELECT Timestamp, SpanName, McpMethod AS method, McpTool AS tool, McpRequestBytes AS request_bytes, McpResponseBytes AS response_bytes,
  round(Duration / 1e6, 2) AS duration_ms, StatusCode, McpErrorType AS error_type, McpFindings AS findings, TraceId, SpanId
FROM ${calls} ORDER BY Timestamp LIMIT 2000`,
      columns: ['Timestamp', 'SpanName', 'method', 'tool', 'request_bytes', 'response_bytes', 'duration_ms', 'StatusCode', 'error_type', 'findings', 'TraceId', 'SpanId'],
      links: [{ column: 'TraceId', ...traceLink }],
    },
    {
      title: 'Trace',
      kind: 'traces',
      w: 24,
      h: 10,
      sql: traceSql,
      columns: ['traceID', 'spanID', 'parentSpanID', 'serviceName', 'operationName', 'startTime', 'duration', 'tags', 'serviceTags'],
    },
  ],
};
