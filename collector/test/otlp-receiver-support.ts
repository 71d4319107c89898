import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { startOtlpReceiver, type OtlpReceiver, type OtlpReceiverOptions } from '../src/otlp-receiver/index.js';
import { ProtobufReader } from '../src/otlp-receiver/protobuf-reader.js';
import { MemoryRecordTransport } from '../../test/support/memory-transport.js';

export const TOKEN = 'otlp-test-token-5f0c2a9e41d7b3c8';
/** Fake credentials of the shapes the redaction rules know (not real keys). */
export const AWS_KEY = 'AKIAZ7QXYWVUTSRQPONM';
export const GITHUB_TOKEN = 'ghp_R4nd0mT0k3nV4lu3F0rT3st1ngXyZ0123456';

const open: OtlpReceiver[] = [];

/** A receiver on a free loopback port writing into a memory transport. */
export async function memoryReceiver(options: Partial<OtlpReceiverOptions> = {}) {
  const transport = new MemoryRecordTransport();
  const receiver = await startOtlpReceiver({ token: TOKEN, transport, port: 0, ...options });
  open.push(receiver);
  return { receiver, transport };
}

export async function closeReceivers(): Promise<void> {
  await Promise.all(open.splice(0).map((r) => r.close(1000)));
}

/** A real SDK tracer provider whose finished spans are kept in memory. */
export function sdkTracer(serviceName = 'weather-mcp', resource: Record<string, string | string[]> = {}) {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName, 'service.version': '2.0.1', ...resource }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  return { memory, provider, tracer: provider.getTracer('mcp-python-like-instrumentation', '0.9.0') };
}

/**
 * What a third-party MCP instrumentation emits: a `tools/call` SERVER span with a session,
 * an event and a link, a failing child INTERNAL span, and a CLIENT span without a session
 * in a trace of its own.
 */
export function emitMcpSpans(tracer: ReturnType<typeof sdkTracer>['tracer'], extra: Record<string, string> = {}): void {
  const linked = tracer.startSpan('upstream http');
  linked.end();
  const server = tracer.startSpan('tools/call get-weather', {
    kind: SpanKind.SERVER,
    attributes: {
      'mcp.method.name': 'tools/call',
      'mcp.session.id': 'sess-42',
      'gen_ai.tool.name': 'get-weather',
      'gen_ai.operation.name': 'execute_tool',
      'jsonrpc.request.id': '7',
      'client.port': 51234,
      'sampling.ratio': 0.5,
      'cache.hit': true,
      'mcp.tags': ['weather', 'forecast'],
      'retry.delays': [100, 250],
      ...extra,
    },
    links: [{ context: linked.spanContext(), attributes: { 'link.reason': 'caused-by' } }],
  });
  server.addEvent('cache.miss', { 'cache.key.length': 12 });
  const child = tracer.startSpan('db.query', { kind: SpanKind.INTERNAL }, trace.setSpan(context.active(), server));
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'timeout after 3 retries' });
  child.end();
  server.setStatus({ code: SpanStatusCode.OK });
  server.end();
  const client = tracer.startSpan('notifications/progress', { kind: SpanKind.CLIENT, attributes: { 'mcp.method.name': 'notifications/progress' } });
  client.end();
}

/** Exports spans with the real OTLP/HTTP JSON exporter. */
export async function exportJson(url: string, spans: ReadableSpan[], options: { token?: string; gzip?: boolean } = {}): Promise<ExportResult> {
  const exporter = new OTLPTraceExporter({
    url,
    headers: options.token === undefined ? { Authorization: `Bearer ${TOKEN}` } : options.token ? { Authorization: `Bearer ${options.token}` } : {},
    ...(options.gzip ? { compression: 'gzip' as NonNullable<ConstructorParameters<typeof OTLPTraceExporter>[0]>['compression'] } : {}),
    timeoutMillis: 20_000,
  });
  try {
    return await new Promise<ExportResult>((resolve) => exporter.export(spans, resolve));
  } finally {
    await exporter.shutdown();
  }
}

export const exportSucceeded = (r: ExportResult) => r.code === ExportResultCode.SUCCESS;

export interface PostResult {
  status: number;
  headers: Headers;
  body: Buffer;
}

export async function post(url: string, body: Uint8Array | string, headers: Record<string, string>): Promise<PostResult> {
  const res = await fetch(url, { method: 'POST', body, headers });
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

export const auth = { authorization: `Bearer ${TOKEN}` };

/** ExportTraceServiceResponse.partial_success from a protobuf answer. */
export function decodeProtobufPartialSuccess(body: Uint8Array): { rejectedSpans: number; errorMessage: string } | undefined {
  const r = new ProtobufReader(body);
  let out: { rejectedSpans: number; errorMessage: string } | undefined;
  while (!r.done) {
    const { field, wireType } = r.tag();
    if (field !== 1) {
      r.skip(wireType);
      continue;
    }
    const p = r.message();
    out = { rejectedSpans: 0, errorMessage: '' };
    while (!p.done) {
      const t = p.tag();
      if (t.field === 1) out.rejectedSpans = p.uint();
      else if (t.field === 2) out.errorMessage = p.string();
      else p.skip(t.wireType);
    }
  }
  return out;
}

/** google.rpc.Status from a protobuf error answer. */
export function decodeProtobufStatus(body: Uint8Array): { code: number; message: string } {
  const r = new ProtobufReader(body);
  const out = { code: 0, message: '' };
  while (!r.done) {
    const { field, wireType } = r.tag();
    if (field === 1) out.code = r.uint();
    else if (field === 2) out.message = r.string();
    else r.skip(wireType);
  }
  return out;
}
