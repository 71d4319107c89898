import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CreateMessageRequestSchema, LoggingMessageNotificationSchema, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { createTelemetry, redactValue, scanValue, SpanRecordExporter } from '@toolwatch/collector';
import { Semconv, SpanRecord, Toolwatch } from '@toolwatch/schemas';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startHttpProxy, type HttpProxyOptions } from '@toolwatch/collector';
import { SseParser, type SseEvent } from '../collector/src/proxy/http-sse.js';
import { MemoryRecordTransport } from './support/memory-transport.js';
import { startSdkHttpServer } from './support/sdk-http-server.js';
import { waitFor } from './support/webhook-receiver.js';

/**
 * `toolwatch proxy --http` in front of real Streamable HTTP servers, driven by the SDK's
 * real client: the SDK's own server (stateful and stateless, JSON and SSE) with the proxy
 * in-process, and the npm server-everything with the proxy as the `toolwatch` command.
 */
const root = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(root, 'bin/toolwatch.js'); // built by `npm test` (tsc -b) before vitest runs
const EVERYTHING = join(root, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');
const MARKER = 'tangerine-quartz-7f3a'; // an argument value: it must reach the server, never a span
const dir = mkdtempSync(join(tmpdir(), 'tw-proxy-http-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => {});
});

async function sdkServer(options: { stateful: boolean; json: boolean }) {
  const server = await startSdkHttpServer(options);
  cleanups.push(() => server.close());
  return server;
}

/** The proxy in-process, its spans kept in memory. */
async function proxyTo(target: URL, options: Partial<HttpProxyOptions> = {}) {
  const records = new MemoryRecordTransport();
  const telemetry = createTelemetry({ exporter: new SpanRecordExporter(records), redaction: { scanValue, redactValue }, scheduledDelayMillis: 5 });
  const proxy = await startHttpProxy({ target: new URL(target.origin), observer: telemetry.observerSettings('proxied'), ...options });
  cleanups.push(async () => {
    await proxy.close();
    await telemetry.shutdown();
  });
  const spans = async (): Promise<SpanRecord[]> => {
    await telemetry.forceFlush();
    return records.records();
  };
  /** The spans, once `done` holds for them: an answer's span ends just after the client has it. */
  const spansWhen = async (done: (spans: SpanRecord[]) => boolean, what: string): Promise<SpanRecord[]> => {
    for (const deadline = Date.now() + 10_000; ; await new Promise((r) => setTimeout(r, 10))) {
      const all = await spans();
      if (done(all)) return all;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; spans: ${all.map((s) => s.SpanName).join(', ')}`);
    }
  };
  return { proxy, endpoint: new URL(target.pathname, proxy.url), spans, spansWhen };
}

async function connect(url: URL) {
  const transport = new StreamableHTTPClientTransport(url);
  const client = new Client({ name: 'proxy-http-test', version: '1.0.0' }, { capabilities: { sampling: {} } });
  await client.connect(transport);
  cleanups.push(() => client.close());
  return { client, transport };
}

const HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18' };
const post = (url: URL, body: unknown, headers: Record<string, string> = {}, signal?: AbortSignal) =>
  fetch(url, { method: 'POST', headers: { ...HEADERS, ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body), signal });
const initialize = (id: number) => ({
  jsonrpc: '2.0',
  id,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'by-hand', version: '1' } },
});

const server = (spans: SpanRecord[]) => spans.filter((s) => s.SpanKind === 'Server');
const named = (spans: SpanRecord[], name: string) => spans.filter((s) => s.SpanName === name);
const attr = (span: SpanRecord | undefined, key: string) => span?.SpanAttributes[key];

describe.each([{ json: true }, { json: false }])('an SDK server, stateful, enableJsonResponse: $json', ({ json }) => {
  it('gives one span per request, with the session id the client saw, the client address, errors typed and no values', async () => {
    const upstream = await sdkServer({ stateful: true, json });
    const { endpoint, spans, spansWhen } = await proxyTo(upstream.url);
    const { client, transport } = await connect(endpoint);
    await client.listTools();
    expect(await client.callTool({ name: 'echo', arguments: { text: MARKER } })).toMatchObject({ content: [{ type: 'text', text: MARKER }] });
    expect((await client.callTool({ name: 'no_such_tool', arguments: { text: MARKER } })).isError).toBe(true);
    await expect(client.request({ method: 'no/such-method', params: {} }, z.object({}))).rejects.toThrow(/Method not found/);
    const sessionId = transport.sessionId!;
    expect(sessionId).toBeTruthy();

    const records = server(await spansWhen((all) => server(all).length >= 6, 'six server spans'));
    expect(records.map((s) => s.SpanName).sort()).toEqual(
      ['initialize', 'no/such-method', 'notifications/initialized', 'tools/call echo', 'tools/call no_such_tool', 'tools/list'].sort(),
    );
    for (const s of records) {
      expect(s.SpanAttributes).toMatchObject({
        [Semconv.MCP_SESSION_ID]: sessionId,
        [Toolwatch.SESSION_KEY]: sessionId,
        [Toolwatch.SESSION_KEY_SOURCE]: 'mcp-session-id',
        [Semconv.CLIENT_ADDRESS]: '127.0.0.1',
        [Semconv.NETWORK_TRANSPORT]: 'tcp',
        [Semconv.NETWORK_PROTOCOL_NAME]: 'http',
        [Semconv.NETWORK_PROTOCOL_VERSION]: '1.1',
        [Toolwatch.CLIENT_NAME]: 'proxy-http-test',
      });
      expect(Number(attr(s, Semconv.CLIENT_PORT))).toBeGreaterThan(0);
      expect(attr(s, Toolwatch.INCOMPLETE)).toBeUndefined(); // every answer was seen
    }
    const [echo] = named(records, 'tools/call echo');
    expect(echo!.SpanAttributes).toMatchObject({ [Semconv.MCP_METHOD_NAME]: 'tools/call', [Semconv.GEN_AI_TOOL_NAME]: 'echo', [Semconv.GEN_AI_OPERATION_NAME]: 'execute_tool' });
    expect(attr(echo, Semconv.ERROR_TYPE)).toBeUndefined();
    expect(Number(attr(echo, Toolwatch.RESPONSE_BYTES))).toBeGreaterThan(MARKER.length);
    const ids = records.map((s) => attr(s, Semconv.JSONRPC_REQUEST_ID)).filter((id) => id !== undefined);
    expect(new Set(ids).size).toBe(5); // every request, each its own id; the notification none
    expect(attr(named(records, 'notifications/initialized')[0], Semconv.JSONRPC_REQUEST_ID)).toBeUndefined();
    expect(attr(named(records, 'tools/call no_such_tool')[0], Semconv.ERROR_TYPE)).toBe('tool_error');
    expect(attr(named(records, 'no/such-method')[0], Semconv.ERROR_TYPE)).toBe('-32601');
    expect(attr(named(records, 'initialize')[0], Semconv.MCP_PROTOCOL_VERSION)).toBeTruthy();
    expect(JSON.stringify(await spans())).not.toContain(MARKER);

    // The server was addressed by its own name and told who the client is.
    const seen = upstream.requests.at(-1)!;
    expect(seen.host).toBe(upstream.url.host);
    expect(seen['x-forwarded-for']).toBe('127.0.0.1');
  });
});

describe('an SDK server, stateful, over SSE', () => {
  it('observes what the server sends on its own: notifications on both streams, and a request whose answer comes in a POST', async () => {
    const upstream = await sdkServer({ stateful: true, json: false });
    const { endpoint, spansWhen } = await proxyTo(upstream.url);
    const { client, transport } = await connect(endpoint);
    const heard: string[] = [];
    client.setNotificationHandler(LoggingMessageNotificationSchema, () => void heard.push('notifications/message'));
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => void heard.push('notifications/tools/list_changed'));
    client.setRequestHandler(CreateMessageRequestSchema, async () => ({ model: 'test-model', role: 'assistant', content: { type: 'text', text: 'blue' } }));

    await client.callTool({ name: 'notify', arguments: {} });
    expect(await client.callTool({ name: 'ask', arguments: {} })).toMatchObject({ content: [{ type: 'text', text: 'blue' }] });
    await waitFor(() => heard.length === 2, 10_000, 'both notifications at the client');

    const records = await spansWhen(
      (all) => ['tools/call ask', 'notifications/message', 'notifications/tools/list_changed', 'sampling/createMessage'].every((n) => named(all, n).length === 1),
      'the server-initiated spans',
    );
    const sessionId = transport.sessionId!;
    const notify = named(records, 'tools/call notify')[0]!;
    const ask = named(records, 'tools/call ask')[0]!;
    const log = named(records, 'notifications/message')[0]!;
    const changed = named(records, 'notifications/tools/list_changed')[0]!;
    const sampling = named(records, 'sampling/createMessage')[0]!;
    for (const s of [log, changed, sampling]) {
      expect(s.SpanKind).toBe('Client');
      expect(attr(s, Semconv.MCP_SESSION_ID)).toBe(sessionId);
    }
    // The log line went out on the call's own stream, while the call was open.
    expect(log.ParentSpanId).toBe(notify.SpanId);
    // The sampling request was answered by the client in a POST body, and matched to it.
    expect(sampling.ParentSpanId).toBe(ask.SpanId);
    expect(attr(sampling, Semconv.JSONRPC_REQUEST_ID)).toBeDefined();
    expect(attr(sampling, Semconv.ERROR_TYPE)).toBeUndefined();
    expect(Number(attr(sampling, Toolwatch.RESPONSE_BYTES))).toBeGreaterThan(0);
    expect(JSON.stringify(records)).not.toMatch(/working on it|which colour|blue/);
  });

  it('ends the session on DELETE: a call still open ends as connection_closed', async () => {
    const upstream = await sdkServer({ stateful: true, json: false });
    const { proxy, endpoint, spans } = await proxyTo(upstream.url);
    const { client, transport } = await connect(endpoint);
    const before = upstream.requests.length;
    const open = client.callTool({ name: 'wait', arguments: {} }).catch(() => 'gone');
    await waitFor(() => upstream.requests.length > before && proxy.stats.received >= 3, 10_000, 'the wait call to reach the server');
    expect(proxy.sessions()).toBe(1);
    const sessionId = transport.sessionId!;

    await transport.terminateSession();
    expect(proxy.sessions()).toBe(0);
    const wait = named(await spans(), 'tools/call wait')[0]!;
    expect(wait.SpanAttributes).toMatchObject({ [Semconv.ERROR_TYPE]: 'connection_closed', [Toolwatch.INCOMPLETE]: 'true', [Semconv.MCP_SESSION_ID]: sessionId });
    await client.close();
    await open;
  });

  it('ends a session idle past the timeout, and what it left unanswered with it', async () => {
    const upstream = await sdkServer({ stateful: true, json: true });
    const { proxy, endpoint, spans } = await proxyTo(upstream.url, { sessionIdleMs: 500 });
    const init = await post(endpoint, initialize(1));
    const sessionId = init.headers.get('mcp-session-id')!;
    await init.text();
    expect(proxy.sessions()).toBe(1);
    // A call whose client gives up before the answer: the proxy never sees one.
    const abort = new AbortController();
    const call = { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'wait', arguments: {} } };
    const pending = post(endpoint, call, { 'mcp-session-id': sessionId }, abort.signal).catch(() => undefined);
    await waitFor(() => proxy.stats.received >= 2, 10_000, 'the call to be observed');
    abort.abort();
    await pending;

    await waitFor(() => proxy.sessions() === 0, 20_000, 'the idle session to end');
    const wait = named(await spans(), 'tools/call wait')[0]!;
    expect(attr(wait, Semconv.ERROR_TYPE)).toBe('connection_closed');
    expect(attr(wait, Semconv.MCP_SESSION_ID)).toBe(sessionId);
  });
});

describe('an SDK server, stateless (no Mcp-Session-Id)', () => {
  it.each([{ json: true }, { json: false }])('observes each request on its own, enableJsonResponse: $json', async ({ json }) => {
    const upstream = await sdkServer({ stateful: false, json });
    const { endpoint, spansWhen } = await proxyTo(upstream.url);
    const { client } = await connect(endpoint);
    await client.callTool({ name: 'echo', arguments: { text: MARKER } });
    expect((await client.callTool({ name: 'no_such_tool', arguments: {} })).isError).toBe(true);
    const records = server(await spansWhen((all) => named(all, 'tools/call no_such_tool').length === 1, 'the unknown tool span'));
    expect(records.map((s) => s.SpanName)).toEqual(expect.arrayContaining(['initialize', 'tools/call echo', 'tools/call no_such_tool']));
    for (const s of records) {
      expect(attr(s, Semconv.MCP_SESSION_ID)).toBeUndefined(); // never an id the client did not see
      expect(attr(s, Toolwatch.SESSION_KEY_SOURCE)).toBe('generated');
      expect(attr(s, Toolwatch.INCOMPLETE)).toBeUndefined();
      expect(attr(s, Semconv.CLIENT_ADDRESS)).toBe('127.0.0.1');
    }
    // One observer per request, as a stateless server has one transport per request.
    expect(new Set(records.map((s) => attr(s, Toolwatch.SESSION_KEY))).size).toBe(records.length);
    expect(attr(named(records, 'tools/call no_such_tool')[0], Semconv.ERROR_TYPE)).toBe('tool_error');
    expect(JSON.stringify(records)).not.toContain(MARKER);
  });

  it.each([{ json: true }, { json: false }])('answers byte for byte as the server does, enableJsonResponse: $json', async ({ json }) => {
    const upstream = await sdkServer({ stateful: false, json });
    const { endpoint, spansWhen } = await proxyTo(upstream.url);
    for (const body of [
      { jsonrpc: '2.0', id: 7, method: 'tools/list', params: {} },
      { jsonrpc: '2.0', id: 8, method: 'tools/call', params: { name: 'big', arguments: { kb: 700 } } }, // many chunks
      '{"jsonrpc":"2.0","id":9,"method":', // the server's parse error, not the proxy's
    ]) {
      const direct = await post(upstream.url, body);
      const proxied = await post(endpoint, body);
      expect(proxied.status).toBe(direct.status);
      expect(proxied.headers.get('content-type')).toBe(direct.headers.get('content-type'));
      expect(Buffer.from(await proxied.arrayBuffer()).equals(Buffer.from(await direct.arrayBuffer()))).toBe(true);
    }
    const big = named(await spansWhen((all) => named(all, 'tools/call big').length === 1, 'the big call'), 'tools/call big')[0]!;
    expect(Number(attr(big, Toolwatch.RESPONSE_BYTES))).toBeGreaterThan(700 * 1024);
  });

  it('takes client.address from X-Forwarded-For, without a port; never from a header naming the socket', async () => {
    const upstream = await sdkServer({ stateful: false, json: true });
    const { endpoint, spansWhen } = await proxyTo(upstream.url);
    await (await post(endpoint, initialize(1), { 'x-forwarded-for': '203.0.113.7, 10.0.0.1' })).text();
    await (await post(endpoint, { jsonrpc: '2.0', id: 2, method: 'tools/list' }, { 'x-toolwatch-client-address': '198.51.100.1 9' })).text();
    const records = server(await spansWhen((all) => server(all).length === 2, 'two spans'));
    expect(named(records, 'initialize')[0]!.SpanAttributes).toMatchObject({ [Semconv.CLIENT_ADDRESS]: '203.0.113.7' });
    expect(attr(named(records, 'initialize')[0], Semconv.CLIENT_PORT)).toBeUndefined();
    expect(attr(named(records, 'tools/list')[0], Semconv.CLIENT_ADDRESS)).toBe('127.0.0.1');
    expect(upstream.requests[0]!['x-forwarded-for']).toBe('203.0.113.7, 10.0.0.1, 127.0.0.1');
  });
});

describe('bodies the proxy forwards but does not observe', () => {
  it.each([{ json: true }, { json: false }])('gives one span per message of a batch POSTed by hand, enableJsonResponse: $json', async ({ json }) => {
    const upstream = await sdkServer({ stateful: true, json });
    const { endpoint, spansWhen } = await proxyTo(upstream.url);
    // Batches are a 2025-03-26 feature.
    const v = { 'mcp-protocol-version': '2025-03-26' };
    const init = await post(endpoint, { ...initialize(1), params: { ...initialize(1).params, protocolVersion: '2025-03-26' } }, v);
    const sessionId = init.headers.get('mcp-session-id')!;
    await init.text();
    const session = { ...v, 'mcp-session-id': sessionId };
    expect((await post(endpoint, { jsonrpc: '2.0', method: 'notifications/initialized' }, session)).status).toBe(202);
    const batch = await post(
      endpoint,
      [
        { jsonrpc: '2.0', id: 'a', method: 'tools/list' },
        { jsonrpc: '2.0', id: 'b', method: 'tools/call', params: { name: 'echo', arguments: { text: MARKER } } },
        { jsonrpc: '2.0', id: 'c', method: 'ping' },
      ],
      session,
    );
    expect(batch.status).toBe(200);
    expect(await batch.text()).toContain(MARKER);
    const inBatch = (all: SpanRecord[]) => server(all).filter((s) => ['a', 'b', 'c'].includes(attr(s, Semconv.JSONRPC_REQUEST_ID)!));
    const records = inBatch(await spansWhen((all) => inBatch(all).length >= 3, 'the batch spans'));
    expect(records.map((s) => s.SpanName).sort()).toEqual(['ping', 'tools/call echo', 'tools/list']);
    for (const s of records) {
      expect(attr(s, Semconv.MCP_SESSION_ID)).toBe(sessionId);
      expect(attr(s, Toolwatch.RESPONSE_BYTES)).toBeDefined(); // each answer found in the batch's answer
    }
  });

  it('forwards a body over the cap and a malformed one, counts them, and still observes the rest', async () => {
    const upstream = await sdkServer({ stateful: false, json: true });
    const { proxy, endpoint, spansWhen } = await proxyTo(upstream.url, { maxBodyBytes: 4096 });
    const long = 'x'.repeat(10_000);
    const answer = await post(endpoint, { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: { text: long } } });
    expect(await answer.json()).toMatchObject({ id: 1, result: { content: [{ text: long }] } });
    expect(proxy.stats.oversized).toBe(2); // the call and its answer

    const malformed = await post(endpoint, '{"jsonrpc":"2.0","id":2,"method":');
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ error: { code: -32700 } });
    expect(proxy.stats.malformed).toBe(1);

    await (await post(endpoint, { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'echo', arguments: { text: 'short' } } })).text();
    const records = server(await spansWhen((all) => server(all).length > 0, 'the short call'));
    expect(records.map((s) => s.SpanName)).toEqual(['tools/call echo']);
    expect(attr(records[0], Semconv.JSONRPC_REQUEST_ID)).toBe('3');
  });

  it('answers 502 with a plain reason when the server is down, and makes no span of a request it never got', async () => {
    const { proxy, endpoint, spans } = await proxyTo(new URL(`http://127.0.0.1:${await freePort()}/mcp`));
    const answer = await post(endpoint, initialize(1));
    expect(answer.status).toBe(502);
    expect(answer.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await answer.text()).toMatch(/did not answer \(ECONNREFUSED\)/);
    expect(proxy.stats.upstreamErrors).toBe(1);
    expect(await spans()).toEqual([]);
  });
});

