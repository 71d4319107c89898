import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { createInstrumentation, type Instrumentation, type KeyedRecord, type RecordTransport } from '@toolwatch/collector';
import { z } from 'zod';

/** An inner transport that is up, down (rejects at once) or hanging (never answers until
 * told), like a Kafka cluster that is reachable, refused or frozen. */
export class ScriptedTransport implements RecordTransport {
  readonly name = 'scripted';
  mode: 'up' | 'down' | 'hang' = 'up';
  readonly delivered: KeyedRecord[] = [];
  sends = 0;
  closed = false;
  private hung: Array<{ records: KeyedRecord[]; resolve: () => void; reject: (err: Error) => void }> = [];

  async send(records: KeyedRecord[]): Promise<void> {
    this.sends++;
    if (this.mode === 'down') throw new Error('connection refused');
    if (this.mode === 'hang') return new Promise((resolve, reject) => this.hung.push({ records, resolve, reject }));
    this.delivered.push(...records);
  }

  /** Answers the sends that hung: delivered late, or failed late. */
  settleHung(ok: boolean): number {
    const hung = this.hung.splice(0);
    for (const h of hung) {
      if (ok) {
        this.delivered.push(...h.records);
        h.resolve();
      } else h.reject(new Error('request timed out'));
    }
    return hung.length;
  }

  values(): string[] {
    return this.delivered.map((r) => r.value);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

export const makeRecords = (from: number, count: number, pad = ''): KeyedRecord[] =>
  Array.from({ length: count }, (_, i) => ({ key: `session-${(from + i) % 3}`, value: JSON.stringify({ n: from + i, pad }) }));

export const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => JSON.stringify({ n: from + i, pad: '' }));

export const tempDir = (name: string) => mkdtempSync(join(tmpdir(), `toolwatch-${name}-`));

/** A real McpServer with an `echo` tool, instrumented, connected to an SDK client. */
export async function connectInstrumented(instrumentation: Instrumentation, clientName = 'exporter-test'): Promise<Client> {
  const server = instrumentation.instrument(new McpServer({ name: 'exporter-test-server', version: '1.0.0' }));
  server.registerTool('echo', { description: 'Echo', inputSchema: { text: z.string() } }, async ({ text }) => ({ content: [{ type: 'text', text }] }));
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: clientName, version: '1.0.0' });
  await client.connect(clientSide);
  return client;
}

export const instrumentation = (exporter: SpanExporter) => createInstrumentation({ exporter, scheduledDelayMillis: 50 });

export async function waitUntil(condition: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
