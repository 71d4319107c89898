import type { DashboardSpec } from '../dashboard-spec.js';
import { anyOf, T } from '../query.js';
import { clientVariable, filteredSpans as spans, serviceVariable, sessionLink, sessionScoreColumns, sessionScoreSelect } from './common.js';

const alerts = `${T.alerts} FINAL WHERE $__timeFilter(WindowStart) AND ${anyOf('ServiceName', 'service')} AND ${anyOf('ClientName', 'client')}`;
const sessions = `${T.sessionScores} FINAL WHERE $__timeFilter(FirstEventTime) AND ${anyOf('ServiceName', 'service')} AND ${anyOf('ClientName', 'client')}`;

/** What a SOC analyst opens first: is anything on fire, where, and who. */
export const socOverview: DashboardSpec = {
  uid: 'toolwatch-soc',
  title: 'toolwatch / SOC overview',
  description: 'Alerts by severity and kind, the riskiest MCP sessions, and calls and egress over time.',
  variables: [serviceVariable, clientVariable],
  panels: [
    { title: 'Alerts', kind: 'stat', w: 4, h: 4, sql: `SELECT count() AS alerts FROM ${alerts}`, columns: ['alerts'] },
    {
      title: 'High and critical alerts',
      kind: 'stat',
      w: 4,
      h: 4,
      sql: `SELECT countIf(Severity IN ('high', 'critical')) AS alerts FROM ${alerts}`,
      columns: ['alerts'],
    },
    { title: 'Sessions', kind: 'stat', w: 4, h: 4, sql: `SELECT count() AS sessions FROM ${sessions}`, columns: ['sessions'] },
    {
      title: 'Sessions with alerts',
      kind: 'stat',
      w: 4,
      h: 4,
      sql: `SELECT countIf(Alerts > 0) AS sessions FROM ${sessions}`,
      columns: ['sessions'],
    },
    { title: 'Tool calls', kind: 'stat', w: 4, h: 4, sql: `SELECT count() AS calls FROM ${spans} AND McpMethod = 'tools/call'`, columns: ['calls'] },
    { title: 'Bytes sent to clients', kind: 'stat', w: 4, h: 4, unit: 'bytes', sql: `SELECT sum(McpResponseBytes) AS bytes FROM ${spans}`, columns: ['bytes'] },
    {
      title: 'Alerts by severity',
      kind: 'timeseries',
      w: 12,
      h: 8,
      sql: `SELECT $__timeInterval(WindowStart) AS time, Severity, count() AS alerts FROM ${alerts} GROUP BY time, Severity ORDER BY time`,
      columns: ['time', 'Severity', 'alerts'],
    },
    {
      title: 'Alerts by kind and rule',
      kind: 'table',
      w: 12,
      h: 8,
      sql: `SELECT Kind, Rule, count() AS alerts, countIf(Severity IN ('high', 'critical')) AS high_or_critical, uniqExact(SessionKey) AS sessions, max(Score) AS max_score
FROM ${alerts} GROUP BY Kind, Rule ORDER BY alerts DESC`,
      columns: ['Kind', 'Rule', 'alerts', 'high_or_critical', 'sessions', 'max_score'],
    },
    {
      title: 'Riskiest sessions',
      description: 'Session risk is 1 - prod(1 - alert score / 100) over its alerts. Click a session key for its timeline.',
      kind: 'table',
      w: 24,
      h: 9,
      sql: `${sessionScoreSelect}
FROM ${sessions} AND Alerts > 0 ORDER BY Score DESC, LastEventTime DESC LIMIT 50`,
      columns: sessionScoreColumns,
      links: [{ column: 'SessionKey', ...sessionLink }],
    },
    {
      title: 'Calls by method',
      kind: 'timeseries',
      w: 12,
      h: 8,
      sql: `SELECT $__timeInterval(Timestamp) AS time, McpMethod AS method, count() AS calls FROM ${spans} AND McpMethod != '' GROUP BY time, method ORDER BY time`,
      columns: ['time', 'method', 'calls'],
    },
    {
      title: 'Egress by server (response bytes)',
      kind: 'timeseries',
      w: 12,
      h: 8,
      unit: 'bytes',
      sql: `SELECT $__timeInterval(Timestamp) AS time, ServiceName, sum(McpResponseBytes) AS bytes FROM ${spans} GROUP BY time, ServiceName ORDER BY time`,
      columns: ['time', 'ServiceName', 'bytes'],
    },
  ],
};
