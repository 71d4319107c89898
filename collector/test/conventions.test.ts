import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import {
  CallToolRequestSchema,
  CreateMessageRequestSchema,
  CreateMessageResultSchema,
  ListToolsRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { DeferredWork, DURATION_BUCKETS, instrument, McpMetrics, McpObserver, SpanRecordExporter } from '@toolwatch/collector';
import { Semconv, Toolwatch, type SpanRecord } from '@toolwatch/schemas';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { MemoryRecordTransport } from '../../test/support/memory-transport.js';

async function connect(server: McpServer | Server, client: Client) {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  await client.connect(clientSide);
}

function instrumented(server: McpServer | Server, extra: Partial<Parameters<typeof instrument>[1]> = {}) {
  const records = new MemoryRecordTransport();
  const instrumentation = instrument(server, { exporter: new SpanRecordExporter(records), scheduledDelayMillis: 5, ...extra });
  const flush = async () => {
    await instrumentation.forceFlush();
    return records.records();
  };
  return { flush };
}

const method = (records: SpanRecord[], name: string) => records.filter((r) => r.SpanAttributes[Semconv.MCP_METHOD_NAME] === name);

describe('OTel MCP conventions', () => {
  it('names resources and prompts, and keeps a URI query (which may hold a token) out', async () => {
    const server = new McpServer({ name: 'docs', version: '1' });
    server.registerResource('doc', new ResourceTemplate('docs://{name}', { list: undefined }), {}, async (uri) => ({
      contents: [{ uri: uri.href, text: 'content' }],
    }));
    server.registerPrompt('summarize', { argsSchema: { topic: z.string() } }, ({ topic }) => ({
      messages: [{ role: 'user', content: { type: 'text', text: `Summarize ${topic}` } }],
    }));
    const { flush } = instrumented(server);
    const client = new Client({ name: 'c', version: '1' });
    await connect(server, client);
    await client.readResource({ uri: 'docs://runbook?token=s3cr3t-value' });
    await client.getPrompt({ name: 'summarize', arguments: { topic: 'pager' } });
    await client.listPrompts();
    const records = await flush();
    const read = method(records, 'resources/read')[0]!;
    expect(read.SpanName).toBe('resources/read');
    expect(read.SpanAttributes[Semconv.MCP_RESOURCE_URI]).toBe('docs://runbook');
    expect(JSON.stringify(records)).not.toContain('s3cr3t-value');
    const prompt = method(records, 'prompts/get')[0]!;
    expect(prompt.SpanName).toBe('prompts/get summarize');
    expect(prompt.SpanAttributes[Semconv.GEN_AI_PROMPT_NAME]).toBe('summarize');
    expect(method(records, 'prompts/list')).toHaveLength(1);
    await client.close();
  });

  it('continues the trace a client sends in params._meta', async () => {
    const server = new McpServer({ name: 's', version: '1' });
    server.registerTool('ping_tool', { description: 'p' }, async () => ({ content: [] }));
    const { flush } = instrumented(server);
    const client = new Client({ name: 'c', version: '1' });
    await connect(server, client);
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parentId = '00f067aa0ba902b7';
    await client.callTool({ name: 'ping_tool', arguments: {}, _meta: { traceparent: `00-${traceId}-${parentId}-01`, tracestate: 'vendor=x' } });
    const call = method(await flush(), 'tools/call')[0]!;
    expect(call.TraceId).toBe(traceId);
    expect(call.ParentSpanId).toBe(parentId);
    expect(call.TraceState).toBe('vendor=x');
    await client.close();
  });

  it('records server-initiated sampling as a CLIENT span under the tool call, and list-changed notifications', async () => {
    const server = new McpServer({ name: 's', version: '1' });
    const tool = server.registerTool('ask_model', { description: 'asks the client model' }, async (extra) => {
      const answer = await extra.sendRequest(
        { method: 'sampling/createMessage', params: { messages: [{ role: 'user', content: { type: 'text', text: 'hi' } }], maxTokens: 5 } },
        CreateMessageResultSchema,
      );
      return { content: [{ type: 'text', text: String(answer.model) }] };
    });
    const { flush } = instrumented(server);
    const client = new Client({ name: 'c', version: '1' }, { capabilities: { sampling: {} } });
    client.setRequestHandler(CreateMessageRequestSchema, async () => ({ model: 'm1', role: 'assistant', content: { type: 'text', text: 'ok' } }));
    await connect(server, client);
    await client.callTool({ name: 'ask_model', arguments: {} });
    tool.update({ description: 'changed' }); // sends notifications/tools/list_changed
    await new Promise((r) => setTimeout(r, 10));
    const records = await flush();
    const call = method(records, 'tools/call')[0]!;
    const sampling = method(records, 'sampling/createMessage')[0]!;
    expect(sampling.SpanKind).toBe('Client');
    expect(sampling.TraceId).toBe(call.TraceId);
    expect(sampling.ParentSpanId).toBe(call.SpanId);
    expect(Number(sampling.SpanAttributes[Toolwatch.RESPONSE_BYTES])).toBeGreaterThan(0);
    const changed = method(records, 'notifications/tools/list_changed');
    expect(changed).toHaveLength(1);
    expect(changed[0]!.SpanKind).toBe('Client');
    await client.close();
  });

  it('ends a cancelled request with error.type cancelled', async () => {
    const server = new McpServer({ name: 's', version: '1' });
    server.registerTool('slow', { description: 'slow' }, () => new Promise(() => {}));
    const { flush } = instrumented(server);
    const client = new Client({ name: 'c', version: '1' });
    await connect(server, client);
    const abort = new AbortController();
    const call = client.callTool({ name: 'slow', arguments: {} }, undefined, { signal: abort.signal }).catch((e: Error) => e);
    await new Promise((r) => setTimeout(r, 20));
    abort.abort('user gave up');
    expect(await call).toBeInstanceOf(Error);
    await new Promise((r) => setTimeout(r, 20));
    const records = await flush();
    const slow = method(records, 'tools/call')[0]!;
    expect(slow.SpanAttributes).toMatchObject({ [Semconv.ERROR_TYPE]: 'cancelled', [Toolwatch.INCOMPLETE]: 'true' });
    expect(method(records, 'notifications/cancelled')).toHaveLength(1);
    await client.close();
  });

  it('instruments the low-level Server, whose handlers are set by hand', async () => {
    const server = new Server({ name: 'low-level', version: '2.0.0' }, { capabilities: { tools: {} } });
    server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: [{ name: 'add', inputSchema: { type: 'object' } }] }));
    server.setRequestHandler(CallToolRequestSchema, async (req) => ({ content: [{ type: 'text', text: String(req.params.name) }] }));
    const { flush } = instrumented(server);
    const client = new Client({ name: 'c', version: '1' });
    await connect(server, client);
    await client.listTools();
    await client.callTool({ name: 'add', arguments: { a: 1 } });
    const records = await flush();
    expect(records.map((r) => r.SpanName)).toEqual(expect.arrayContaining(['initialize', 'tools/list', 'tools/call add']));
    expect(records.every((r) => r.ServiceName === 'low-level')).toBe(true);
    expect(records[0]!.ResourceAttributes['service.version']).toBe('2.0.0');
    await client.close();
  });

  it('records the MCP duration histograms with the conventions’ buckets and no session id', async () => {
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 });
    const meterProvider = new MeterProvider({ readers: [reader] });
    const server = new McpServer({ name: 's', version: '1' });
    server.registerTool('echo', { description: 'e' }, async () => ({ content: [] }));
    const { flush } = instrumented(server, { meterProvider });
    const client = new Client({ name: 'c', version: '1' });
    await connect(server, client);
    await client.callTool({ name: 'echo', arguments: {} });
    await client.close();
    await flush();
    await reader.forceFlush();
    const metrics = exporter.getMetrics().flatMap((m) => m.scopeMetrics.flatMap((s) => s.metrics));
    const operation = metrics.find((m) => m.descriptor.name === 'mcp.server.operation.duration')!;
    expect(operation.descriptor.unit).toBe('s');
    const call = operation.dataPoints.find((p) => p.attributes[Semconv.MCP_METHOD_NAME] === 'tools/call')!;
    expect(call.attributes[Semconv.GEN_AI_TOOL_NAME]).toBe('echo');
    expect((call.value as { buckets: { boundaries: number[] } }).buckets.boundaries).toEqual(DURATION_BUCKETS);
    const session = metrics.find((m) => m.descriptor.name === 'mcp.server.session.duration')!;
    expect(session.dataPoints).toHaveLength(1);
    for (const m of metrics) for (const p of m.dataPoints) {
      expect(Object.keys(p.attributes)).not.toContain(Semconv.MCP_SESSION_ID);
      expect(Object.keys(p.attributes)).not.toContain(Toolwatch.SESSION_KEY);
    }
    await meterProvider.shutdown();
  });
});

