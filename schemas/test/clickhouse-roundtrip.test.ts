import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import { clickhouseDdl, fromSpanRow, INSERT_SETTINGS, MAX_NANOS, NanosString, SPAN_RECORD_COLUMNS, SpanRecord, TABLES, toDateTime64, toSpanRow, type SpanRow } from '@toolwatch/schemas';
import { afterAll, describe, expect, it } from 'vitest';
import { spanRecord } from '../../test/support/span-factory.js';

describe('otel_traces on the real ClickHouse engine (chDB)', () => {
  const client = createClient({ connection: createChdbConnection({ path: mkdtempSync(join(tmpdir(), 'tw-ch-')) }) } as Parameters<typeof createClient>[0]);
  afterAll(() => client.close());

  it('creates the tables with a TTL, and keeps nanoseconds, maps and nested events exactly', async () => {
    await client.command({ query: 'CREATE DATABASE retention' });
    for (const query of clickhouseDdl({ database: 'retention', ttlDays: 7 })) await client.command({ query });
    const create = await (await client.query({ query: `SHOW CREATE TABLE retention.${TABLES.spans}`, format: 'TabSeparatedRaw' })).text();
    expect(create).toContain('TTL toDateTime(Timestamp) + toIntervalDay(7)');
    // No TTL here: the test's spans are older than a week.
    for (const query of clickhouseDdl()) await client.command({ query });

    const record = {
      ...spanRecord({ session: 's1', tool: 'echo', timeMs: 1_763_700_000_000 }),
      Events: [{ Timestamp: '1763700000000000999', Name: 'exception', Attributes: { 'exception.type': 'Error' } }],
    };
    await client.insert({ table: TABLES.spans, format: 'JSONEachRow', values: [toSpanRow(record)], clickhouse_settings: INSERT_SETTINGS });
    const [row] = await (
      await client.query({
        query: `SELECT toString(toUnixTimestamp64Nano(Timestamp)) AS ns, SpanAttributes, Duration, Events.Name AS names,
                       toString(toUnixTimestamp64Nano(Events.Timestamp[1])) AS eventNs FROM ${TABLES.spans}`,
        format: 'JSONEachRow',
        clickhouse_settings: { output_format_json_quote_64bit_integers: 1 },
      })
    ).json<{ ns: string; SpanAttributes: Record<string, string>; Duration: string; names: string[]; eventNs: string }>();
    expect(row!.ns).toBe(record.Timestamp); // 2^53 is far below: a JS number would lose the 123 ns
    expect(row!.SpanAttributes).toEqual(record.SpanAttributes);
    expect(row!.Duration).toBe(String(record.Duration));
    expect(row!.names).toEqual(['exception']);
    expect(row!.eventNs).toBe('1763700000000000999');
  });

  it('reads a row back into the very span record it was written from', async () => {
    const record: SpanRecord = {
      ...spanRecord({ session: 'back', tool: 'echo', timeMs: 1_763_700_000_000, responseBytes: 321 }),
      Events: [
        { Timestamp: '1763700000000000999', Name: 'exception', Attributes: { 'exception.type': 'Error' } },
        { Timestamp: '1763700000000001000', Name: 'retry', Attributes: {} },
      ],
      Links: [{ TraceId: 'ab'.repeat(16), SpanId: 'cd'.repeat(8), TraceState: 'k=v', Attributes: { why: 'http' } }],
    };
    await client.insert({ table: TABLES.spans, format: 'JSONEachRow', values: [toSpanRow(record)], clickhouse_settings: INSERT_SETTINGS });
    const rows = await (
      await client.query({
        query: `SELECT ${SPAN_RECORD_COLUMNS} FROM ${TABLES.spans} WHERE SpanId = {id:String}`,
        query_params: { id: record.SpanId },
        format: 'JSONEachRow',
        clickhouse_settings: { output_format_json_quote_64bit_integers: 1 },
      })
    ).json<SpanRow>();
    const back = fromSpanRow(rows[0]!);
    expect(SpanRecord.parse(back)).toEqual(back);
    expect(back).toEqual(record);
  });

  it('stores any nanosecond timestamp the span record accepts exactly, however short or late', async () => {
    await client.command({ query: 'CREATE TABLE ts_check (ts DateTime64(9)) ENGINE = MergeTree ORDER BY ts' });
    const values = ['0', '1000123', '999999999', '1000000000', '1763725443522000001', MAX_NANOS];
    // One past the largest the record accepts fails the insert it is in (ClickHouse: DECIMAL_OVERFLOW).
    expect(NanosString.safeParse('9223372036854775808').success).toBe(false);
    await expect(
      client.insert({ table: 'ts_check', format: 'JSONEachRow', values: [{ ts: toDateTime64('9223372036854775808') }], clickhouse_settings: INSERT_SETTINGS }),
    ).rejects.toThrow();
    await client.insert({ table: 'ts_check', format: 'JSONEachRow', values: values.map((v) => ({ ts: toDateTime64(v) })), clickhouse_settings: INSERT_SETTINGS });
    const rows = await (
      await client.query({ query: 'SELECT toString(toUnixTimestamp64Nano(ts)) AS ns FROM ts_check ORDER BY ts', format: 'JSONEachRow' })
    ).json<{ ns: string }>();
    expect(rows.map((r) => r.ns)).toEqual(values);
  });

  it('drops a retried batch that carries the same deduplication token', async () => {
    const rows = [spanRecord({ session: 'd', timeMs: 1 }), spanRecord({ session: 'd', timeMs: 2 })].map(toSpanRow);
    for (let i = 0; i < 2; i++) {
      await client.insert({ table: TABLES.spans, format: 'JSONEachRow', values: rows, clickhouse_settings: { ...INSERT_SETTINGS, async_insert: 0, insert_deduplication_token: 'topic:0:10-11' } });
    }
    const [count] = await (
      await client.query({ query: `SELECT count() AS n FROM ${TABLES.spans} WHERE SpanAttributes['toolwatch.session.key'] = 'd'`, format: 'JSONEachRow' })
    ).json<{ n: string | number }>();
    expect(Number(count!.n)).toBe(2);
  });
});