describe('what a server that is not the SDK may send', () => {
  it('observes a gzip-compressed JSON answer, and passes it on compressed', async () => {
    const upstream = await fakeUpstream(async (req, res) => {
      const { id } = JSON.parse(await readAll(req)) as { id: number };
      const body = gzipSync(JSON.stringify({ jsonrpc: '2.0', id, result: { content: [{ type: 'text', text: MARKER }] } }));
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': body.length }).end(body);
    });
    const { endpoint, spansWhen } = await proxyTo(upstream);
    const answer = await post(endpoint, { jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'zipped', arguments: {} } });
    expect(answer.headers.get('content-encoding')).toBe('gzip');
    expect(await answer.json()).toMatchObject({ id: 4, result: { content: [{ text: MARKER }] } });
    const call = named(await spansWhen((all) => named(all, 'tools/call zipped').length === 1, 'the zipped call'), 'tools/call zipped')[0]!;
    expect(attr(call, Toolwatch.INCOMPLETE)).toBeUndefined(); // the answer was read, not cut off with the request
    expect(Number(attr(call, Toolwatch.RESPONSE_BYTES))).toBeGreaterThan(MARKER.length);
  });

  it('observes an SSE event replayed on a resumed stream once', async () => {
    const note = (n: number) => `id: e${n}\nevent: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: n } })}\n\n`;
    const upstream = await fakeUpstream(async (req, res) => {
      if (req.method === 'POST') {
        await readAll(req);
        const body = JSON.stringify({ jsonrpc: '2.0', id: 1, result: { protocolVersion: '2025-06-18', capabilities: {}, serverInfo: { name: 'fake', version: '1' } } });
        return void res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 'fake-session' }).end(body);
      }
      // The first stream breaks after e1; the resumed one sends e1 again (the proxy saw it,
      // the client may not have), then e2.
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(req.headers['last-event-id'] ? note(1) + note(2) : note(1));
    });
    const { endpoint, spansWhen } = await proxyTo(upstream);
    await (await post(endpoint, initialize(1))).text();
    const stream = { accept: 'text/event-stream', 'mcp-session-id': 'fake-session' };
    expect(await (await fetch(endpoint, { headers: stream })).text()).toContain('e1');
    expect(await (await fetch(endpoint, { headers: { ...stream, 'last-event-id': 'e1' } })).text()).toContain('e2');
    const notes = named(await spansWhen((all) => named(all, 'notifications/message').length >= 2, 'two notifications'), 'notifications/message');
    expect(notes).toHaveLength(2);
    expect(notes.every((s) => attr(s, Semconv.MCP_SESSION_ID) === 'fake-session')).toBe(true);
  });
});

