import type { ClickHouseStore } from '@toolwatch/detector';
import { findingsSum, TABLES, Toolwatch } from '@toolwatch/schemas';
import { tableOf } from './session-data.js';

/** The whole session, counted in ClickHouse: true even when the page lists only some calls. */
export interface SessionTotals {
  calls: number;
  toolCalls: number;
  errors: number;
  findings: number;
  firstNs: string;
  lastNs: string;
}

/** One slice of the time axis, for sessions too long to draw call by call. */
export interface Bucket {
  startNs: string;
  calls: number;
  maxResponseBytes: number;
  errors: number;
  findings: number;
}

const ERROR = `(McpErrorType != '' OR StatusCode ILIKE '%error%')`;
// Findings of the secret/PII scan (McpFindings) and values the redactor replaced in the span.
const FINDINGS = `McpFindings + ${findingsSum(Toolwatch.REDACTION_FINDINGS)}`;

export async function readTotals(store: ClickHouseStore, key: string): Promise<SessionTotals> {
  const [row] = await store.query<Record<string, string>>(
    `SELECT toString(uniqExact(SpanId)) AS calls, toString(uniqExactIf(SpanId, McpMethod = 'tools/call')) AS toolCalls,
       toString(uniqExactIf(SpanId, ${ERROR})) AS errors, toString(sum(${FINDINGS})) AS findings,
       toString(min(toUnixTimestamp64Nano(Timestamp))) AS firstNs, toString(max(toUnixTimestamp64Nano(Timestamp) + Duration)) AS lastNs
     FROM ${tableOf(store, TABLES.spans)} WHERE McpSessionKey = {key:String}`,
    { key },
  );
  return {
    calls: Number(row?.calls ?? 0),
    toolCalls: Number(row?.toolCalls ?? 0),
    errors: Number(row?.errors ?? 0),
    findings: Number(row?.findings ?? 0),
    firstNs: row?.firstNs ?? '0',
    lastNs: row?.lastNs ?? '0',
  };
}

/** Calls per slice of [firstNs, lastNs], for the timeline of a session the page cannot list whole. */
export async function readDensity(store: ClickHouseStore, key: string, totals: SessionTotals, slices: number): Promise<Bucket[]> {
  const first = BigInt(totals.firstNs);
  const width = (BigInt(totals.lastNs) - first) / BigInt(slices) + 1n;
  const rows = await store.query<Record<string, string>>(
    `SELECT toString({first:Int64} + intDiv(toUnixTimestamp64Nano(Timestamp) - {first:Int64}, {width:Int64}) * {width:Int64}) AS startNs,
       toString(count()) AS calls, toString(max(McpResponseBytes)) AS maxResponseBytes,
       toString(countIf(${ERROR})) AS errors, toString(sum(${FINDINGS})) AS findings
     FROM ${tableOf(store, TABLES.spans)} WHERE McpSessionKey = {key:String} AND McpMethod != ''
     GROUP BY startNs ORDER BY toInt64(startNs)`,
    { key, first: first.toString(), width: width.toString() },
  );
  return rows.map((r) => ({
    startNs: r.startNs!,
    calls: Number(r.calls),
    maxResponseBytes: Number(r.maxResponseBytes),
    errors: Number(r.errors),
    findings: Number(r.findings),
  }));
}
