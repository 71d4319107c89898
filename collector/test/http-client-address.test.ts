import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { clientAddress, createInstrumentation, SpanRecordExporter } from '@toolwatch/collector';
import { Semconv, Toolwatch } from '@toolwatch/schemas';
import { describe, expect, it } from 'vitest';
import { MemoryRecordTransport } from '../../test/support/memory-transport.js';

describe('an HTTP MCP server with the clientAddress() middleware', () => {
  it('puts the socket peer on every span, and ignores a forged header', async () => {
    const records = new MemoryRecordTransport();
    const toolwatch = createInstrumentation({ exporter: new SpanRecordExporter(records), scheduledDelayMillis: 5 });
    const recordAddress = clientAddress();
    // Stateless: one server and transport per request, as the SDK's examples do.
    const http = createServer(async (req, res) => {
      recordAddress(req);
      const server = toolwatch.instrument(new McpServer({ name: 'http-server', version: '1' }));
      server.registerTool('whoami', { description: 'w' }, async () => ({ content: [{ type: 'text', text: 'you' }] }));
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
      res.on('close', () => void transport.close());
      await server.connect(transport);
      await transport.handleRequest(req, res);
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    const url = new URL(`http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`);
    const client = new Client({ name: 'far-away', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers: { 'x-toolwatch-client-address': '198.51.100.1 9' } } }));
    await client.callTool({ name: 'whoami', arguments: {} });
    await client.close();
    await toolwatch.forceFlush();
    http.close();

    const call = records.records().find((r) => r.SpanName === 'tools/call whoami')!;
    expect(call.SpanAttributes[Semconv.CLIENT_ADDRESS]).toBe('127.0.0.1');
    expect(Number(call.SpanAttributes[Semconv.CLIENT_PORT])).toBeGreaterThan(0);
    expect(call.SpanAttributes[Semconv.NETWORK_TRANSPORT]).toBe('tcp');
    expect(call.SpanAttributes[Toolwatch.SESSION_KEY_SOURCE]).toBe('generated'); // stateless: no Mcp-Session-Id
    expect(JSON.stringify(records.records())).not.toContain('198.51.100.1');
  });
});
