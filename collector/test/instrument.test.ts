import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { instrument, SpanRecordExporter } from '@toolwatch/collector';
import { Semconv, Toolwatch, type SpanRecord } from '@toolwatch/schemas';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { MemoryRecordTransport } from '../../test/support/memory-transport.js';

const SECRET_ARG = 'AKIAZ7QXYWVUTSRQPONM';
const SECRET_RESULT = 'ghp_R4nd0mT0k3nV4lu3F0rT3st1ngXyZ0123456';

/** Connects a real SDK client to the server over an in-memory transport pair. */
async function connectClient(server: McpServer, name = 'test-agent', version = '9.9.9'): Promise<Client> {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name, version });
  await client.connect(clientSide);
  return client;
}

async function connectedPair() {
  const server = new McpServer({ name: 'notes-server', version: '1.2.3' });
  server.registerTool('echo', { description: 'Echo', inputSchema: { text: z.string() } }, async ({ text }) => ({
    content: [{ type: 'text', text }],
  }));
  server.registerTool('leak', { description: 'Returns a token' }, async () => ({
    content: [{ type: 'text', text: `token=${SECRET_RESULT}` }],
  }));
  server.registerTool('broken', { description: 'Always fails' }, async () => {
    throw new Error(`failed with ${SECRET_ARG}`);
  });
  const transport = new MemoryRecordTransport();
  const exporter = new SpanRecordExporter(transport);
  const instrumentation = instrument(server, { exporter, scheduledDelayMillis: 10 });
  const client = await connectClient(server);
  return { server, client, transport, exporter, instrumentation };
}

const byMethod = (records: SpanRecord[], method: string) =>
  records.filter((r) => r.SpanAttributes[Semconv.MCP_METHOD_NAME] === method);

