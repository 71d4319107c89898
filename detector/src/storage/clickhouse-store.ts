import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { clickhouseDdl, INSERT_SETTINGS, TABLES, toAlertRow, toSpanRow, type AlertRecord, type SpanRecord } from '@toolwatch/schemas';
import type { DetectorConfig } from '../config.js';

/**
 * Span records and alerts into ClickHouse through @clickhouse/client: a server when a URL
 * is configured, chDB (the ClickHouse engine in-process) otherwise. One code path.
 */
export class ClickHouseStore {
  private constructor(
    readonly client: ClickHouseClient,
    private readonly database: string,
  ) {}

  static async open(config: DetectorConfig['clickhouse']): Promise<ClickHouseStore> {
    let client: ClickHouseClient;
    if (config.url) {
      client = createClient({ url: config.url, username: config.username, password: config.password, database: config.database });
    } else {
      // Loaded only when embedded: 500 MiB of engine that a server deployment never needs.
      const { createChdbConnection } = await import('chdb/connection');
      const { mkdirSync } = await import('node:fs');
      mkdirSync(config.dataDir, { recursive: true });
      client = createClient({ connection: createChdbConnection({ path: config.dataDir }) } as Parameters<typeof createClient>[0]);
    }
    const store = new ClickHouseStore(client, config.database);
    if (config.database !== 'default') {
      await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${config.database}` });
    }
    for (const query of clickhouseDdl({ database: config.database, cluster: config.cluster, ttlDays: config.ttlDays })) {
      await client.command({ query });
    }
    return store;
  }

  /**
   * `dedupToken` names the batch (topic, partition, offsets): a retried batch with the same
   * token is dropped by ClickHouse's insert deduplication instead of written twice.
   */
  async writeSpans(records: SpanRecord[], dedupToken?: string): Promise<void> {
    if (records.length === 0) return;
    await this.client.insert({
      table: `${this.database}.${TABLES.spans}`,
      format: 'JSONEachRow',
      values: records.map(toSpanRow),
      clickhouse_settings: { ...INSERT_SETTINGS, async_insert: 0, ...(dedupToken ? { insert_deduplication_token: dedupToken } : {}) },
    });
  }

  async writeAlerts(alerts: AlertRecord[]): Promise<void> {
    if (alerts.length === 0) return;
    await this.client.insert({
      table: `${this.database}.${TABLES.alerts}`,
      format: 'JSONEachRow',
      values: alerts.map(toAlertRow),
      clickhouse_settings: { ...INSERT_SETTINGS, async_insert: 0 },
    });
  }

  /** The database the tables are in (other stores beside this one write there too). */
  get databaseName(): string {
    return this.database;
  }

  async query<T>(sql: string, params?: Record<string, unknown>): Promise<T[]> {
    const result = await this.client.query({
      query: sql,
      query_params: params,
      format: 'JSONEachRow',
      clickhouse_settings: { output_format_json_quote_64bit_integers: 1 },
    });
    return result.json<T>();
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
