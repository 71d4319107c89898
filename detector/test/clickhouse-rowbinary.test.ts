import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClickHouseStore, parseDetectorConfig } from '@toolwatch/detector';
import { clickhouseDdl, encodeSpanRowsRowBinary, fromSpanRow, INSERT_SETTINGS, SPAN_COLUMNS, SPAN_RECORD_COLUMNS, SpanRecord, TABLES, toSpanRow, Toolwatch, type SpanRow } from '@toolwatch/schemas';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spanRecord } from '../../test/support/span-factory.js';

const T0 = 1_763_700_000_000;
const hex = (n: number, bytes: number) => n.toString(16).padStart(bytes * 2, '0');

/** Spans that exercise every column: non-ASCII and long strings, empty maps, events and
 * links, timestamps from 1 digit to 19, durations up to 2^53 − 1. */
function corpus(): SpanRecord[] {
  const spans: SpanRecord[] = [];
  const base = (i: number, spec: Partial<Parameters<typeof spanRecord>[0]> = {}) => ({
    ...spanRecord({ session: `s${i % 5}`, tool: ['search', 'read', 'écrire', '検索'][i % 4], timeMs: T0 + i * 1_000, responseBytes: i * 997, ...spec }),
    TraceId: hex(i >> 1, 16), // two spans a trace, for the lookup view
    SpanId: hex(i, 8),
  });
  // First bytes of RowBinary that are whitespace (\n, space, \t, \r) must not be skipped.
  const timestamps = ['10', '32', '9', '13', '0', '7', '999999999', '1000000000', '1000123', '1763725443522000001', '4102444800999999999', '1763700000000000266'];
  timestamps.forEach((Timestamp, i) => spans.push({ ...base(i), Timestamp }));
  let i = timestamps.length;
  spans.push({
    ...base(i++),
    SpanName: 'tools/call Übersetzen 🦀 — 翻訳',
    ServiceName: 'сервис',
    ResourceAttributes: {},
    SpanAttributes: {
      ...base(0).SpanAttributes,
      'ключ.😀': 'значение\0с нулём\nи переводом строки',
      quote: `it's a "test" \\ with \t tabs`,
      empty: '',
      long: 'x'.repeat(200),
      longer: 'ü'.repeat(10_000), // a three-byte length prefix
      mixed: 'a'.repeat(63) + 'é',
    },
    StatusCode: 'Error',
    StatusMessage: 'échec: ошибка',
    Duration: Number.MAX_SAFE_INTEGER,
  });
  spans.push({ ...base(i++), SpanAttributes: {}, ResourceAttributes: {}, Duration: 0, ParentSpanId: hex(3, 8), TraceState: 'rojo=00f067aa0ba902b7' });
  spans.push({ ...base(i++), Duration: 2 ** 32 });
  spans.push({ ...base(i++), Duration: 2 ** 32 - 1 });
  // Bytes that end INSERT data inlined in a query (a Duration of 0x0A0A67DA did): the
  // payload must reach the engine whole, whatever it holds.
  spans.push({ ...base(i++), Duration: 0x0a0a67da, StatusMessage: '\n\nSELECT 1;\n;\n', SpanAttributes: { ...base(1).SpanAttributes, q: '\n\n\r\nINSERT INTO x FORMAT CSV\n' } });
  spans.push({
    ...base(i++, { argumentsFindings: { aws_key: 2 }, resultFindings: { email: 3, jwt: 1 } }),
    Events: [
      { Timestamp: '1763700000000000999', Name: 'exception', Attributes: { 'exception.type': 'Error', 'exception.message': 'нет' } },
      { Timestamp: '1', Name: 'retry', Attributes: {} },
      { Timestamp: '10', Name: 'événement', Attributes: { '': '' } },
    ],
    Links: [
      { TraceId: 'ab'.repeat(16), SpanId: 'cd'.repeat(8), TraceState: 'k=v', Attributes: { why: 'http' } },
      { TraceId: 'ef'.repeat(16), SpanId: '01'.repeat(8), TraceState: '', Attributes: {} },
    ],
  });
  spans.push({ ...base(i++), Events: [{ Timestamp: '9223372036854775807', Name: '', Attributes: {} }], Links: [] });
  spans.push({ ...base(i++), Links: [{ TraceId: '12'.repeat(16), SpanId: '34'.repeat(8), TraceState: 'ключ=значение', Attributes: { 'ссылка': '🔗' } }] });
  for (; i < 60; i++) spans.push(base(i, { method: i % 7 === 0 ? 'tools/list' : undefined, advertised: i % 7 === 0 ? ['a', 'b'] : undefined }));
  for (const s of spans) SpanRecord.parse(s);
  return spans;
}

const bySpanId = (a: SpanRecord, b: SpanRecord) => (a.SpanId < b.SpanId ? -1 : 1);