describe('SseParser', () => {
  const STREAM =
    '\uFEFF: a comment\r\nevent: message\r\nid: 1\r\ndata: {"a":\r\ndata: 1}\r\n\r\n' + // CRLF, two data lines
    'data\n\n' + // a field without a colon: empty data, no event
    'id: 2\rdata:{"b":"\u00e9\u6f22"}\r\r' + // CR only, no space after the colon, multi-byte UTF-8
    'event: other\ndata: x\n\n' +
    'data: {"c":3}\n\n' +
    'data: {"cut":'; // never finished: no event
  const EXPECTED: SseEvent[] = [
    { event: 'message', id: '1', data: '{"a":\n1}' },
    { event: '', id: '2', data: '{"b":"\u00e9\u6f22"}' },
    { event: 'other', id: undefined, data: 'x' },
    { event: '', id: undefined, data: '{"c":3}' },
  ];
  const parse = (chunks: Buffer[], max?: number) => {
    const events: SseEvent[] = [];
    const skipped: string[] = [];
    const parser = new SseParser((e) => events.push(e), (r) => skipped.push(r), max);
    for (const c of chunks) parser.push(c);
    return { events, skipped };
  };

  it('reads the same events whole or byte by byte, whatever the line endings', () => {
    const bytes = Buffer.from(STREAM, 'utf8');
    expect(parse([bytes]).events).toEqual(EXPECTED);
    expect(parse([...bytes].map((b) => Buffer.from([b]))).events).toEqual(EXPECTED);
  });

  it('skips an event over the cap, and reads the next', () => {
    const { events, skipped } = parse([Buffer.from(`data: ${'x'.repeat(100)}\n\ndata: {"ok":1}\n\n`)], 50);
    expect(events).toEqual([{ event: '', id: undefined, data: '{"ok":1}' }]);
    expect(skipped).toHaveLength(1);
  });
});

