import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import { clickhouseDdl, INSERT_SETTINGS, migrate, MIGRATIONS, SCHEMA_VERSION, sqlRunner, TABLES, toSpanRow, type SqlRunner } from '@toolwatch/schemas';
import { afterAll, describe, expect, it } from 'vitest';
import { spanRecord } from '../../test/support/span-factory.js';

describe('ClickHouse migrations on the real engine (chDB)', () => {
  const client = createClient({ connection: createChdbConnection({ path: mkdtempSync(join(tmpdir(), 'tw-mig-')) }) } as Parameters<typeof createClient>[0]);
  const db = sqlRunner(client);
  afterAll(() => client.close());

  const one = async <T>(sql: string) => (await db.rows<T>(sql))[0]!;
  const showCreate = async (table: string) => (await (await client.query({ query: `SHOW CREATE TABLE ${table}`, format: 'TabSeparatedRaw' })).text()).trim();
  const insertSpans = (database: string, records: ReturnType<typeof spanRecord>[]) =>
    client.insert({ table: `${database}.${TABLES.spans}`, format: 'JSONEachRow', values: records.map(toSpanRow), clickhouse_settings: INSERT_SETTINGS });

  it('creates a fresh database once, records every step, and does nothing the second time', async () => {
    expect(await migrate(db, { database: 'fresh' })).toEqual({ applied: MIGRATIONS.map((m) => m.version), version: SCHEMA_VERSION });
    expect(await migrate(db, { database: 'fresh' })).toEqual({ applied: [], version: SCHEMA_VERSION });
    const log = await db.rows<{ Version: number; Name: string }>(`SELECT Version, Name FROM fresh.${TABLES.migrations} FINAL ORDER BY Version`);
    expect(log.map((r) => r.Version)).toEqual(MIGRATIONS.map((m) => m.version));
  });

  it('makes the trace-id lookup and its view as the OTel exporter does, and fills them on insert', async () => {
    const lookup = await showCreate(`fresh.${TABLES.traceIdTs}`);
    expect(lookup).toContain('`Start` DateTime CODEC(Delta(4), ZSTD(1))');
    expect(lookup).toContain('ORDER BY (TraceId, Start)');
    expect(await showCreate(`fresh.${TABLES.traceIdTsView}`)).toMatch(/TO fresh\.otel_traces_trace_id_ts[\s\S]*min\(Timestamp\) AS Start[\s\S]*WHERE TraceId != ''/);

    const a = spanRecord({ session: 'lk', timeMs: 1_763_700_000_000 });
    const b = { ...spanRecord({ session: 'lk', timeMs: 1_763_700_005_000 }), TraceId: a.TraceId };
    await insertSpans('fresh', [a, b, { ...spanRecord({ session: 'lk', timeMs: 1 }), TraceId: '' }]);
    // Readers take min/max, as the Grafana plugin does: a view may write a trace twice.
    const row = await one<{ s: string; e: string; n: string }>(
      `SELECT toUnixTimestamp(min(Start)) AS s, toUnixTimestamp(max(End)) AS e, uniqExact(TraceId) AS n FROM fresh.${TABLES.traceIdTs}`,
    );
    expect(row).toEqual({ s: 1_763_700_000, e: 1_763_700_005, n: 1 });
  });

  it('computes the panel columns from span attributes, outside the exporter columns', async () => {
    const record = { ...spanRecord({ session: 'mc', tool: 'read_file', timeMs: 2_000, responseBytes: 4096, resultFindings: { email: 2, 'aws-key': 1 } }) };
    record.SpanAttributes['error.type'] = 'tool_error';
    await insertSpans('fresh', [record]);
    const row = await one(
      `SELECT McpMethod, McpTool, McpSessionKey, McpClientName, McpErrorType, McpRequestBytes, McpResponseBytes, McpFindings FROM fresh.otel_traces WHERE SpanId = '${record.SpanId}'`,
    );
    expect(row).toEqual({
      McpMethod: 'tools/call',
      McpTool: 'read_file',
      McpSessionKey: 'mc',
      McpClientName: 'test-client',
      McpErrorType: 'tool_error',
      McpRequestBytes: 0,
      McpResponseBytes: 4096,
      McpFindings: 3,
    });
    // `SELECT *` stays the exporter's 22 columns (Nested ones flattened), so its readers see what they expect.
    const star = await one<Record<string, unknown>>(`SELECT * FROM fresh.otel_traces LIMIT 1`);
    expect(Object.keys(star).filter((k) => k.startsWith('Mcp'))).toEqual([]);
  });

  it('keeps a tool inventory: first and last sighting of each definition hash', async () => {
    const list = (timeMs: number, defs: Record<string, string>) => spanRecord({ session: 'inv', method: 'tools/list', timeMs, advertised: defs, service: 'fs' });
    await insertSpans('fresh', [list(10_000, { read: 'h1', write: 'h2' }), list(20_000, { read: 'h1', write: 'h3' })]);
    await insertSpans('fresh', [list(30_000, { read: 'h1' })]);
    const rows = await db.rows(
      `SELECT Tool, DefinitionHash, toUnixTimestamp(min(FirstSeen)) AS first, toUnixTimestamp(max(LastSeen)) AS last
       FROM fresh.${TABLES.toolInventory} WHERE ServiceName = 'fs' GROUP BY Tool, DefinitionHash ORDER BY Tool, DefinitionHash`,
    );
    expect(rows).toEqual([
      { Tool: 'read', DefinitionHash: 'h1', first: 10, last: 30 },
      { Tool: 'write', DefinitionHash: 'h2', first: 10, last: 10 },
      { Tool: 'write', DefinitionHash: 'h3', first: 20, last: 20 },
    ]);
  });

  it('brings the first release forward: alert lifecycle columns and engine, lookup and inventory backfilled', async () => {
    await client.command({ query: 'CREATE DATABASE old' });
    for (const query of readFileSync(new URL('./fixtures/schema-first-release.sql', import.meta.url), 'utf8').split(/;\n/)) {
      await client.command({ query });
    }
    await insertSpans('old', [spanRecord({ session: 'o', method: 'tools/list', timeMs: 5_000, advertised: { echo: 'e1' } }), spanRecord({ session: 'o', tool: 'echo', timeMs: 6_000 })]);
    await client.command({ query: `INSERT INTO old.toolwatch_alerts (Id, Rule, Kind, Severity, Score, SessionKey, WindowStart) VALUES ('${'a'.repeat(64)}', 'rate.burst', 'rate', 'high', 80, 'o', 5)` });

    expect((await migrate(db, { database: 'old' })).applied).toEqual(MIGRATIONS.map((m) => m.version));
    expect(await showCreate('old.toolwatch_alerts')).toContain('ENGINE = ReplacingMergeTree(Revision)');
    expect(await one(`SELECT Id, Status, Revision, SessionScore, Rule FROM old.toolwatch_alerts`)).toEqual({
      Id: 'a'.repeat(64), Status: 'open', Revision: 0, SessionScore: 0, Rule: 'rate.burst',
    });
    expect(await showCreate('old.otel_traces')).toContain('non_replicated_deduplication_window = 1000');
    expect(await one(`SELECT count() AS n FROM old.${TABLES.traceIdTs}`)).toEqual({ n: 2 });
    expect(await one(`SELECT Tool, DefinitionHash FROM old.${TABLES.toolInventory}`)).toEqual({ Tool: 'echo', DefinitionHash: 'e1' });
    // Columns computed for parts written before they existed, on read.
    expect(await db.rows(`SELECT McpTool FROM old.otel_traces WHERE McpMethod = 'tools/call'`)).toEqual([{ McpTool: 'echo' }]);

    // Every column and index of the upgraded tables is what a fresh database has.
    const schemaOf = (database: string) =>
      db.rows(`SELECT table, name, type, default_kind, default_expression FROM system.columns WHERE database = '${database}' AND table != '${TABLES.migrations}' ORDER BY table, position`);
    expect(await schemaOf('old')).toEqual(await schemaOf('fresh'));
    const indexesOf = (database: string) => db.rows(`SELECT table, name, expr, type_full FROM system.data_skipping_indices WHERE database = '${database}' ORDER BY table, name`);
    expect(await indexesOf('old')).toEqual(await indexesOf('fresh'));
  });

  it('sets and removes TTLs to follow the configuration', async () => {
    await migrate(db, { database: 'ttl', ttlDays: 7 });
    for (const table of [TABLES.spans, TABLES.traceIdTs, TABLES.alerts, TABLES.sessionScores, TABLES.toolInventory]) {
      expect(await showCreate(`ttl.${table}`), table).toMatch(/TTL toDateTime\(\w+\) \+ toIntervalDay\(7\)/);
    }
    await migrate(db, { database: 'ttl', ttlDays: 30 });
    expect(await showCreate('ttl.otel_traces')).toContain('toIntervalDay(30)');
    await migrate(db, { database: 'ttl' });
    expect(await showCreate('ttl.otel_traces')).not.toContain('TTL');
  });

  it('drops a retried batch in the views too: lookup and inventory rows are not written twice', async () => {
    await migrate(db, { database: 'dedup' });
    const batch = [spanRecord({ session: 'r', method: 'tools/list', timeMs: 7_000, advertised: { a: 'x' } }), spanRecord({ session: 'r', tool: 'a', timeMs: 8_000 })].map(toSpanRow);
    for (let i = 0; i < 2; i++) {
      await client.insert({ table: `dedup.${TABLES.spans}`, format: 'JSONEachRow', values: batch, clickhouse_settings: { ...INSERT_SETTINGS, async_insert: 0, insert_deduplication_token: 'spans:0:1-2' } });
    }
    expect(await one(`SELECT (SELECT count() FROM dedup.${TABLES.spans}) AS spans, (SELECT count() FROM dedup.${TABLES.traceIdTs}) AS lookup, (SELECT count() FROM dedup.${TABLES.toolInventory}) AS tools`)).toEqual({
      spans: 2,
      lookup: 2,
      tools: 1,
    });
  });

  it('puts every statement ON CLUSTER, on Replicated engines, when a cluster is named', async () => {
    for (const sql of clickhouseDdl({ database: 'tw', cluster: 'soc' })) {
      expect(sql).toMatch(/^(CREATE (TABLE|MATERIALIZED VIEW) IF NOT EXISTS|ALTER TABLE) tw\.\w+ ON CLUSTER soc\b/);
      if (sql.includes('ENGINE')) expect(sql).toMatch(/ENGINE = Replicated\w*MergeTree/);
    }
    // What a run against a cluster would send, with every DDL statement ON CLUSTER.
    const sent: string[] = [];
    const recorder: SqlRunner = { command: async (sql) => void sent.push(sql), rows: async () => [] };
    await migrate(recorder, { database: 'tw', cluster: 'soc', ttlDays: 3 });
    for (const sql of sent.filter((s) => /^(CREATE|ALTER|DROP|EXCHANGE)/.test(s))) expect(sql.split('\n')[0]).toContain('ON CLUSTER soc');
  });

  it('refuses a database that a newer toolwatch has migrated', async () => {
    await client.command({ query: `INSERT INTO ttl.${TABLES.migrations} VALUES (${SCHEMA_VERSION + 1}, 'from the future', now64(3))` });
    await expect(migrate(db, { database: 'ttl' })).rejects.toThrow(/ttl is at schema version \d+, newer than this toolwatch knows .*upgrade toolwatch/);
  });
});