describe('span inserts into chDB as RowBinary', () => {
  const config = parseDetectorConfig({ clickhouse: { dataDir: mkdtempSync(join(tmpdir(), 'tw-rowbinary-')) } });
  let store: ClickHouseStore;
  const spans = corpus();

  const rows = async (sql: string) => store.query<Record<string, unknown>>(sql);

  beforeAll(async () => {
    store = await ClickHouseStore.open(config.clickhouse);
    await store.writeSpans(spans.slice(0, 30), 'spans:0:0-29');
    await store.writeSpans(spans.slice(30), 'spans:0:30-59');
    // The same spans as JSONEachRow, the way a ClickHouse server gets them, for comparison.
    await store.client.command({ query: 'CREATE DATABASE viajson' });
    for (const query of clickhouseDdl({ database: 'viajson' })) await store.client.command({ query });
    await store.client.insert({ table: `viajson.${TABLES.spans}`, format: 'JSONEachRow', values: spans.map(toSpanRow), clickhouse_settings: INSERT_SETTINGS });
  });
  afterAll(async () => store?.close());

  it('goes the binary way on chDB', () => {
    expect((store as unknown as { binaryInsert?: unknown }).binaryInsert).toBeDefined();
  });

  it('reads back every span record exactly as written', async () => {
    const back = (await store.query<SpanRow>(`SELECT ${SPAN_RECORD_COLUMNS} FROM ${TABLES.spans} ORDER BY SpanId`)).map(fromSpanRow);
    expect(back).toEqual([...spans].sort(bySpanId));
  });

  it('fills the materialized columns and the trace-id lookup as JSONEachRow does', async () => {
    const columns = Object.keys(SPAN_COLUMNS).join(', ');
    const materialized = (db: string) => rows(`SELECT SpanId, ${columns} FROM ${db}.${TABLES.spans} ORDER BY SpanId`);
    const binary = await materialized('default');
    expect(binary).toEqual(await materialized('viajson'));
    expect(binary).toHaveLength(spans.length);
    const withFindings = binary.filter((r) => Number(r.McpFindings) === 6);
    expect(withFindings).toHaveLength(1);
    expect(binary.some((r) => r.McpTool === '検索' && Number(r.McpResponseBytes) > 0)).toBe(true);
    const keys = new Map(spans.map((s) => [s.SpanId, s.SpanAttributes[Toolwatch.SESSION_KEY] ?? '']));
    expect(binary.map((r) => r.McpSessionKey)).toEqual(binary.map((r) => keys.get(r.SpanId as string)));
    const lookup = (db: string) => rows(`SELECT TraceId, toString(Start) AS Start, toString(End) AS End FROM ${db}.${TABLES.traceIdTs} ORDER BY TraceId, Start, End`);
    const traces = await lookup('default');
    expect(traces).toEqual(await lookup('viajson'));
    expect(traces.length).toBeGreaterThan(0);
    expect(traces).toContainEqual(expect.objectContaining({ TraceId: hex(0, 16), Start: '1970-01-01 00:00:00' }));
  });

  it('drops a retried batch with the same deduplication token, in the lookup too', async () => {
    const count = async () => Number((await rows(`SELECT count() AS n FROM ${TABLES.spans}`))[0]!.n);
    const lookupCount = async () => Number((await rows(`SELECT count() AS n FROM ${TABLES.traceIdTs}`))[0]!.n);
    const [spansBefore, lookupBefore] = [await count(), await lookupCount()];
    await store.writeSpans(spans.slice(30), 'spans:0:30-59');
    expect(await count()).toBe(spansBefore);
    expect(await lookupCount()).toBe(lookupBefore);
    // Another token is another batch: written.
    const retry = spans.slice(0, 3).map((s, n) => ({ ...s, SpanId: hex(1_000 + n, 8) }));
    await store.writeSpans(retry, "spans:1:0-2 it's");
    expect(await count()).toBe(spansBefore + 3);
    await store.writeSpans(retry, "spans:1:0-2 it's");
    expect(await count()).toBe(spansBefore + 3);
  });
});

describe('encodeSpanRowsRowBinary', () => {
  it('writes nanoseconds as the Int64 that BigInt makes of them', () => {
    const values = ['0', '1', '255', '4294967295', '4294967296', '999999999', '1000000000', '18446744073', '1763725443522000001', '9223372036854775807'];
    for (let n = 0; n < 2_000; n++) values.push(String(BigInt(Math.floor(Math.random() * 2 ** 53)) * 1024n + BigInt(n)).slice(0, 1 + (n % 19)));
    for (const Timestamp of values) {
      const buf = encodeSpanRowsRowBinary([{ ...spanRecord({ session: 's', timeMs: 0 }), Timestamp }]);
      expect(buf.readBigInt64LE(0)).toBe(BigInt(Timestamp));
    }
  });

  it('refuses what an Int64 cannot hold', () => {
    for (const Timestamp of ['9223372036854775808', '12345678901234567890', '-1', '1.5', '']) {
      expect(() => encodeSpanRowsRowBinary([{ ...spanRecord({ session: 's', timeMs: 0 }), Timestamp }])).toThrow(RangeError);
    }
  });
});