describe('toolwatch proxy --http, in front of server-everything', () => {
  it('emits the spans of the in-process instrumentation, and flushes them on SIGTERM', async () => {
    const file = join(dir, 'everything.jsonl');
    const serverPort = await freePort();
    const everything = await started(spawn(process.execPath, [EVERYTHING, 'streamableHttp'], { env: { PATH: process.env.PATH!, PORT: String(serverPort) }, stdio: ['ignore', 'ignore', 'pipe'] }), /listening/);
    cleanups.push(async () => everything.kill('SIGTERM'));
    const proxyPort = await freePort();
    const proxy = await started(
      spawn(process.execPath, [BIN, 'proxy', '--http', '--listen', `127.0.0.1:${proxyPort}`, '--target', `http://127.0.0.1:${serverPort}`, '--service', 'everything'], {
        env: { PATH: process.env.PATH!, HOME: dir, TOOLWATCH_EXPORTER: `jsonl:${file}` },
        stdio: ['ignore', 'ignore', 'pipe'],
      }),
      /listening on/,
    );
    cleanups.push(async () => proxy.kill('SIGKILL'));

    const { client, transport } = await connect(new URL(`http://127.0.0.1:${proxyPort}/mcp`));
    let logged = 0;
    client.setNotificationHandler(LoggingMessageNotificationSchema, () => void logged++);
    expect(await client.callTool({ name: 'get-sum', arguments: { a: 2, b: 3 } })).toMatchObject({ content: [{ text: expect.stringContaining('5') }] });
    expect(JSON.stringify(await client.callTool({ name: 'echo', arguments: { message: MARKER } }))).toContain(MARKER);
    expect((await client.callTool({ name: 'no_such_tool', arguments: {} })).isError).toBe(true);
    await expect(client.request({ method: 'no/such-method', params: {} }, z.object({}))).rejects.toThrow();
    await client.callTool({ name: 'toggle-simulated-logging', arguments: {} });
    await waitFor(() => logged > 0, 15_000, 'a log message from server-everything on the GET stream');
    const sessionId = transport.sessionId!;
    await transport.terminateSession();
    await client.close();

    const exited = new Promise<number | null>((resolve) => proxy.once('exit', resolve));
    proxy.kill('SIGTERM');
    expect(await exited).toBe(0);
    const records = readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => SpanRecord.parse(JSON.parse(l)));
    const calls = records.filter((s) => attr(s, Semconv.MCP_METHOD_NAME) === 'tools/call');
    expect(calls.map((s) => s.SpanName)).toEqual(['tools/call get-sum', 'tools/call echo', 'tools/call no_such_tool', 'tools/call toggle-simulated-logging']);
    for (const s of server(records)) {
      expect(s.ServiceName).toBe('everything');
      expect(s.SpanAttributes).toMatchObject({ [Semconv.MCP_SESSION_ID]: sessionId, [Semconv.CLIENT_ADDRESS]: '127.0.0.1', [Toolwatch.CLIENT_NAME]: 'proxy-http-test' });
    }
    expect(attr(calls[2], Semconv.ERROR_TYPE)).toBe('tool_error');
    expect(attr(named(records, 'no/such-method')[0], Semconv.ERROR_TYPE)).toBe('-32601');
    const log = named(records, 'notifications/message')[0]!;
    expect(log.SpanKind).toBe('Client');
    expect(attr(log, Semconv.MCP_SESSION_ID)).toBe(sessionId);
    expect(readFileSync(file, 'utf8')).not.toContain(MARKER);
  });

  it('explains a missing --target', async () => {
    const run = promisify(execFile);
    const failed = await run(process.execPath, [BIN, 'proxy', '--http', '--listen', '127.0.0.1:0'], { env: { PATH: process.env.PATH! } }).catch((e: { code: number; stderr: string }) => e);
    expect((failed as { code: number }).code).toBe(2);
    expect((failed as { stderr: string }).stderr).toMatch(/no --target/);
  });
});

/** A hand-made HTTP server standing for an MCP server in another language. */
async function fakeUpstream(handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>): Promise<URL> {
  const http = createHttpServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    http.closeAllConnections();
    http.close();
  });
  return new URL(`http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`);
}

async function readAll(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Resolves once the process has said `ready` on stderr. */
async function started(child: ReturnType<typeof spawn>, ready: RegExp) {
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  await waitFor(() => ready.test(stderr) || child.exitCode !== null, 15_000, `${ready} on stderr`);
  if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}: ${stderr}`);
  return child;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
