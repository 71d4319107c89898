import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { serviceNameFromCommand } from '@toolwatch/collector';
import { Semconv, SpanRecord, Toolwatch } from '@toolwatch/schemas';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { waitFor } from './support/webhook-receiver.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(root, 'bin/toolwatch.js');
const PYTHON_SERVER = join(root, 'test/fixtures/echo_server.py');
const dir = mkdtempSync(join(tmpdir(), 'tw-proxy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const spans = (file: string): SpanRecord[] =>
  existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => SpanRecord.parse(JSON.parse(l))) : [];

async function proxied(file: string, command: string[], extraEnv: Record<string, string> = {}) {
  let stderr = '';
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BIN, 'proxy', '--', ...command],
    env: { PATH: process.env.PATH!, HOME: dir, TOOLWATCH_EXPORTER: `jsonl:${file}`, ...extraEnv },
    stderr: 'pipe',
  });
  transport.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const client = new Client({ name: 'proxy-test', version: '1.0.0' });
  await client.connect(transport);
  return { client, stderr: () => stderr };
}

describe('toolwatch proxy -- <stdio server>', () => {
  it('observes a Python MCP server: answers unchanged, one span per request, errors typed', async () => {
    const file = join(dir, 'python.jsonl');
    const { client, stderr } = await proxied(file, ['python3', PYTHON_SERVER]);
    const tools = await client.listTools();
    expect(tools.tools.map((t) => t.name)).toEqual(['echo', 'shout']);
    expect(await client.callTool({ name: 'shout', arguments: { text: 'quiet please' } })).toMatchObject({ content: [{ type: 'text', text: 'QUIET PLEASE' }] });
    expect((await client.callTool({ name: 'nope', arguments: {} })).isError).toBe(true);
    await expect(client.request({ method: 'no/such-method', params: {} }, z.object({}))).rejects.toThrow(/Method not found/);
    await client.close();

    await waitFor(() => spans(file).some((s) => s.SpanName === 'no/such-method'), 15_000, 'proxy spans');
    const records = spans(file);
    expect(records.map((r) => r.SpanName)).toEqual(
      expect.arrayContaining(['initialize', 'notifications/initialized', 'tools/list', 'tools/call shout', 'tools/call nope', 'no/such-method']),
    );
    expect(records.every((r) => r.ServiceName === 'echo_server')).toBe(true);
    expect(records.filter((r) => r.SpanKind !== 'Server').map((r) => r.SpanName)).toEqual(['mcp.session']);
    const shout = records.find((r) => r.SpanName === 'tools/call shout')!;
    expect(shout.SpanAttributes).toMatchObject({ [Semconv.NETWORK_TRANSPORT]: 'pipe', [Toolwatch.CLIENT_NAME]: 'proxy-test', [Toolwatch.ARGUMENTS_KEYS]: '["text"]' });
    expect(Number(shout.SpanAttributes[Toolwatch.RESPONSE_BYTES])).toBeGreaterThan(0);
    expect(records.find((r) => r.SpanName === 'tools/call nope')!.SpanAttributes[Semconv.ERROR_TYPE]).toBe('tool_error');
    expect(records.find((r) => r.SpanName === 'no/such-method')!.SpanAttributes[Semconv.ERROR_TYPE]).toBe('-32601');
    expect(readFileSync(file, 'utf8')).not.toContain('quiet please');
    expect(stderr()).toBe('');
  });

  it('observes an npm reference server (server-memory) the same way', async () => {
    const file = join(dir, 'memory.jsonl');
    const server = join(root, 'node_modules/@modelcontextprotocol/server-memory/dist/index.js');
    const { client } = await proxied(file, [process.execPath, server], { MEMORY_FILE_PATH: join(dir, 'memory.json') });
    await client.callTool({ name: 'create_entities', arguments: { entities: [{ name: 'Lin', entityType: 'person', observations: [] }] } });
    await client.callTool({ name: 'read_graph', arguments: {} });
    await client.close();
    await waitFor(() => spans(file).filter((s) => s.SpanName.startsWith('tools/call')).length === 2, 15_000, 'memory spans');
    expect(spans(file).filter((s) => s.SpanName.startsWith('tools/call')).map((s) => s.SpanName)).toEqual(['tools/call create_entities', 'tools/call read_graph']);
  });

  it("exits with the server's exit code, and explains a missing command", async () => {
    const run = promisify(execFile);
    const env = { PATH: process.env.PATH!, TOOLWATCH_EXPORTER: `jsonl:${join(dir, 'exit.jsonl')}` };
    const failed = await run(process.execPath, [BIN, 'proxy', '--', 'python3', '-c', 'import sys; sys.exit(3)'], { env }).catch((e: { code: number }) => e);
    expect((failed as { code: number }).code).toBe(3);
    const usage = await run(process.execPath, [BIN, 'proxy'], { env }).catch((e: { code: number; stderr: string }) => e);
    expect((usage as { code: number }).code).toBe(2);
    expect((usage as { stderr: string }).stderr).toMatch(/no server command/);
  });

  it('names the service after the server, not the interpreter', () => {
    expect(serviceNameFromCommand(['python3', '-u', 'servers/weather.py'])).toBe('weather');
    expect(serviceNameFromCommand(['npx', '-y', '@acme/mcp-notes'])).toBe('mcp-notes');
    expect(serviceNameFromCommand(['/usr/local/bin/my-server', '--port', '1'])).toBe('my-server');
  });
});
