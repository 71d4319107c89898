import type { VariableSpec } from '../dashboard-spec.js';
import { anyOf, T } from '../query.js';

export const SESSION_DASHBOARD_UID = 'toolwatch-session';

/** Opens the session drill-down on the clicked session key, keeping the time range. */
export const sessionLink = {
  title: 'Session drill-down',
  url: `/d/${SESSION_DASHBOARD_UID}?var-session=\${__value.raw}&\${__url_time_range}`,
};

export const serviceVariable: VariableSpec = {
  name: 'service',
  label: 'MCP server',
  sql: `SELECT DISTINCT ServiceName FROM ${T.spans} WHERE $__timeFilter(Timestamp)`,
};

export const clientVariable: VariableSpec = {
  name: 'client',
  label: 'Client',
  sql: `SELECT DISTINCT McpClientName FROM ${T.spans} WHERE $__timeFilter(Timestamp) AND McpClientName != ''`,
};

/** Spans in the time range, of the chosen servers and clients: append `AND …` to narrow. */
/** A session score row as both session tables show it, and the columns it makes. */
export const sessionScoreSelect = `SELECT SessionKey, ServiceName, ClientName, ClientVersion, round(Score, 1) AS Score, Severity, Alerts, Spans, arrayStringConcat(Rules, ', ') AS Rules,
  FirstEventTime, LastEventTime, Ended`;
export const sessionScoreColumns = ['SessionKey', 'ServiceName', 'ClientName', 'ClientVersion', 'Score', 'Severity', 'Alerts', 'Spans', 'Rules', 'FirstEventTime', 'LastEventTime', 'Ended'];

export const filteredSpans = `${T.spans} WHERE $__timeFilter(Timestamp) AND ${anyOf('ServiceName', 'service')} AND ${anyOf('McpClientName', 'client')}`;