describe('McpObserver client identity and context', () => {
  const setup = () => {
    const spans = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
    const observer = new McpObserver(
      { tracer: provider.getTracer('t'), metrics: new McpMetrics(), deferred: new DeferredWork(), requestTimeoutMs: 60_000, ignoreMethods: new Set() },
      { network: { 'network.transport': 'tcp', 'network.protocol.name': 'http' }, sessionId: () => 'sess-9' },
    );
    return { spans, provider, observer };
  };

  it('records the OAuth client id, the original client address and the user agent', async () => {
    const { spans, observer } = setup();
    observer.received(
      { jsonrpc: '2.0', id: 1, method: 'tools/list' },
      {
        authInfo: { token: 'secret-bearer-token', clientId: 'agent-portal', scopes: ['mcp'] },
        requestInfo: { headers: { 'x-forwarded-for': '203.0.113.7, 10.0.0.2', 'user-agent': 'claude-code/2.1' } },
      },
    );
    observer.sent({ jsonrpc: '2.0', id: 1, result: { tools: [] } });
    await new Promise((r) => setImmediate(r));
    const [span] = spans.getFinishedSpans();
    expect(span!.attributes).toMatchObject({
      [Toolwatch.CLIENT_ID]: 'agent-portal',
      [Semconv.CLIENT_ADDRESS]: '203.0.113.7',
      'user_agent.original': 'claude-code/2.1',
      [Semconv.MCP_SESSION_ID]: 'sess-9',
    });
    expect(JSON.stringify(span!.attributes)).not.toContain('secret-bearer-token');
    observer.closed();
  });

  it('links the ambient span (an HTTP server span) instead of parenting under it', async () => {
    const manager = new AsyncLocalStorageContextManager().enable();
    context.setGlobalContextManager(manager);
    try {
      const { spans, provider, observer } = setup();
      const http = provider.getTracer('http').startSpan('POST /mcp');
      context.with(trace.setSpan(context.active(), http), () => observer.received({ jsonrpc: '2.0', method: 'notifications/initialized' }));
      http.end();
      await new Promise((r) => setImmediate(r));
      const mcp = spans.getFinishedSpans().find((s) => s.name === 'notifications/initialized')!;
      expect(mcp.parentSpanContext?.spanId).toBeUndefined();
      expect(mcp.spanContext().traceId).not.toBe(http.spanContext().traceId);
      expect(mcp.links.map((l) => l.context.spanId)).toEqual([http.spanContext().spanId]);
      observer.closed();
    } finally {
      context.disable();
    }
  });
});

describe('McpObserver time-outs', () => {
  it('ends a request that was never answered with error.type timeout', async () => {
    const spans = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
    const observer = new McpObserver(
      {
        tracer: provider.getTracer('t'),
        metrics: new McpMetrics(),
        deferred: new DeferredWork(),
        requestTimeoutMs: 1_000,
        ignoreMethods: new Set(),
      },
      { network: {}, sessionId: () => 'session-1' },
    );
    observer.received({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'stuck', arguments: {} } });
    observer.sweep(Date.now()); // not yet due
    observer.sweep(Date.now() + 2_000);
    await new Promise((r) => setImmediate(r));
    const [span] = spans.getFinishedSpans();
    expect(span?.attributes).toMatchObject({ [Semconv.ERROR_TYPE]: 'timeout', [Toolwatch.INCOMPLETE]: true, [Semconv.MCP_SESSION_ID]: 'session-1' });
    observer.sent({ jsonrpc: '2.0', id: 7, result: { content: [] } }); // a late answer changes nothing
    await new Promise((r) => setImmediate(r));
    expect(spans.getFinishedSpans()).toHaveLength(1);
    observer.closed();
  });
});
