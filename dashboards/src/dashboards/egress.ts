import type { DashboardSpec } from '../dashboard-spec.js';
import { clientVariable, filteredSpans as spans, serviceVariable, sessionLink } from './common.js';

/** Where data leaves: bytes sent back to clients, by server, client and tool. */
export const egress: DashboardSpec = {
  uid: 'toolwatch-egress',
  title: 'toolwatch / Egress',
  description: 'Bytes that MCP servers sent back to clients (toolwatch.response.bytes), by server, client and tool, with the largest responses and secret/PII findings.',
  variables: [serviceVariable, clientVariable],
  panels: [
    {
      title: 'By server',
      kind: 'timeseries',
      w: 12,
      h: 8,
      unit: 'bytes',
      sql: `SELECT $__timeInterval(Timestamp) AS time, ServiceName, sum(McpResponseBytes) AS bytes FROM ${spans} GROUP BY time, ServiceName ORDER BY time`,
      columns: ['time', 'ServiceName', 'bytes'],
    },
    {
      title: 'By client',
      kind: 'timeseries',
      w: 12,
      h: 8,
      unit: 'bytes',
      sql: `SELECT $__timeInterval(Timestamp) AS time, McpClientName AS client, sum(McpResponseBytes) AS bytes FROM ${spans} GROUP BY time, client ORDER BY time`,
      columns: ['time', 'client', 'bytes'],
    },
    {
      title: 'By tool',
      kind: 'table',
      w: 12,
      h: 9,
      sql: `SELECT ServiceName, McpTool AS tool, count() AS calls, sum(McpResponseBytes) AS bytes, round(avg(McpResponseBytes)) AS avg_bytes,
  max(McpResponseBytes) AS max_bytes, sum(McpFindings) AS findings
FROM ${spans} AND McpMethod = 'tools/call' GROUP BY ServiceName, tool ORDER BY bytes DESC LIMIT 100`,
      columns: ['ServiceName', 'tool', 'calls', 'bytes', 'avg_bytes', 'max_bytes', 'findings'],
    },
    {
      title: 'By client, per session',
      kind: 'table',
      w: 12,
      h: 9,
      sql: `SELECT McpClientName AS client, uniq(McpSessionKey) AS sessions, sum(McpResponseBytes) AS bytes, round(bytes / sessions) AS bytes_per_session,
  sum(McpFindings) AS findings
FROM ${spans} GROUP BY client ORDER BY bytes DESC LIMIT 100`,
      columns: ['client', 'sessions', 'bytes', 'bytes_per_session', 'findings'],
    },
    {
      title: 'Largest responses',
      kind: 'table',
      w: 16,
      h: 9,
      sql: `SELECT Timestamp, McpSessionKey AS session, ServiceName, McpClientName AS client, McpTool AS tool, McpResponseBytes AS bytes, McpFindings AS findings, TraceId
FROM ${spans} ORDER BY McpResponseBytes DESC LIMIT 50`,
      columns: ['Timestamp', 'session', 'ServiceName', 'client', 'tool', 'bytes', 'findings', 'TraceId'],
      links: [{ column: 'session', ...sessionLink }],
    },
    {
      title: 'Secret and PII findings in traffic',
      kind: 'timeseries',
      w: 8,
      h: 9,
      sql: `SELECT $__timeInterval(Timestamp) AS time, sum(McpFindings) AS findings FROM ${spans} GROUP BY time ORDER BY time`,
      columns: ['time', 'findings'],
    },
  ],
};
