export { CLICKHOUSE_DATASOURCE, ClickHouseQueryBuilder, Format, type ClickHouseQuery } from './query.js';
export { buildDashboard, type DashboardSpec, type VariableSpec } from './dashboard-spec.js';
export { formatOf, type PanelSpec, type PanelKind } from './panel-spec.js';
export { ALERT_RULES, alertingProvisioning, escapeDollars, type AlertRuleSpec } from './alert-rules.js';
export { DASHBOARDS, buildDashboards, grafanaFiles, writeGrafanaFiles } from './files.js';
export { ALL, expandMacros, type MacroContext } from './macros.js';
export { expandedQueries, type ExpandedQuery } from './panel-queries.js';
export { seedSql, SPANS_PER_SESSION, type SeedOptions } from './seed.js';
export { dashboardsCommand } from './command.js';
