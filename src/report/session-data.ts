import type { ClickHouseStore } from '@toolwatch/detector';
import { ident, Semconv, spanAttr as attr, TABLES, Toolwatch } from '@toolwatch/schemas';
import { readDensity, readTotals, type Bucket, type SessionTotals } from './session-totals.js';

/** One stored span of the session, as the page shows it. */
export interface Call {
  /** 1-based position in time order: the row number an analyst quotes. */
  n: number;
  spanId: string;
  traceId: string;
  timeNs: string;
  durationNs: number;
  method: string;
  tool: string;
  spanName: string;
  service: string;
  client: string;
  clientVersion: string;
  statusCode: string;
  errorType: string;
  requestBytes: number;
  responseBytes: number;
  findings: FindingCount[];
  incomplete: boolean;
  sessionEnd: boolean;
}

export interface FindingCount {
  where: 'arguments' | 'result' | 'redaction';
  rule: string;
  count: number;
}

/** One revision of an alert (open, updated or closed). */
export interface AlertRevision {
  id: string;
  status: string;
  revision: number;
  severity: string;
  score: number;
  sessionScore: number;
  title: string;
  observed: number;
  baseline: number | null;
  threshold: number;
  lastEventNs: string;
}

export interface StoredAlert extends AlertRevision {
  rule: string;
  kind: string;
  tool: string;
  service: string;
  client: string;
  clientVersion: string;
  windowStartNs: string;
  firstEventNs: string;
  unit: string;
  windowMs: number | null;
  spanIds: string[];
  tags: string[];
}

export interface StoredScore {
  service: string;
  client: string;
  clientVersion: string;
  firstEventNs: string;
  lastEventNs: string;
  spans: number;
  score: number;
  severity: string;
  alerts: number;
  rules: string[];
  ended: boolean;
  revision: number;
}

export interface SessionData {
  key: string;
  calls: Call[];
  /** The whole session as stored; `totals.calls` is more than `calls.length` when capped. */
  totals: SessionTotals;
  /** Calls per slice of time when the session has more calls than the page lists, else null. */
  density: Bucket[] | null;
  /** The newest revision of each alert (FINAL). */
  alerts: StoredAlert[];
  /** Every revision ClickHouse still holds, by alert id, oldest first. Background merges
   * of the ReplacingMergeTree drop the older ones, so this may be shorter than `revision + 1`. */
  history: Map<string, AlertRevision[]>;
  score: StoredScore | null;
}

const nanos = (column: string) => `toString(toUnixTimestamp64Nano(${column}))`;

// Only the attributes the page shows are read: captured argument or result previews (an
// opt-in) never leave ClickHouse, so no value can reach the page even by mistake.
const CALL_COLUMNS = `${nanos('Timestamp')} AS timeNs, SpanId AS spanId, TraceId AS traceId, SpanName AS spanName,
  ServiceName AS service, toString(Duration) AS durationNs, StatusCode AS statusCode, McpMethod AS method, McpTool AS tool,
  McpClientName AS client, ${attr(Toolwatch.CLIENT_VERSION)} AS clientVersion, McpErrorType AS errorType,
  toString(McpRequestBytes) AS requestBytes, toString(McpResponseBytes) AS responseBytes,
  ${attr(Toolwatch.ARGUMENTS_FINDINGS)} AS argumentsFindings, ${attr(Toolwatch.RESULT_FINDINGS)} AS resultFindings,
  ${attr(Toolwatch.REDACTION_FINDINGS)} AS redactionFindings, ${attr(Toolwatch.INCOMPLETE)} AS incomplete,
  ${attr(Toolwatch.SESSION_END)} AS sessionEnd, ${attr(Semconv.RPC_RESPONSE_STATUS_CODE)} AS rpcStatus`;

const REVISION_COLUMNS = `Id AS id, Status AS status, Revision AS revision, Severity AS severity, Score AS score,
  SessionScore AS sessionScore, Title AS title, Observed AS observed, Baseline AS baseline, Threshold AS threshold,
  ${nanos('LastEventTime')} AS lastEventNs`;

const ALERT_COLUMNS = `${REVISION_COLUMNS}, Rule AS rule, Kind AS kind, Tool AS tool, ServiceName AS service,
  ClientName AS client, ClientVersion AS clientVersion, ${nanos('WindowStart')} AS windowStartNs,
  ${nanos('FirstEventTime')} AS firstEventNs, Unit AS unit, Evidence AS evidence, Tags AS tags`;

type Row = Record<string, unknown>;
const str = (v: unknown): string => (typeof v === 'string' ? v : v === null || v === undefined ? '' : String(v));
const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v ?? 0) || 0);

/** `{"rule": count}` as the instrumentation writes it; anything else is ignored, not shown. */
function parseFindings(json: string, where: FindingCount['where']): FindingCount[] {
  if (!json) return [];
  try {
    const parsed: unknown = JSON.parse(json);
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return [];
    return Object.entries(parsed as Record<string, unknown>)
      .filter((e): e is [string, number] => typeof e[1] === 'number' && e[1] > 0)
      .map(([rule, count]) => ({ where, rule, count }));
  } catch {
    return [];
  }
}

/** A call that failed: `toCall` gives every failed call an error type. */
export const isError = (c: Call): boolean => c.errorType !== '';
export const findingTotal = (c: Call): number => c.findings.reduce((n, f) => n + f.count, 0);

const callIndexes = new WeakMap<SessionData, Map<string, Call>>();
/** The session's calls by span id, built once a page. */
export function callsById(data: SessionData): Map<string, Call> {
  let index = callIndexes.get(data);
  if (!index) callIndexes.set(data, (index = new Map(data.calls.map((c) => [c.spanId, c]))));
  return index;
}

