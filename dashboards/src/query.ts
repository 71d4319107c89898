import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import type * as common from '@grafana/grafana-foundation-sdk/common';
import { TABLES } from '@toolwatch/schemas';

/**
 * The Grafana ClickHouse datasource that every toolwatch dashboard and alert rule points
 * at. The uid is fixed so that provisioned dashboards and rules find the provisioned
 * datasource without a lookup.
 */
export const CLICKHOUSE_DATASOURCE = {
  type: 'grafana-clickhouse-datasource',
  uid: 'toolwatch-clickhouse',
} as const satisfies common.DataSourceRef;

/** The plugin's `format` numbers (grafana/clickhouse-datasource `src/data/utils.ts`). */
export enum Format {
  TimeSeries = 0,
  Table = 1,
  Logs = 2,
  Traces = 3,
}

/** A target of the ClickHouse plugin in SQL-editor mode (`src/types/sql.ts`). */
export interface ClickHouseQuery extends cog.Dataquery {
  refId: string;
  datasource: common.DataSourceRef;
  editorType: 'sql';
  rawSql: string;
  format: Format;
  queryType?: 'table' | 'timeseries' | 'logs' | 'traces';
}

/**
 * The Foundation SDK ships no ClickHouse query type: this is its "custom query type"
 * builder, so panels and alert rules take ClickHouse targets like any other.
 */
export class ClickHouseQueryBuilder implements cog.Builder<ClickHouseQuery> {
  private readonly query: ClickHouseQuery;

  constructor(rawSql: string, format: Format, refId = 'A') {
    this.query = {
      refId,
      datasource: { ...CLICKHOUSE_DATASOURCE },
      editorType: 'sql',
      rawSql,
      format,
      _implementsDataqueryVariant() {},
    };
    if (format === Format.Traces) this.query.queryType = 'traces';
  }

  build(): ClickHouseQuery {
    return this.query;
  }
}

/** Table names as panels write them: the datasource's default database holds them. */
export const T = TABLES;

/** Both spellings of an error status: the exporter's today, and `STATUS_CODE_ERROR` from
 * older exporter releases, which the plugin's own dashboards also accept. */
export const IS_ERROR = `(StatusCode IN ('Error', 'STATUS_CODE_ERROR') OR McpErrorType != '')`;

/** A multi-value variable filter that drops out when "All" is chosen. */
export const anyOf = (column: string, variable: string) => `$__conditionalAll(${column} IN (\${${variable}:singlequote}), $${variable})`;
