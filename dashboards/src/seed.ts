import { Semconv, TABLES, Toolwatch } from '@toolwatch/schemas';

/** An attribute key as an SQL string: the same constants the materialized columns read. */
const q = (key: string): string => `'${key}'`;

/**
 * Seed data made by the engine itself (`INSERT … SELECT … FROM numbers(n)`): a million
 * spans in seconds, where building them in JavaScript and sending them as JSON would take
 * minutes. Sessions of 20 spans (initialize, tools/list, 18 calls) from five servers and
 * four clients, spread evenly over the range; one session in 101 pulls bulk data out, and
 * the `files` server changes the definition of `read` halfway through.
 */
export interface SeedOptions {
  database?: string;
  spans: number;
  end: Date;
  hours: number;
}

export const SPANS_PER_SESSION = 20;
const SEED_SERVICES = ['files', 'github', 'postgres', 'slack', 'search'];
const CLIENTS = ['claude-desktop', 'cursor', 'vscode-copilot', 'custom-agent'];
const TOOLS = ['read', 'write', 'search', 'list', 'get', 'update', 'delete', 'query', 'fetch', 'run', 'send', 'open'];

const list = (xs: string[]) => `[${xs.map((x) => `'${x}'`).join(', ')}]`;

function sessions(o: SeedOptions): { count: number; columns: string } {
  const count = Math.ceil(o.spans / SPANS_PER_SESSION);
  const startNs = BigInt(o.end.getTime() - o.hours * 3_600_000) * 1_000_000n;
  const stepNs = (BigInt(o.hours * 3_600_000 - 60_000) * 1_000_000n) / BigInt(count);
  const columns = `arrayElement(${list(SEED_SERVICES)}, s % ${SEED_SERVICES.length} + 1) AS service,
    arrayElement(${list(CLIENTS)}, cityHash64(s, 1) % ${CLIENTS.length} + 1) AS client,
    concat('sess-', lower(hex(cityHash64(s, 2)))) AS session_key,
    toInt64(${startNs}) + toInt64(s) * ${stepNs} AS session_start,
    s % 101 = 7 AS bulk_egress,
    s % 37 = 3 AS bursty,
    s % 53 = 5 AS novel`;
  return { count, columns };
}

function seedSpansSql(o: SeedOptions): string {
  const db = o.database ?? 'default';
  const { count, columns } = sessions(o);
  return `INSERT INTO ${db}.${TABLES.spans} (Timestamp, TraceId, SpanId, ParentSpanId, TraceState, SpanName, SpanKind, ServiceName,
  ResourceAttributes, ScopeName, ScopeVersion, SpanAttributes, Duration, StatusCode, StatusMessage)
SELECT
  fromUnixTimestamp64Nano(session_start + pos * if(bursty, 100000000, 2000000000) + toInt64(h % 1000000000)),
  lower(hex(MD5(concat('t', toString(number))))),
  substring(lower(hex(MD5(concat('s', toString(number))))), 1, 16),
  '', '',
  if(method = 'tools/call', concat(method, ' ', tool), method),
  'Server', service, map('service.name', service), '@toolwatch/collector', '0.1.0',
  mapFilter((k, v) -> v != '', map(
    ${q(Semconv.MCP_METHOD_NAME)}, method, ${q(Semconv.GEN_AI_TOOL_NAME)}, tool, ${q(Toolwatch.SESSION_KEY)}, session_key,
    ${q(Toolwatch.SESSION_KEY_SOURCE)}, 'generated', ${q(Toolwatch.CLIENT_NAME)}, client, ${q(Toolwatch.CLIENT_VERSION)}, '1.0.0',
    ${q(Toolwatch.REQUEST_BYTES)}, toString(req), ${q(Toolwatch.RESPONSE_BYTES)}, toString(resp), ${q(Semconv.ERROR_TYPE)}, err,
    ${q(Toolwatch.RESULT_FINDINGS)}, findings, ${q(Toolwatch.TOOLS_DEFINITIONS)}, defs)),
  1000000 + bitShiftRight(h, 40) % 50000000,
  if(err != '', 'Error', 'Unset'), ''
FROM (
  SELECT number, intDiv(number, ${SPANS_PER_SESSION}) AS s, number % ${SPANS_PER_SESSION} AS pos, cityHash64(number) AS h,
    ${columns},
    multiIf(pos = 0, 'initialize', pos = 1, 'tools/list', 'tools/call') AS method,
    if(method = 'tools/call', if(novel AND pos = 7, 'exec_shell', arrayElement(${list(TOOLS)}, h % ${TOOLS.length} + 1)), '') AS tool,
    if(method = 'tools/list', toJSONString(mapFromArrays(${list(TOOLS)}, arrayMap(t ->
      lower(hex(MD5(concat(service, t, if(service = 'files' AND t = 'read' AND s > ${Math.floor(count / 2)}, 'v2', 'v1'))))), ${list(TOOLS)}))), '') AS defs,
    multiIf(method = 'tools/call', 50 + h % 500, 40) AS req,
    multiIf(method = 'tools/call', toUInt64(-log((h % 1000000 + 1) / 1000001) * 3000) * if(bulk_egress, 400, 1), method = 'tools/list', 8000, 300) AS resp,
    if(method = 'tools/call' AND bitShiftRight(h, 20) % 50 = 0, 'tool_error', '') AS err,
    if(method = 'tools/call' AND bitShiftRight(h, 30) % 200 = 0, '{"email":2}', '') AS findings
  FROM numbers(${o.spans})
)`;
}