function toCall(row: Row, i: number): Call {
  return {
    n: i + 1,
    spanId: str(row.spanId),
    traceId: str(row.traceId),
    timeNs: str(row.timeNs),
    durationNs: num(row.durationNs),
    method: str(row.method),
    tool: str(row.tool),
    spanName: str(row.spanName),
    service: str(row.service),
    client: str(row.client),
    clientVersion: str(row.clientVersion),
    statusCode: str(row.statusCode),
    errorType: str(row.errorType) || (/error/i.test(str(row.statusCode)) ? str(row.rpcStatus) || 'error' : ''),
    requestBytes: num(row.requestBytes),
    responseBytes: num(row.responseBytes),
    findings: [
      ...parseFindings(str(row.argumentsFindings), 'arguments'),
      ...parseFindings(str(row.resultFindings), 'result'),
      ...parseFindings(str(row.redactionFindings), 'redaction'),
    ],
    incomplete: row.incomplete === 'true',
    sessionEnd: row.sessionEnd === 'true',
  };
}

function toRevision(row: Row): AlertRevision {
  return {
    id: str(row.id),
    status: str(row.status),
    revision: num(row.revision),
    severity: str(row.severity),
    score: num(row.score),
    sessionScore: num(row.sessionScore),
    title: str(row.title),
    observed: num(row.observed),
    baseline: row.baseline === null || row.baseline === undefined ? null : num(row.baseline),
    threshold: num(row.threshold),
    lastEventNs: str(row.lastEventNs),
  };
}

function toAlert(row: Row): StoredAlert {
  let evidence: { windowMs?: unknown; spanIds?: unknown } = {};
  try {
    evidence = JSON.parse(str(row.evidence)) as typeof evidence;
  } catch {
    // An unreadable evidence blob still leaves the typed columns to show.
  }
  const spanIds = Array.isArray(evidence.spanIds) ? evidence.spanIds.filter((s): s is string => typeof s === 'string') : [];
  return {
    ...toRevision(row),
    rule: str(row.rule),
    kind: str(row.kind),
    tool: str(row.tool),
    service: str(row.service),
    client: str(row.client),
    clientVersion: str(row.clientVersion),
    windowStartNs: str(row.windowStartNs),
    firstEventNs: str(row.firstEventNs),
    unit: str(row.unit),
    windowMs: typeof evidence.windowMs === 'number' ? evidence.windowMs : null,
    spanIds,
    tags: Array.isArray(row.tags) ? row.tags.map(str) : [],
  };
}

/** About one slice per two pixels of the timeline's plot. */
const DENSITY_SLICES = 500;

export const tableOf = (store: ClickHouseStore, table: string) => `${ident(store.databaseName)}.${table}`;

/** Everything the page shows about one session, read from ClickHouse. */
export async function readSession(store: ClickHouseStore, key: string, maxCalls: number): Promise<SessionData> {
  const spans = tableOf(store, TABLES.spans);
  const alerts = tableOf(store, TABLES.alerts);
  const params = { key, max: maxCalls };
  const [callRows, totals, alertRows, revisionRows, scoreRows] = await Promise.all([
    // LIMIT 1 BY: a span written twice (a retry outside the deduplication window) is one call.
    store.query<Row>(`SELECT ${CALL_COLUMNS} FROM ${spans} WHERE McpSessionKey = {key:String}
      ORDER BY Timestamp, SpanId LIMIT 1 BY SpanId LIMIT {max:UInt32}`, params),
    readTotals(store, key),
    store.query<Row>(`SELECT ${ALERT_COLUMNS} FROM ${alerts} FINAL WHERE SessionKey = {key:String} ORDER BY FirstEventTime, Id`, params),
    store.query<Row>(`SELECT ${REVISION_COLUMNS} FROM ${alerts} WHERE SessionKey = {key:String}
      ORDER BY Id, Revision LIMIT 1 BY Id, Revision`, params),
    store.query<Row>(`SELECT ServiceName AS service, ClientName AS client, ClientVersion AS clientVersion,
      ${nanos('FirstEventTime')} AS firstEventNs, ${nanos('LastEventTime')} AS lastEventNs, Spans AS spans, Score AS score,
      Severity AS severity, Alerts AS alerts, Rules AS rules, Ended AS ended, Revision AS revision
      FROM ${tableOf(store, TABLES.sessionScores)} FINAL WHERE SessionKey = {key:String} ORDER BY Revision DESC LIMIT 1`, params),
  ]);
  const history = new Map<string, AlertRevision[]>();
  for (const row of revisionRows) {
    const revision = toRevision(row);
    const list = history.get(revision.id) ?? [];
    list.push(revision);
    history.set(revision.id, list);
  }
  const s = scoreRows[0];
  return {
    key,
    calls: callRows.map(toCall),
    totals,
    density: totals.calls > callRows.length ? await readDensity(store, key, totals, DENSITY_SLICES) : null,
    alerts: alertRows.map(toAlert),
    history,
    score: s
      ? {
          service: str(s.service),
          client: str(s.client),
          clientVersion: str(s.clientVersion),
          firstEventNs: str(s.firstEventNs),
          lastEventNs: str(s.lastEventNs),
          spans: num(s.spans),
          score: num(s.score),
          severity: str(s.severity),
          alerts: num(s.alerts),
          rules: Array.isArray(s.rules) ? s.rules.map(str) : [],
          ended: s.ended === true || s.ended === 1 || s.ended === 'true',
          revision: num(s.revision),
        }
      : null,
  };
}
