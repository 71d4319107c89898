import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import {
  createInstrumentation,
  createOtlpExporter,
  FanOutExporter,
  JsonlFileTransport,
  KafkaTransport,
  redactValue,
  scanValue,
  SpanRecordExporter,
} from '@toolwatch/collector';
import { Semconv, SpanRecord, Toolwatch } from '@toolwatch/schemas';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { z } from 'zod';
import { corpus, leaks, type Case } from '../collector/test/redaction-corpus-data.js';
import { readTopic, uniqueTopic } from './support/kafka-topic.js';

/**
 * The planted corpus (secrets and PII of every kind, in arguments, results, nested JSON
 * and base64) through a real instrumented server, with redacted previews switched on for
 * every tool — the most a span ever carries — to all three exporters at once. A leak is
 * a planted value in any byte any exporter wrote.
 */
const CASES = corpus();
const dir = mkdtempSync(join(tmpdir(), 'tw-corpus-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const resultOf = (c: Case) => (c.message as { result: Record<string, unknown> }).result;
const argumentsOf = (c: Case) => (c.message as { params: { arguments: Record<string, unknown> } }).params.arguments;

function corpusServer(): McpServer {
  const server = new McpServer({ name: 'corpus', version: '1' });
  server.registerTool('run_query', { description: 'runs a query', inputSchema: { args: z.record(z.string(), z.unknown()) } }, async () => ({
    content: [{ type: 'text', text: 'ok' }],
  }));
  server.registerTool('fetch_case', { description: 'returns a stored result', inputSchema: { index: z.number() } }, async ({ index }) => {
    const result = resultOf(CASES[index]!);
    return { content: (result.content as never) ?? [{ type: 'text', text: 'see structured content' }], structuredContent: result.structuredContent as never };
  });
  server.registerResource('case', new ResourceTemplate('corpus://{index}', { list: undefined }), {}, async (uri, { index }) => ({
    contents: (resultOf(CASES[Number(index)]!).contents as { blob: string; mimeType: string }[]).map((c) => ({ uri: uri.href, mimeType: c.mimeType, blob: c.blob })),
  }));
  return server;
}

async function otlpSink() {
  const bodies: Buffer[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push(Buffer.concat(chunks));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`, bodies, close: () => new Promise((r) => server.close(r)) };
}

describe('planted secrets and PII through every exporter', () => {
  it(`finds all ${CASES.length} plants and leaks none into JSONL, Kafka or OTLP`, async () => {
    const brokers = inject('kafkaBrokers');
    const topic = uniqueTopic('corpus');
    const jsonl = join(dir, 'spans.jsonl');
    const otlp = await otlpSink();
    const kafkaRecords = new SpanRecordExporter(new KafkaTransport({ brokers, topic }));
    const instrumentation = createInstrumentation({
      exporter: new FanOutExporter([
        new SpanRecordExporter(new JsonlFileTransport({ path: jsonl, fsync: 'never' })),
        kafkaRecords,
        createOtlpExporter({ url: otlp.url, compression: 'none' }, {}),
      ]),
      redaction: { scanValue, redactValue },
      capture: { tools: { '*': { arguments: true, result: true } }, maxChars: 4096 },
      scheduledDelayMillis: 20,
    });
    const server = instrumentation.instrument(corpusServer());
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    const client = new Client({ name: 'corpus-client', version: '1' });
    await client.connect(clientSide);

    for (const [index, c] of CASES.entries()) {
      const meta = { _meta: { case: String(index) } }; // not a trace context: ignored
      if (c.placement === 'argument') await client.callTool({ name: 'run_query', arguments: { args: argumentsOf(c) }, ...meta });
      else if (c.placement === 'base64') await client.readResource({ uri: `corpus://${index}` });
      else await client.callTool({ name: 'fetch_case', arguments: { index } });
    }
    await client.close();
    await instrumentation.shutdown();

    const records = readFileSync(jsonl, 'utf8').split('\n').filter(Boolean).map((l) => SpanRecord.parse(JSON.parse(l)));
    const work = records.filter((r) => ['tools/call', 'resources/read'].includes(r.SpanAttributes[Semconv.MCP_METHOD_NAME]!));
    expect(work).toHaveLength(CASES.length);
    const kafka = await readTopic(brokers, topic, records.length);
    const outputs = [readFileSync(jsonl, 'utf8'), ...kafka.map((m) => m.value), ...otlp.bodies.map((b) => b.toString('latin1'))];
    expect(otlp.bodies.length).toBeGreaterThan(0);

    const table: Record<string, { planted: number; found: number; leaked: number }> = {};
    // Spans end out of order across the deferred work: match them by request id order.
    const byRequest = [...work].sort((a, b) => Number(a.SpanAttributes[Semconv.JSONRPC_REQUEST_ID]) - Number(b.SpanAttributes[Semconv.JSONRPC_REQUEST_ID]));
    for (const [index, c] of CASES.entries()) {
      const row = (table[c.plant.kind] ??= { planted: 0, found: 0, leaked: 0 });
      row.planted++;
      const span = byRequest[index]!;
      const findings = {
        ...JSON.parse(span.SpanAttributes[Toolwatch.ARGUMENTS_FINDINGS] ?? '{}'),
        ...JSON.parse(span.SpanAttributes[Toolwatch.RESULT_FINDINGS] ?? '{}'),
      } as Record<string, number>;
      if (c.plant.rules.some((rule) => (findings[rule] ?? 0) > 0)) row.found++;
      if (leaks(c.plant, outputs)) row.leaked++;
    }
    const totals = Object.values(table).reduce((t, r) => ({ planted: t.planted + r.planted, found: t.found + r.found, leaked: t.leaked + r.leaked }), { planted: 0, found: 0, leaked: 0 });
    if (process.env.REDACTION_CORPUS_REPORT) console.table(table);
    expect(totals.planted).toBeGreaterThanOrEqual(100);
    expect(totals).toEqual({ planted: CASES.length, found: CASES.length, leaked: 0 });
    // The previews were really on: redacted values, not absent ones, went out.
    expect(work.filter((r) => r.SpanAttributes[Semconv.GEN_AI_TOOL_CALL_RESULT]?.includes('[REDACTED:')).length).toBeGreaterThan(50);
    await otlp.close();
  });
});