/** Alerts as the detector makes them: opened (revision 0), then closed at session end. */
function seedAlertsSql(o: SeedOptions): string {
  const db = o.database ?? 'default';
  const { count, columns } = sessions(o);
  return `INSERT INTO ${db}.${TABLES.alerts} (Id, Status, Revision, SessionScore, Rule, Kind, Severity, Score, Title, SessionKey, ServiceName,
  ClientName, ClientVersion, Tool, WindowStart, FirstEventTime, LastEventTime, Observed, Baseline, Threshold, Unit, Evidence, Tags)
SELECT lower(hex(SHA256(concat(rule.1, session_key)))), if(rev = 0, 'open', 'closed'), rev, rule.4, rule.1, splitByChar('.', rule.1)[1], rule.2, rule.4,
  concat(rule.1, ' in ', session_key), session_key, service, client, '1.0.0', rule.3,
  fromUnixTimestamp64Nano(session_start), fromUnixTimestamp64Nano(session_start), fromUnixTimestamp64Nano(session_start + 38000000000),
  rule.4 * 10, NULL, 100, 'calls', '{}', ['owasp-mcp:MCP06:2025']
FROM (SELECT number AS s, ${columns} FROM numbers(${count}) WHERE bulk_egress OR bursty OR novel)
ARRAY JOIN arrayFilter(r -> r.4 > 0, [
  ('egress.session_bytes', 'high', '', if(bulk_egress, 85., 0.)),
  ('rate.burst', 'medium', '', if(bursty, 55., 0.)),
  ('novelty.unadvertised_tool', 'critical', 'exec_shell', if(novel, 92., 0.))
]) AS rule
ARRAY JOIN [0, 1] AS rev`;
}

/** A score row for every session, alerted or not; revision 1 marks it ended. */
function seedScoresSql(o: SeedOptions): string {
  const db = o.database ?? 'default';
  const { count, columns } = sessions(o);
  return `INSERT INTO ${db}.${TABLES.sessionScores} (SessionKey, ServiceName, ClientName, ClientVersion, FirstEventTime, LastEventTime, Spans, Score,
  Severity, Alerts, Rules, Ended, Revision)
SELECT session_key, service, client, '1.0.0', fromUnixTimestamp64Nano(session_start), fromUnixTimestamp64Nano(session_start + 38000000000),
  ${SPANS_PER_SESSION}, 100 * (1 - (1 - if(bulk_egress, 0.85, 0)) * (1 - if(bursty, 0.55, 0)) * (1 - if(novel, 0.92, 0))),
  multiIf(novel, 'critical', bulk_egress, 'high', bursty, 'medium', 'info'), toUInt32(bulk_egress + bursty + novel),
  arrayFilter(x -> x != '', [if(bulk_egress, 'egress.session_bytes', ''), if(bursty, 'rate.burst', ''), if(novel, 'novelty.unadvertised_tool', '')]),
  rev = 1, rev
FROM (SELECT number AS s, ${columns} FROM numbers(${count}))
ARRAY JOIN [0, 1] AS rev`;
}

export const seedSql = (o: SeedOptions): string[] => [seedSpansSql(o), seedAlertsSql(o), seedScoresSql(o)];
