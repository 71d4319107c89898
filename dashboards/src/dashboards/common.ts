import type { VariableSpec } from '../dashboard-spec.js';
import { T } from '../query.js';

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
