import type { ClickHouseStore } from '@toolwatch/detector';
import { TABLES } from '@toolwatch/schemas';
import { tableOf } from './session-data.js';

export interface SessionSummary {
  key: string;
  service: string;
  client: string;
  score: number;
  alerts: number;
  spans: number;
  lastSeen: string;
}

// Every session key the store knows: scored sessions, and spans of sessions that a
// detector never scored (spans written by the OTel exporter alone, or a detector behind).
const knownKeys = (store: ClickHouseStore) => `
  SELECT SessionKey AS key FROM ${tableOf(store, TABLES.sessionScores)} FINAL
  UNION DISTINCT
  SELECT DISTINCT McpSessionKey AS key FROM ${tableOf(store, TABLES.spans)} WHERE McpSessionKey != ''`;

/** Keys like the one asked for: those it is a prefix or part of first, then by edit distance. */
export async function closestSessions(store: ClickHouseStore, key: string, limit = 5): Promise<string[]> {
  const rows = await store.query<{ key: string }>(
    `SELECT key FROM (${knownKeys(store)})
     ORDER BY startsWith(key, {key:String}) DESC, positionCaseInsensitive(key, {key:String}) > 0 DESC,
       editDistanceUTF8(substring(key, 1, 256), substring({key:String}, 1, 256)), key
     LIMIT {limit:UInt32}`,
    { key, limit },
  );
  return rows.map((r) => r.key);
}

/** The riskiest sessions, then the most recent: where an analyst starts. */
export async function listSessions(store: ClickHouseStore, limit: number): Promise<SessionSummary[]> {
  const rows = await store.query<Record<string, unknown>>(
    `SELECT s.McpSessionKey AS key, any(s.ServiceName) AS service, any(s.McpClientName) AS client,
       max(ifNull(sc.Score, 0)) AS score, max(ifNull(sc.Alerts, 0)) AS alerts, toString(uniqExact(s.SpanId)) AS spans,
       toString(max(s.Timestamp)) AS lastSeen
     FROM ${tableOf(store, TABLES.spans)} AS s
     LEFT JOIN (SELECT SessionKey, Score, Alerts FROM ${tableOf(store, TABLES.sessionScores)} FINAL) AS sc
       ON sc.SessionKey = s.McpSessionKey
     WHERE s.McpSessionKey != ''
     GROUP BY key ORDER BY score DESC, max(s.Timestamp) DESC LIMIT {limit:UInt32}`,
    { limit },
    );
  return rows.map((r) => ({
    key: String(r.key),
    service: String(r.service),
    client: String(r.client),
    score: Number(r.score),
    alerts: Number(r.alerts),
    spans: Number(r.spans),
    lastSeen: String(r.lastSeen),
  }));
}
