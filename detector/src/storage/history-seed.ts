import { fromSpanRow, SPAN_RECORD_COLUMNS, TABLES, type SpanRow } from '@toolwatch/schemas';
import type { RulesConfig } from '../config.js';
import { DetectionEngine, type EngineSnapshot } from '../engine.js';
import { msToNs } from '../session.js';
import type { ClickHouseStore } from './clickhouse-store.js';

export interface SeedOptions {
  /** Spans that started after this (ms since the epoch) are read. */
  sinceMs: number;
  /** At most this many, the most recent: a bound on start-up time. */
  maxSpans: number;
  /** Spans read per query. */
  pageSize?: number;
  onProgress?: (spans: number) => void;
}

export interface Seed {
  scorers: EngineSnapshot['scorers'];
  spans: number;
}

/**
 * Baselines learned from the spans already in ClickHouse, by the same engine that scores
 * the live stream, in the order the stream delivers (by span end). For a detector with no
 * saved state of its own (a first start, a new consumer group, a partition never owned):
 * it judges from the first span instead of warming up again. Only what was learned is kept;
 * sessions still open at the end of the history are not (they go on in the live stream).
 */
export async function seedFromHistory(store: ClickHouseStore, rules: RulesConfig, options: SeedOptions): Promise<Seed> {
  const table = `${store.databaseName}.${TABLES.spans}`;
  const endNs = 'toUnixTimestamp64Nano(Timestamp) + Duration';
  const since = msToNs(options.sinceMs);
  const [first] = await store.query<{ from: string }>(
    `SELECT toString(min(e)) AS from FROM (SELECT ${endNs} AS e FROM ${table}
     WHERE Timestamp >= fromUnixTimestamp64Nano({since:Int64}) ORDER BY e DESC LIMIT {max:UInt64})`,
    { since, max: options.maxSpans },
  );
  const engine = new DetectionEngine(rules);
  let spans = 0;
  // Keyset pages on (end, span id): no row read twice or skipped, whatever the page size.
  let after = { end: (BigInt(first?.from ?? '0') - 1n).toString(), spanId: '' };
  const pageSize = options.pageSize ?? 20_000;
  while (spans < options.maxSpans) {
    const rows = await store.query<SpanRow>(
      `SELECT ${SPAN_RECORD_COLUMNS} FROM (
         SELECT *, ${endNs} AS EndNs FROM ${table}
         WHERE Timestamp >= fromUnixTimestamp64Nano({since:Int64})
           AND (toInt64(EndNs), SpanId) > ({end:Int64}, {spanId:String})
         ORDER BY EndNs, SpanId LIMIT {limit:UInt64})
       ORDER BY EndNs, SpanId`,
      { since, end: after.end, spanId: after.spanId, limit: Math.min(pageSize, options.maxSpans - spans) },
    );
    if (rows.length === 0) break;
    for (const row of rows) engine.process(fromSpanRow(row));
    spans += rows.length;
    const last = rows.at(-1)!;
    after = { end: (BigInt(last.Timestamp) + BigInt(last.Duration)).toString(), spanId: last.SpanId };
    options.onProgress?.(spans);
  }
  return { scorers: engine.scorerState(), spans };
}
