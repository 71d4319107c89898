/**
 * The Grafana ClickHouse datasource that every toolwatch dashboard and alert rule points
 * at. The uid is fixed so that provisioned dashboards and rules find the provisioned
 * datasource without a lookup.
 */
export const CLICKHOUSE_DATASOURCE = {
  type: 'grafana-clickhouse-datasource',
  uid: 'toolwatch-clickhouse',
} as const;
