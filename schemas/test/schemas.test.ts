import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { alertId, clickhouseDdl, decodeSpanRecord, jsonSchemas } from '@toolwatch/schemas';
import { spanRecord } from '../../test/support/span-factory.js';

describe('span record', () => {
  it('decodes what the instrumentation writes', () => {
    const record = spanRecord({ session: 's', tool: 'echo', timeMs: 1_763_700_000_000 });
    expect(decodeSpanRecord(JSON.stringify(record))).toEqual({ ok: true, value: record });
    expect(decodeSpanRecord(Buffer.from(JSON.stringify(record)))).toEqual({ ok: true, value: record });
  });

  it('rejects non-JSON without quoting it, and names the fields a broken record gets wrong', () => {
    const secretish = 'AKIAQ3EGUWNPLJ7XKD2M';
    const notJson = decodeSpanRecord(`{"x": ${secretish}`);
    expect(notJson).toEqual({ ok: false, reason: 'not JSON (26 bytes)' });

    const broken = { ...spanRecord({ session: 's', timeMs: 1 }), Timestamp: 1234, TraceId: secretish, Extra: 1 };
    const result = decodeSpanRecord(JSON.stringify(broken));
    expect(result.ok).toBe(false);
    const reason = (result as { reason: string }).reason;
    expect(reason).toMatch(/Timestamp: invalid_type/);
    expect(reason).toMatch(/TraceId: invalid_format/);
    expect(reason).toMatch(/unrecognized_keys/);
    expect(reason).not.toContain(secretish);
  });
});

describe('alert id', () => {
  it('is the same for the same rule, entity and window, and differs otherwise', () => {
    expect(alertId('r', 'session', '1')).toBe(alertId('r', 'session', '1'));
    expect(alertId('r', 'session', '1')).toMatch(/^[0-9a-f]{64}$/);
    expect(alertId('r', 'session', '1')).not.toBe(alertId('r', 'session', '2'));
    // Parts are length-prefixed: moving a boundary changes the id.
    expect(alertId('a:b', 'c', '1')).not.toBe(alertId('a', 'b:c', '1'));
  });
});

describe('JSON Schema', () => {
  it('matches the files committed under schemas/json (run `npm run gen:json-schema` after a change)', () => {
    for (const [name, schema] of Object.entries(jsonSchemas())) {
      const committed = JSON.parse(readFileSync(new URL(`../json/${name}.schema.json`, import.meta.url), 'utf8'));
      expect(committed, name).toEqual(JSON.parse(JSON.stringify(schema)));
    }
  });
});

describe('ClickHouse DDL', () => {
  it('adds TTL and ON CLUSTER with Replicated engines when asked', () => {
    const [spans, alerts, scores] = clickhouseDdl({ database: 'tw', cluster: 'soc', ttlDays: 30 });
    expect(spans).toContain('CREATE TABLE IF NOT EXISTS tw.otel_traces ON CLUSTER soc');
    expect(spans).toContain('ENGINE = ReplicatedMergeTree()');
    expect(spans).toContain('TTL toDateTime(Timestamp) + toIntervalDay(30)');
    // The newest revision of an alert, and of a session's score, replaces the older ones.
    expect(alerts).toContain('ENGINE = ReplicatedReplacingMergeTree(Revision)');
    expect(scores).toContain('CREATE TABLE IF NOT EXISTS tw.toolwatch_session_scores ON CLUSTER soc');
    expect(scores).toContain('ENGINE = ReplicatedReplacingMergeTree(Revision)');
    expect(scores).toContain('TTL toDateTime(FirstEventTime) + toIntervalDay(30)');
    expect(() => clickhouseDdl({ database: 'x; DROP TABLE y' })).toThrow(/not a plain ClickHouse identifier/);
  });
});

describe('decode reasons', () => {
  it('never print an attribute key, which a client controls', () => {
    const key = `ghp_${'k'.repeat(300)}`;
    const record = { ...spanRecord({ session: 's', timeMs: 1 }), SpanAttributes: { [key]: 'v' } };
    const result = decodeSpanRecord(JSON.stringify(record));
    expect(result.ok).toBe(false);
    expect((result as { reason: string }).reason).toMatch(/SpanAttributes\.\[key\]: invalid_key/);
    expect((result as { reason: string }).reason).not.toContain('ghp_');
  });
});
