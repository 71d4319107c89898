import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { CreateMessageResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';

export interface SdkHttpServer {
  /** The MCP endpoint, e.g. http://127.0.0.1:40123/mcp */
  url: URL;
  /** Headers of every request, in order, as the server got them. */
  requests: IncomingHttpHeaders[];
  close(): Promise<void>;
}

/** The SDK's McpServer on its StreamableHTTPServerTransport, stateful (a session per
 * initialize) or stateless (a server per request), answering in JSON or over SSE. */
export async function startSdkHttpServer(options: { stateful: boolean; json: boolean }): Promise<SdkHttpServer> {
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const requests: IncomingHttpHeaders[] = [];
  const http = createServer(async (req, res) => {
    requests.push({ ...req.headers });
    if (req.url !== '/mcp') return void res.writeHead(404).end();
    const id = req.headers['mcp-session-id'];
    if (typeof id === 'string') {
      const transport = sessions.get(id);
      if (!transport) return void res.writeHead(404, { 'content-type': 'application/json' }).end('{"jsonrpc":"2.0","error":{"code":-32001,"message":"Session not found"},"id":null}');
      return transport.handleRequest(req, res);
    }
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: options.stateful ? () => randomUUID() : undefined,
      enableJsonResponse: options.json,
      onsessioninitialized: (sid) => void sessions.set(sid, transport),
      onsessionclosed: (sid) => void sessions.delete(sid),
    });
    if (!options.stateful) res.on('close', () => void transport.close());
    await buildServer().connect(transport);
    await transport.handleRequest(req, res);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    url: new URL(`http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`),
    requests,
    close: async () => {
      for (const transport of sessions.values()) await transport.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

function buildServer(): McpServer {
  const server = new McpServer({ name: 'sdk-http-test', version: '1.0.0' }, { capabilities: { logging: {} } });
  server.registerTool('echo', { description: 'says it back', inputSchema: { text: z.string() } }, async ({ text }) => ({
    content: [{ type: 'text', text }],
  }));
  server.registerTool('big', { description: 'a long text', inputSchema: { kb: z.number() } }, async ({ kb }) => ({
    content: [{ type: 'text', text: 'abcdefghij'.repeat(kb * 1024 / 10) }],
  }));
  // Server-initiated traffic: a log line on this request's stream, a list_changed on the
  // session's GET stream (it relates to no request).
  server.registerTool('notify', { description: 'talks back' }, async (extra) => {
    await extra.sendNotification({ method: 'notifications/message', params: { level: 'info', data: 'working on it' } });
    server.sendToolListChanged();
    return { content: [{ type: 'text', text: 'done' }] };
  });
  // A request to the client on the call's own stream: its answer comes back in a POST body.
  server.registerTool('ask', { description: 'asks the model' }, async (extra) => {
    const params = { messages: [{ role: 'user' as const, content: { type: 'text' as const, text: 'which colour?' } }], maxTokens: 10 };
    const answer = await extra.sendRequest({ method: 'sampling/createMessage', params }, CreateMessageResultSchema);
    return { content: [{ type: 'text', text: answer.content.type === 'text' ? answer.content.text : '?' }] };
  });
  // Never answers on its own: for a call still open when the session ends.
  server.registerTool('wait', { description: 'waits for cancellation' }, async (extra) => {
    await new Promise((resolve) => extra.signal.addEventListener('abort', resolve));
    return { content: [{ type: 'text', text: 'cancelled' }] };
  });
  return server;
}
