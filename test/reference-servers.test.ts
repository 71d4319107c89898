import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Semconv, SpanRecord, Toolwatch } from '@toolwatch/schemas';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { waitFor } from './support/webhook-receiver.js';

/**
 * The npm reference servers, run unmodified under `node --import toolwatch/register`,
 * driven by the SDK's real client. Spans go to a JSONL file (TOOLWATCH_EXPORTER=jsonl:…).
 */
const root = fileURLToPath(new URL('..', import.meta.url));
const REGISTER = join(root, 'dist/register.js'); // built by `npm test` before vitest runs
const serverBin = (name: string) => join(root, 'node_modules/@modelcontextprotocol', name, 'dist/index.js');
const FAKE_GITHUB_TOKEN = 'ghp_Zx9Q2wE4rT6yU8iO0pA1sD3fG5hJ7kL9zX2c';
const dir = mkdtempSync(join(tmpdir(), 'tw-reference-'));

function readSpans(file: string): SpanRecord[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => SpanRecord.parse(JSON.parse(line)));
}
const calls = (spans: SpanRecord[], tool?: string) =>
  spans.filter((s) => s.SpanAttributes[Semconv.MCP_METHOD_NAME] === 'tools/call' && (!tool || s.SpanAttributes[Semconv.GEN_AI_TOOL_NAME] === tool));

function env(file: string, extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: process.env.PATH!, HOME: dir, TOOLWATCH_EXPORTER: `jsonl:${file}`, ...extra };
}

