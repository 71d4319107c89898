import type { DashboardSpec } from '../dashboard-spec.js';
import { anyOf, IS_ERROR, T } from '../query.js';
import { serviceVariable } from './common.js';

const inventory = `${T.toolInventory} WHERE ${anyOf('ServiceName', 'service')}`;
const toolCalls = `${T.spans} WHERE $__timeFilter(Timestamp) AND ${anyOf('ServiceName', 'service')} AND McpMethod = 'tools/call'`;

/** What each server advertises, since when, and which definitions changed under the clients. */
export const toolInventory: DashboardSpec = {
  uid: 'toolwatch-tools',
  title: 'toolwatch / Tool inventory and definition drift',
  description: 'Tools each MCP server advertised in tools/list (by definition hash, first and last seen), definitions that changed, and how tools are called.',
  variables: [serviceVariable],
  panels: [
    {
      title: 'Tool inventory',
      description: 'A tool with more than one definition hash has had its definition changed.',
      kind: 'table',
      w: 24,
      h: 9,
      sql: `SELECT ServiceName, Tool, uniqExact(DefinitionHash) AS definitions, argMax(DefinitionHash, LastSeen) AS current_hash,
  min(FirstSeen) AS first_seen, max(LastSeen) AS last_seen
FROM ${inventory} AND $__timeFilter(LastSeen) GROUP BY ServiceName, Tool ORDER BY definitions DESC, ServiceName, Tool`,
      columns: ['ServiceName', 'Tool', 'definitions', 'current_hash', 'first_seen', 'last_seen'],
    },
    {
      title: 'Definition drift',
      description: 'Every definition of a tool whose definition changed, oldest first: a rug pull looks like this.',
      kind: 'table',
      w: 12,
      h: 8,
      sql: `SELECT ServiceName, Tool, DefinitionHash, min(FirstSeen) AS first_seen, max(LastSeen) AS last_seen
FROM ${inventory} AND $__timeFilter(LastSeen)
  AND (ServiceName, Tool) IN (SELECT ServiceName, Tool FROM ${T.toolInventory} GROUP BY ServiceName, Tool HAVING uniqExact(DefinitionHash) > 1)
GROUP BY ServiceName, Tool, DefinitionHash ORDER BY ServiceName, Tool, first_seen`,
      columns: ['ServiceName', 'Tool', 'DefinitionHash', 'first_seen', 'last_seen'],
    },
    {
      title: 'Novelty alerts by tool',
      description: 'Unadvertised tools, changed definitions, look-alike names and sensitive paths.',
      kind: 'table',
      w: 12,
      h: 8,
      sql: `SELECT Tool, Rule, count() AS alerts, uniqExact(SessionKey) AS sessions, max(WindowStart) AS last_seen
FROM ${T.alerts} FINAL WHERE $__timeFilter(WindowStart) AND ${anyOf('ServiceName', 'service')} AND Kind = 'novelty'
GROUP BY Tool, Rule ORDER BY alerts DESC`,
      columns: ['Tool', 'Rule', 'alerts', 'sessions', 'last_seen'],
    },
    {
      title: 'Calls by tool',
      kind: 'timeseries',
      w: 12,
      h: 8,
      sql: `SELECT $__timeInterval(Timestamp) AS time, McpTool AS tool, count() AS calls FROM ${toolCalls} GROUP BY time, tool ORDER BY time`,
      columns: ['time', 'tool', 'calls'],
    },
    {
      title: 'Tool errors and latency',
      kind: 'table',
      w: 12,
      h: 8,
      sql: `SELECT ServiceName, McpTool AS tool, count() AS calls, countIf(${IS_ERROR}) AS errors, round(errors / calls, 4) AS error_rate,
  round(quantile(0.95)(Duration) / 1e6, 2) AS p95_ms
FROM ${toolCalls} GROUP BY ServiceName, tool ORDER BY errors DESC, calls DESC LIMIT 100`,
      columns: ['ServiceName', 'tool', 'calls', 'errors', 'error_rate', 'p95_ms'],
    },
  ],
};