describe('instrument(McpServer)', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => close?.());

  it('emits one SERVER span per request with the MCP convention attributes', async () => {
    const { client, transport, instrumentation } = await connectedPair();
    close = () => client.close();
    await client.listTools();
    await client.callTool({ name: 'echo', arguments: { text: 'hello world' } });
    await client.callTool({ name: 'echo', arguments: { text: 'hello world' } });
    await instrumentation.forceFlush();

    const records = transport.records();
    const init = byMethod(records, 'initialize');
    expect(init).toHaveLength(1);
    expect(init[0]!.SpanAttributes[Toolwatch.CLIENT_NAME]).toBe('test-agent');
    expect(init[0]!.SpanAttributes[Semconv.MCP_PROTOCOL_VERSION]).toMatch(/^\d{4}-\d{2}-\d{2}$/);

    const calls = byMethod(records, 'tools/call');
    expect(calls).toHaveLength(2);
    const call = calls[0]!;
    expect(call.SpanName).toBe('tools/call echo');
    expect(call.SpanKind).toBe('Server');
    expect(call.ServiceName).toBe('notes-server');
    expect(call.StatusCode).toBe('Unset');
    expect(call.SpanAttributes).toMatchObject({
      [Semconv.GEN_AI_TOOL_NAME]: 'echo',
      [Semconv.GEN_AI_OPERATION_NAME]: 'execute_tool',
      [Toolwatch.CLIENT_NAME]: 'test-agent',
      [Toolwatch.CLIENT_VERSION]: '9.9.9',
      [Toolwatch.ARGUMENTS_KEYS]: '["text"]',
      [Toolwatch.SESSION_KEY_SOURCE]: 'generated',
      [Toolwatch.RESULT_CONTENT_ITEMS]: '1',
    });
    expect(call.SpanAttributes[Semconv.JSONRPC_REQUEST_ID]).toMatch(/^\d+$/);
    expect(Number(call.SpanAttributes[Toolwatch.REQUEST_BYTES])).toBeGreaterThan('hello world'.length);
    expect(Number(call.SpanAttributes[Toolwatch.RESPONSE_BYTES])).toBeGreaterThan('hello world'.length);
    // Same tool and arguments: same hash, which is how loops are seen without values.
    expect(call.SpanAttributes[Toolwatch.ARGUMENTS_HASH]).toMatch(/^[0-9a-f]{64}$/);
    expect(calls[1]!.SpanAttributes[Toolwatch.ARGUMENTS_HASH]).toBe(call.SpanAttributes[Toolwatch.ARGUMENTS_HASH]);
    // stdio-like transports have no Mcp-Session-Id: the key is generated, one per connection.
    expect(call.SpanAttributes[Semconv.MCP_SESSION_ID]).toBeUndefined();
    const keys = new Set(records.map((r) => r.SpanAttributes[Toolwatch.SESSION_KEY]));
    expect(keys.size).toBe(1);
    expect(transport.sent.every((m) => m.key === call.SpanAttributes[Toolwatch.SESSION_KEY])).toBe(true);

    const list = byMethod(records, 'tools/list')[0]!;
    const definitions = JSON.parse(list.SpanAttributes[Toolwatch.TOOLS_DEFINITIONS]!);
    expect(Object.keys(definitions).sort()).toEqual(['broken', 'echo', 'leak']);
  });

  it('records tool errors, unknown tools and unknown methods with error.type', async () => {
    const { client, transport, instrumentation } = await connectedPair();
    close = () => client.close();
    const broken = await client.callTool({ name: 'broken', arguments: {} });
    expect(broken.isError).toBe(true);
    const unknown = await client.callTool({ name: 'no-such-tool', arguments: {} });
    expect(unknown.isError).toBe(true);
    await expect(client.request({ method: 'no/such-method', params: {} }, z.object({}))).rejects.toThrow();
    await instrumentation.forceFlush();

    const records = transport.records();
    const calls = byMethod(records, 'tools/call');
    expect(calls.map((c) => [c.SpanAttributes[Semconv.GEN_AI_TOOL_NAME], c.SpanAttributes[Semconv.ERROR_TYPE], c.StatusCode])).toEqual([
      ['broken', 'tool_error', 'Error'],
      ['no-such-tool', 'tool_error', 'Error'],
    ]);
    const unknownMethod = byMethod(records, 'no/such-method')[0]!;
    expect(unknownMethod.SpanAttributes[Semconv.ERROR_TYPE]).toBe('-32601');
    expect(unknownMethod.SpanAttributes[Semconv.RPC_RESPONSE_STATUS_CODE]).toBe('-32601');
    expect(unknownMethod.StatusMessage).toBe('Method not found');
  });

  it('lets no argument or result value out of the process', async () => {
    const { client, transport, instrumentation } = await connectedPair();
    close = () => client.close();
    await client.callTool({ name: 'echo', arguments: { text: `key ${SECRET_ARG}` } });
    await client.callTool({ name: 'leak', arguments: {} });
    await client.callTool({ name: 'broken', arguments: {} });
    await instrumentation.forceFlush();
    const everything = JSON.stringify(transport.sent);
    expect(transport.sent.length).toBeGreaterThanOrEqual(5);
    expect(everything).not.toContain(SECRET_ARG);
    expect(everything).not.toContain(SECRET_RESULT);
    expect(everything).not.toContain('hello');
  });

  it('ends a pending span when the connection closes', async () => {
    const server = new McpServer({ name: 'slow', version: '1' });
    server.registerTool('wait', { description: 'waits' }, () => new Promise(() => {}));
    const transport = new MemoryRecordTransport();
    const instrumentation = instrument(server, { exporter: new SpanRecordExporter(transport), scheduledDelayMillis: 10 });
    const client = await connectClient(server);
    const pending = client.callTool({ name: 'wait', arguments: {} }).catch((e: Error) => e);
    await new Promise((r) => setTimeout(r, 20));
    await client.close();
    expect(await pending).toBeInstanceOf(Error);
    await instrumentation.forceFlush();
    const call = byMethod(transport.records(), 'tools/call')[0]!;
    expect(call.SpanAttributes[Toolwatch.INCOMPLETE]).toBe('true');
    expect(call.SpanAttributes[Semconv.ERROR_TYPE]).toBe('connection_closed');
  });

  it('counts spans it could not export and keeps serving', async () => {
    const server = new McpServer({ name: 's', version: '1' });
    server.registerTool('ok', { description: 'ok' }, async () => ({ content: [{ type: 'text', text: 'fine' }] }));
    const down = new MemoryRecordTransport();
    down.send = async () => {
      throw new Error('broker down');
    };
    const exporter = new SpanRecordExporter(down);
    const instrumentation = instrument(server, { exporter, scheduledDelayMillis: 10 });
    const client = await connectClient(server);
    close = () => client.close();
    for (let i = 0; i < 3; i++) expect((await client.callTool({ name: 'ok', arguments: {} })).isError).toBeFalsy();
    await instrumentation.forceFlush();
    expect(exporter.stats.failed).toBe(5); // initialize, initialized, 3 calls
    expect(exporter.stats.exported).toBe(0);
  });
});