async function stdioSession(name: string, args: string[], file: string, extraEnv: Record<string, string> = {}) {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: ['--import', REGISTER, serverBin(name), ...args],
    env: env(file, extraEnv),
    stderr: 'pipe',
  });
  const client = new Client({ name: 'reference-test', version: '1.0.0' });
  await client.connect(transport);
  return { client, close: () => client.close() };
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('reference servers, unmodified, under node --import toolwatch/register', () => {
  it('server-filesystem over stdio: one span per request, errors typed, file contents nowhere', async () => {
    const file = join(dir, 'filesystem.jsonl');
    const allowed = join(dir, 'allowed');
    mkdirSync(allowed);
    writeFileSync(join(allowed, 'notes.txt'), `deploy key ${FAKE_GITHUB_TOKEN}\n`);
    const { client, close } = await stdioSession('server-filesystem', [allowed], file);
    const tools = await client.listTools();
    const read = await client.callTool({ name: 'read_text_file', arguments: { path: join(allowed, 'notes.txt') } });
    expect(JSON.stringify(read)).toContain(FAKE_GITHUB_TOKEN); // it really went through
    const outside = await client.callTool({ name: 'read_text_file', arguments: { path: '/etc/passwd' } });
    expect(outside.isError).toBe(true);
    const unknown = await client.callTool({ name: 'no_such_tool', arguments: {} });
    expect(unknown.isError).toBe(true);
    const invalid = await client.callTool({ name: 'read_text_file', arguments: { path: 42 } });
    expect(invalid.isError).toBe(true);
    await expect(client.request({ method: 'no/such-method', params: {} }, z.object({}))).rejects.toThrow();
    await close();

    await waitFor(() => calls(readSpans(file)).length >= 4, 15_000, 'filesystem spans');
    const spans = readSpans(file);
    expect(calls(spans)).toHaveLength(4);
    expect(calls(spans)[3]!.SpanAttributes[Semconv.ERROR_TYPE]).toBe('tool_error'); // input validation
    const list = spans.find((s) => s.SpanName === 'tools/list')!;
    expect(Object.keys(JSON.parse(list.SpanAttributes[Toolwatch.TOOLS_DEFINITIONS]!)).sort()).toEqual(tools.tools.map((t) => t.name).sort());
    const [ok, denied, missing] = calls(spans);
    expect(ok!.SpanName).toBe('tools/call read_text_file');
    expect(ok!.SpanAttributes[Semconv.ERROR_TYPE]).toBeUndefined();
    expect(JSON.parse(ok!.SpanAttributes[Toolwatch.RESULT_FINDINGS]!)).toHaveProperty('github-token');
    expect(denied!.SpanAttributes[Semconv.ERROR_TYPE]).toBe('tool_error');
    expect(missing!.SpanAttributes[Semconv.ERROR_TYPE]).toBe('tool_error');
    const method = spans.find((s) => s.SpanName === 'no/such-method')!;
    expect(method.SpanAttributes[Semconv.ERROR_TYPE]).toBe('-32601');
    for (const s of spans) {
      expect(s.SpanKind === 'Server' || s.SpanKind === 'Client').toBe(true);
      expect(s.SpanAttributes[Semconv.NETWORK_TRANSPORT]).toBe('pipe');
      expect(s.SpanAttributes[Toolwatch.CLIENT_NAME]).toBe('reference-test');
      expect(s.ServiceName).toBe('secure-filesystem-server');
    }
    expect(readFileSync(file, 'utf8')).not.toContain(FAKE_GITHUB_TOKEN);
    expect(readFileSync(file, 'utf8')).not.toContain('deploy key');
  });

  it('server-memory over stdio', async () => {
    const file = join(dir, 'memory.jsonl');
    const { client, close } = await stdioSession('server-memory', [], file, { MEMORY_FILE_PATH: join(dir, 'memory.json') });
    await client.callTool({ name: 'create_entities', arguments: { entities: [{ name: 'Ada', entityType: 'person', observations: ['wrote notes'] }] } });
    await client.callTool({ name: 'search_nodes', arguments: { query: 'Ada' } });
    await client.callTool({ name: 'read_graph', arguments: {} });
    await close();
    await waitFor(() => calls(readSpans(file)).length >= 3, 15_000, 'memory spans');
    const spans = readSpans(file);
    expect(calls(spans).map((s) => s.SpanAttributes[Semconv.GEN_AI_TOOL_NAME])).toEqual(['create_entities', 'search_nodes', 'read_graph']);
    const keys = new Set(spans.map((s) => s.SpanAttributes[Toolwatch.SESSION_KEY]));
    expect(keys.size).toBe(1);
    expect(spans[0]!.SpanAttributes[Toolwatch.SESSION_KEY_SOURCE]).toBe('generated');
    expect(JSON.parse(calls(spans)[0]!.SpanAttributes[Toolwatch.ARGUMENTS_KEYS]!)).toEqual(['entities']);
  });

  it('server-everything over stdio: prompts, resources, and a secret in its environment stays in it', async () => {
    const file = join(dir, 'everything-stdio.jsonl');
    const { client, close } = await stdioSession('server-everything', ['stdio'], file, { LEAKY_TOKEN: FAKE_GITHUB_TOKEN });
    await client.callTool({ name: 'echo', arguments: { message: 'hello' } });
    const envResult = await client.callTool({ name: 'get-env', arguments: {} });
    expect(JSON.stringify(envResult)).toContain(FAKE_GITHUB_TOKEN);
    const prompts = await client.listPrompts();
    expect(prompts.prompts.length).toBeGreaterThan(0);
    const resources = await client.listResources();
    await client.readResource({ uri: resources.resources[0]!.uri });
    await close();
    await waitFor(() => readSpans(file).some((s) => s.SpanName === 'resources/read'), 15_000, 'everything spans');
    const spans = readSpans(file);
    expect(spans.map((s) => s.SpanName)).toEqual(expect.arrayContaining(['tools/call echo', 'tools/call get-env', 'prompts/list', 'resources/list', 'resources/read']));
    expect(spans.find((s) => s.SpanName === 'resources/read')!.SpanAttributes[Semconv.MCP_RESOURCE_URI]).toBe(resources.resources[0]!.uri.split('?')[0]);
    expect(JSON.parse(calls(spans, 'get-env')[0]!.SpanAttributes[Toolwatch.RESULT_FINDINGS]!)).toHaveProperty('github-token');
    expect(readFileSync(file, 'utf8')).not.toContain(FAKE_GITHUB_TOKEN);
  });

  it('server-everything over Streamable HTTP: the Mcp-Session-Id is the session key', async () => {
    const file = join(dir, 'everything-http.jsonl');
    const { port, child } = await everythingOverHttp('streamableHttp', file, 'listening');
    try {
      const client = new Client({ name: 'http-test', version: '1.0.0' });
      const transport = new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`));
      await client.connect(transport);
      await client.callTool({ name: 'get-sum', arguments: { a: 2, b: 3 } });
      await client.callTool({ name: 'echo', arguments: { message: 'over http' } });
      const sessionId = transport.sessionId!;
      expect(sessionId).toBeTruthy();
      await client.close();
      await waitFor(() => calls(readSpans(file)).length >= 2, 15_000, 'http spans');
      const spans = calls(readSpans(file));
      for (const s of spans) {
        expect(s.SpanAttributes).toMatchObject({
          [Semconv.MCP_SESSION_ID]: sessionId,
          [Toolwatch.SESSION_KEY]: sessionId,
          [Toolwatch.SESSION_KEY_SOURCE]: 'mcp-session-id',
          [Semconv.NETWORK_TRANSPORT]: 'tcp',
          [Semconv.NETWORK_PROTOCOL_NAME]: 'http',
          [Toolwatch.CLIENT_NAME]: 'http-test',
        });
      }
    } finally {
      child.kill('SIGTERM');
    }
  });
});

describe('server-everything over the HTTP+SSE transport (protocol 2024-11-05)', () => {
  it('spans carry the SSE session id and http', async () => {
    const file = join(dir, 'everything-sse.jsonl');
    const { port, child } = await everythingOverHttp('sse', file, 'running on port');
    try {
      const client = new Client({ name: 'sse-test', version: '1.0.0' });
      const transport = new SSEClientTransport(new URL(`http://127.0.0.1:${port}/sse`));
      await client.connect(transport);
      await client.callTool({ name: 'echo', arguments: { message: 'over sse' } });
      await client.close();
      await waitFor(() => calls(readSpans(file)).length >= 1, 15_000, 'sse spans');
      const [echo] = calls(readSpans(file));
      expect(echo!.SpanAttributes).toMatchObject({
        [Semconv.GEN_AI_TOOL_NAME]: 'echo',
        [Semconv.NETWORK_TRANSPORT]: 'tcp',
        [Semconv.NETWORK_PROTOCOL_NAME]: 'http',
        [Toolwatch.SESSION_KEY_SOURCE]: 'mcp-session-id',
        [Toolwatch.CLIENT_NAME]: 'sse-test',
      });
      expect(echo!.SpanAttributes[Semconv.MCP_SESSION_ID]).toMatch(/^[0-9a-f-]{36}$/);
    } finally {
      child.kill('SIGTERM');
    }
  });
});

/** server-everything on a free loopback port under register, once it says it listens. */
async function everythingOverHttp(mode: 'streamableHttp' | 'sse', file: string, ready: string) {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', REGISTER, serverBin('server-everything'), mode], {
    env: env(file, { PORT: String(port) }),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  await waitFor(() => stderr.includes(ready), 15_000, `server-everything (${mode}) to listen`);
  return { port, child };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
