import { CLICKHOUSE_DATASOURCE } from './query.js';

/** Where the dashboard provider reads the JSON files inside a Grafana container. */
const DASHBOARDS_PATH = '/var/lib/grafana/dashboards/toolwatch';

/** The ClickHouse datasource (plugin `grafana-clickhouse-datasource` ≥ 4), with the OTel
 * trace settings that make the plugin's trace view read `otel_traces` as it is. Connection
 * details come from the environment of the Grafana process. */
export function datasourceProvisioning(): Record<string, unknown> {
  return {
    apiVersion: 1,
    datasources: [
      {
        name: 'toolwatch ClickHouse',
        type: CLICKHOUSE_DATASOURCE.type,
        uid: CLICKHOUSE_DATASOURCE.uid,
        isDefault: false,
        editable: false,
        jsonData: {
          host: '$TOOLWATCH_CLICKHOUSE_HOST',
          port: '$TOOLWATCH_CLICKHOUSE_PORT',
          protocol: 'native',
          secure: false,
          username: '$TOOLWATCH_CLICKHOUSE_USER',
          defaultDatabase: '$TOOLWATCH_CLICKHOUSE_DATABASE',
          traces: {
            defaultDatabase: '$TOOLWATCH_CLICKHOUSE_DATABASE',
            defaultTable: 'otel_traces',
            otelEnabled: true,
            otelVersion: 'latest',
            durationUnit: 'nanoseconds',
          },
        },
        secureJsonData: { password: '$TOOLWATCH_CLICKHOUSE_PASSWORD' },
      },
    ],
  };
}

export function dashboardProviderProvisioning(): Record<string, unknown> {
  return {
    apiVersion: 1,
    providers: [
      {
        name: 'toolwatch',
        orgId: 1,
        folder: 'toolwatch',
        folderUid: 'toolwatch',
        type: 'file',
        disableDeletion: false,
        updateIntervalSeconds: 60,
        allowUiUpdates: false,
        options: { path: DASHBOARDS_PATH, foldersFromFilesStructure: false },
      },
    ],
  };
}
