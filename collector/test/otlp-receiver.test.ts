import { gzipSync } from 'node:zlib';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { SpanRecord, Toolwatch, type SpanRecord as SpanRecordType } from '@toolwatch/schemas';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { collectorCommand } from '../src/otlp-receiver/index.js';
import { canonicalHash } from '../src/summarize.js';
import { toSpanRecord } from '../src/to-span-record.js';
import { readTopic, uniqueTopic } from '../../test/support/kafka-topic.js';
import type { MemoryRecordTransport } from '../../test/support/memory-transport.js';
import {
  auth,
  AWS_KEY,
  closeReceivers,
  decodeProtobufPartialSuccess,
  emitMcpSpans,
  exportJson,
  exportSucceeded,
  GITHUB_TOKEN,
  memoryReceiver,
  post,
  sdkTracer,
  TOKEN,
} from './otlp-receiver-support.js';

afterEach(closeReceivers);

const SESSION_KEY = Toolwatch.SESSION_KEY;
const KEY_SOURCE = Toolwatch.SESSION_KEY_SOURCE;

function sdkSpans(extra: Record<string, string> = {}): ReadableSpan[] {
  const { tracer, memory } = sdkTracer();
  emitMcpSpans(tracer, extra);
  const spans = memory.getFinishedSpans();
  expect(spans).toHaveLength(4);
  return [...spans];
}

/**
 * Every span arrived exactly once, as the record toolwatch's in-process exporter makes of
 * the same SDK span (an independent conversion), plus the session key the receiver adds.
 */
function expectRecordsOf(spans: ReadableSpan[], transport: MemoryRecordTransport): SpanRecordType[] {
  const records = transport.records();
  expect(records.map((r) => r.SpanId).sort()).toEqual(spans.map((s) => s.spanContext().spanId).sort());
  for (const span of spans) {
    const got = records.find((r) => r.SpanId === span.spanContext().spanId)!;
    const want = toSpanRecord(span);
    const { [SESSION_KEY]: key, [KEY_SOURCE]: source, ...attributes } = got.SpanAttributes;
    expect({ ...got, SpanAttributes: attributes }).toEqual(want);
    if (want.SpanAttributes['mcp.session.id']) {
      expect([key, source]).toEqual(['sess-42', 'mcp-session-id']);
    } else {
      expect(key).toMatch(/^trace-[0-9a-f]{32}$/);
      expect(source).toBe('generated');
    }
  }
  // Kafka key = session key, so a session stays on one partition.
  expect(transport.sent.map((m) => m.key)).toEqual(records.map((r) => r.SpanAttributes[SESSION_KEY]));
  return records;
}

describe('OTLP/HTTP receiver: spans from OpenTelemetry SDKs', () => {
  it('writes every span from the real OTLP/HTTP JSON exporter once, as a valid span record', async () => {
    const { receiver, transport } = await memoryReceiver();
    const spans = sdkSpans();
    expect(exportSucceeded(await exportJson(receiver.url, spans))).toBe(true);
    const records = expectRecordsOf(spans, transport);

    const server = records.find((r) => r.SpanKind === 'Server')!;
    expect(server).toMatchObject({
      SpanName: 'tools/call get-weather',
      ServiceName: 'weather-mcp',
      ScopeName: 'mcp-python-like-instrumentation',
      ScopeVersion: '0.9.0',
      StatusCode: 'Ok',
    });
    expect(server.SpanAttributes).toMatchObject({ 'client.port': '51234', 'sampling.ratio': '0.5', 'cache.hit': 'true', 'mcp.tags': '["weather","forecast"]' });
    const child = records.find((r) => r.SpanName === 'db.query')!;
    expect(child).toMatchObject({ ParentSpanId: server.SpanId, TraceId: server.TraceId, StatusCode: 'Error', StatusMessage: 'timeout after 3 retries' });
    // No session id: one key per (service, trace), so the child and a span of another
    // trace differ.
    const client = records.find((r) => r.SpanKind === 'Client')!;
    expect(child.SpanAttributes[SESSION_KEY]).not.toBe(client.SpanAttributes[SESSION_KEY]);
    expect(receiver.stats).toMatchObject({ acceptedSpans: 4, rejectedSpans: 0 });
  });

  it('decodes protobuf bodies from the otlp-transformer serializer into the same records as JSON', async () => {
    const spans = sdkSpans();
    const json = await memoryReceiver();
    const proto = await memoryReceiver();
    expect(exportSucceeded(await exportJson(json.receiver.url, spans))).toBe(true);
    const res = await post(proto.receiver.url, ProtobufTraceSerializer.serializeRequest(spans)!, { ...auth, 'content-type': 'application/x-protobuf' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-protobuf');
    expect(decodeProtobufPartialSuccess(res.body)).toBeUndefined(); // full success: unset
    expectRecordsOf(spans, proto.transport);
    // Same session keys (stable hashes) and same records, whatever the encoding.
    const bySpan = (t: MemoryRecordTransport) => [...t.records()].sort((a, b) => a.SpanId.localeCompare(b.SpanId));
    expect(bySpan(proto.transport)).toEqual(bySpan(json.transport));
  });

  it('accepts gzip from the real exporter and gzipped protobuf, and refuses a gzip bomb', async () => {
    const { receiver, transport } = await memoryReceiver({ maxBodyBytes: 256 * 1024 });
    const spans = sdkSpans();
    expect(exportSucceeded(await exportJson(receiver.url, spans, { gzip: true }))).toBe(true);
    expectRecordsOf(spans, transport);

    const other = sdkSpans();
    const res = await post(receiver.url, gzipSync(ProtobufTraceSerializer.serializeRequest(other)!), {
      ...auth,
      'content-type': 'application/x-protobuf',
      'content-encoding': 'gzip',
    });
    expect(res.status).toBe(200);
    expect(transport.records()).toHaveLength(8);

    // 4 MiB of JSON whitespace is a few KiB gzipped: the cap holds after decompression too.
    const bomb = gzipSync(Buffer.concat([Buffer.from('{"resourceSpans":[]'), Buffer.alloc(4 * 1024 * 1024, ' '), Buffer.from('}')]));
    expect(bomb.length).toBeLessThan(256 * 1024);
    const big = await post(receiver.url, bomb, { ...auth, 'content-type': 'application/json', 'content-encoding': 'gzip' });
    expect(big.status).toBe(413);
  });

  it('rejects only the broken spans of a JSON batch, with the reasons in partialSuccess', async () => {
    const { receiver, transport } = await memoryReceiver();
    const spans = sdkSpans();
    const request = JSON.parse(Buffer.from(JsonTraceSerializer.serializeRequest(spans)!).toString()) as {
      resourceSpans: { scopeSpans: { spans: Record<string, unknown>[] }[] }[];
    };
    const wire = request.resourceSpans[0]!.scopeSpans[0]!.spans;
    expect(wire).toHaveLength(4);
    wire[1]!.endTimeUnixNano = (BigInt(wire[1]!.startTimeUnixNano as string) - 1000n).toString();
    wire[2]!.traceId = `zz${'ab'.repeat(15)}`;
    wire[3]!.spanId = '0000000000000000';
    // An attribute key past the schema's 256 characters; the reason must not quote it.
    wire.push({ ...wire[0]!, spanId: '1234567890abcdef', attributes: [{ key: `k-${AWS_KEY}-`.repeat(20), value: { stringValue: 'v' } }] });
    const res = await post(receiver.url, JSON.stringify(request), { ...auth, 'content-type': 'application/json' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    const body = JSON.parse(res.body.toString()) as { partialSuccess: { rejectedSpans: string; errorMessage: string } };
    expect(body.partialSuccess.rejectedSpans).toBe('4');
    expect(body.partialSuccess.errorMessage).toContain('resourceSpans[0].scopeSpans[0].spans[1]: end time before start time');
    expect(body.partialSuccess.errorMessage).toContain('spans[2]: traceId: expected hex');
    expect(body.partialSuccess.errorMessage).toContain('spans[3]: SpanId: expected 8 bytes, not all zero');
    expect(body.partialSuccess.errorMessage).toContain('spans[4]: SpanAttributes.[key]: invalid_key');
    expect(body.partialSuccess.errorMessage).not.toContain(AWS_KEY);
    expect(transport.records().map((r) => r.SpanId)).toEqual([wire[0]!.spanId]);
    expect(receiver.stats).toMatchObject({ acceptedSpans: 1, rejectedSpans: 4 });
  });

  it('rejects only the broken spans of a protobuf batch', async () => {
    const { receiver, transport } = await memoryReceiver();
    const [a, b, c, d] = sdkSpans();
    // The serializer reads these fields; everything else comes from the real span.
    const endsEarly = Object.create(b!, { endTime: { value: [b!.startTime[0] - 1, 0] } }) as ReadableSpan;
    const zeroTrace = Object.create(c!, {
      spanContext: { value: () => ({ ...c!.spanContext(), traceId: '0'.repeat(32) }) },
    }) as ReadableSpan;
    const res = await post(receiver.url, ProtobufTraceSerializer.serializeRequest([a!, endsEarly, zeroTrace, d!])!, {
      ...auth,
      'content-type': 'application/x-protobuf',
    });
    expect(res.status).toBe(200);
    const partial = decodeProtobufPartialSuccess(res.body)!;
    expect(partial.rejectedSpans).toBe(2);
    expect(partial.errorMessage).toMatch(/end time before start time/);
    expect(partial.errorMessage).toMatch(/TraceId: expected 16 bytes, not all zero/);
    expect(transport.records().map((r) => r.SpanId).sort()).toEqual([a!.spanContext().spanId, d!.spanContext().spanId].sort());
  });

  it('flattens structured values as otel_traces does: kvlists and arrays as JSON, exact int64, base64 bytes', async () => {
    const { transport, receiver } = await memoryReceiver();
    const span = {
      traceId: '5b8efff798038103d269b633813fc60c',
      spanId: 'eee19b7ec3c1b174',
      name: 'resources/read',
      kind: 'SPAN_KIND_SERVER',
      startTimeUnixNano: '1765000000123456789',
      endTimeUnixNano: 1765000000223456789n.toString(),
      attributes: [
        { key: 'big', value: { intValue: '9007199254740993' } },
        { key: 'neg', value: { intValue: -5 } },
        { key: 'ratio', value: { doubleValue: 1.25 } },
        { key: 'raw', value: { bytesValue: Buffer.from([0, 1, 2, 250]).toString('base64') } },
        { key: 'obj', value: { kvlistValue: { values: [{ key: 'a', value: { intValue: '1' } }, { key: 'b', value: { arrayValue: { values: [{ stringValue: 'x' }, { boolValue: true }] } } }] } } },
        { key: 'empty', value: {} },
        { key: 'gen_ai.tool.call.arguments', value: { kvlistValue: { values: [{ key: 'path', value: { stringValue: '/tmp/ünïcode' } }] } } },
      ],
      events: [{ timeUnixNano: '1765000000200000000', name: 'exception', attributes: [{ key: 'exception.type', value: { stringValue: 'TimeoutError' } }] }],
      status: { code: 'STATUS_CODE_ERROR', message: 'read failed' },
    };
    const body = { resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'files' } }] }, scopeSpans: [{ scope: { name: 'py-mcp' }, spans: [span] }] }] };
    const res = await post(receiver.url, JSON.stringify(body), { ...auth, 'content-type': 'application/json; charset=utf-8' });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body.toString())).toEqual({});
    const [record] = transport.records();
    expect(record).toMatchObject({
      Timestamp: '1765000000123456789',
      Duration: 100_000_000,
      SpanKind: 'Server',
      ServiceName: 'files',
      ScopeName: 'py-mcp',
      ScopeVersion: '',
      StatusCode: 'Error',
      StatusMessage: 'read failed',
      Events: [{ Timestamp: '1765000000200000000', Name: 'exception', Attributes: { 'exception.type': 'TimeoutError' } }],
    });
    expect(record!.SpanAttributes).toMatchObject({
      big: '9007199254740993',
      neg: '-5',
      ratio: '1.25',
      raw: 'AAEC+g==',
      obj: '{"a":1,"b":["x",true]}',
      empty: '',
      [Toolwatch.REQUEST_BYTES]: String(Buffer.byteLength('{"path":"/tmp/ünïcode"}')),
      [Toolwatch.ARGUMENTS_HASH]: canonicalHash({ path: '/tmp/ünïcode' }),
      [Toolwatch.ARGUMENTS_KEYS]: '["path"]',
    });
    expect(record!.SpanAttributes).not.toHaveProperty('gen_ai.tool.call.arguments');
  });
});

describe('OTLP/HTTP receiver: redaction', () => {
  it('lets no planted secret reach the transport, from any field, in either encoding', async () => {
    const logs: string[] = [];
    const { receiver, transport } = await memoryReceiver({ log: (level, m) => logs.push(`${level} ${m}`) });
    const args = JSON.stringify({ city: 'Oslo', apiKey: AWS_KEY });
    const result = JSON.stringify({ content: [{ type: 'text', text: `token ${GITHUB_TOKEN}` }, { type: 'text', text: 'sunny' }] });
    const { tracer, memory } = sdkTracer('leaky-mcp', { 'process.command_args': ['node', 'server.js', '--token', GITHUB_TOKEN] });
    emitMcpSpans(tracer, {
      'db.statement': `SELECT * FROM creds WHERE key_id = '${AWS_KEY}'`,
      'http.request.body': `{"auth":"${GITHUB_TOKEN}"}`,
      'gen_ai.tool.call.arguments': args,
      'gen_ai.tool.call.result': result,
      [`x.header.${GITHUB_TOKEN}`]: 'key holds the secret',
    });
    const failing = tracer.startSpan(`deploy with ${GITHUB_TOKEN}`, { kind: SpanKind.SERVER, attributes: { 'mcp.method.name': 'tools/call' } });
    failing.recordException(new Error(`AccessDenied for ${AWS_KEY}`));
    failing.setStatus({ code: SpanStatusCode.ERROR, message: `bad credentials ${AWS_KEY}` });
    failing.end();
    const spans = memory.getFinishedSpans();

    expect(exportSucceeded(await exportJson(receiver.url, spans.slice(0, 3)))).toBe(true);
    const res = await post(receiver.url, ProtobufTraceSerializer.serializeRequest(spans.slice(3))!, { ...auth, 'content-type': 'application/x-protobuf' });
    expect(res.status).toBe(200);

    const records = transport.records();
    expect(records).toHaveLength(spans.length);
    const everything = transport.sent.map((m) => `${m.key}\n${m.value}`).join('\n') + logs.join('\n');
    expect(everything).not.toContain(AWS_KEY);
    expect(everything).not.toContain(GITHUB_TOKEN);
    expect(everything).not.toContain(GITHUB_TOKEN.slice(4)); // not even the body of the token

    const server = records.find((r) => r.SpanName === 'tools/call get-weather')!;
    // Sizes, hash and content count from the values, then the values are gone.
    expect(server.SpanAttributes).toMatchObject({
      [Toolwatch.REQUEST_BYTES]: String(Buffer.byteLength(args)),
      [Toolwatch.RESPONSE_BYTES]: String(Buffer.byteLength(result)),
      [Toolwatch.ARGUMENTS_HASH]: canonicalHash(JSON.parse(args)),
      [Toolwatch.ARGUMENTS_KEYS]: '["apiKey","city"]',
      [Toolwatch.RESULT_CONTENT_ITEMS]: '2',
    });
    expect(server.SpanAttributes).not.toHaveProperty('gen_ai.tool.call.arguments');
    expect(server.SpanAttributes).not.toHaveProperty('gen_ai.tool.call.result');
    // The redacted fields are still there, with the secrets replaced, and counted.
    expect(server.SpanAttributes['db.statement']).toMatch(/^SELECT \* FROM creds WHERE key_id = '.*REDACTED.*'$/);
    expect(server.ResourceAttributes['process.command_args']).toContain('REDACTED');
    const findings = (r: SpanRecordType) => Object.values(JSON.parse(r.SpanAttributes[Toolwatch.REDACTION_FINDINGS] ?? '{}') as Record<string, number>).reduce((a, b) => a + b, 0);
    // db.statement, http.request.body, the attribute key, and the resource's command line.
    expect(findings(server)).toBeGreaterThanOrEqual(4);
    const failed = records.find((r) => r.SpanName.startsWith('deploy with'))!;
    expect(failed.SpanName).toContain('REDACTED');
    expect(failed.StatusMessage).toContain('REDACTED');
    expect(failed.Events[0]!.Attributes['exception.message']).toContain('REDACTED');
    expect(findings(failed)).toBeGreaterThanOrEqual(4);
  });

  it('merges upstream findings and hashes a session id that looks like a secret instead of passing it on', async () => {
    const { receiver, transport } = await memoryReceiver();
    const spans = sdkSpans({
      'mcp.session.id': GITHUB_TOKEN,
      [Toolwatch.REDACTION_FINDINGS]: JSON.stringify({ 'upstream-rule': 3 }),
    });
    expect(exportSucceeded(await exportJson(receiver.url, spans))).toBe(true);
    const server = transport.records().find((r) => r.SpanKind === 'Server')!;
    expect(server.SpanAttributes[SESSION_KEY]).toMatch(/^sha256-[0-9a-f]{32}$/);
    expect(JSON.stringify(transport.sent)).not.toContain(GITHUB_TOKEN);
    const counts = JSON.parse(server.SpanAttributes[Toolwatch.REDACTION_FINDINGS]!) as Record<string, number>;
    expect(counts['upstream-rule']).toBe(3);
    expect(Object.keys(counts).length).toBeGreaterThan(1);
  });
});

describe('OTLP/HTTP receiver: keeping tool-call values', () => {
  it('keeps gen_ai.tool.call values, redacted, only when told to', async () => {
    const { receiver, transport } = await memoryReceiver({ keepToolCallValues: true });
    const args = JSON.stringify({ city: 'Oslo', apiKey: AWS_KEY });
    expect(exportSucceeded(await exportJson(receiver.url, sdkSpans({ 'gen_ai.tool.call.arguments': args })))).toBe(true);
    const server = transport.records().find((r) => r.SpanKind === 'Server')!;
    expect(server.SpanAttributes['gen_ai.tool.call.arguments']).toMatch(/^\{"city":"Oslo","apiKey":".*REDACTED.*"\}$/);
    expect(server.SpanAttributes[Toolwatch.REQUEST_BYTES]).toBe(String(Buffer.byteLength(args))); // of the value received
    expect(JSON.stringify(transport.sent)).not.toContain(AWS_KEY);
  });
});

describe('toolwatch collector (the command) over Kafka', () => {
  const brokers = inject('kafkaBrokers');

  it('receives spans over OTLP/HTTP and writes them to the Kafka topic keyed by session, then drains on stop', async () => {
    const topic = uniqueTopic('otlp');
    const logs: string[] = [];
    const stop = new AbortController();
    let listening!: (url: string) => void;
    const started = new Promise<string>((resolve) => (listening = resolve));
    const running = collectorCommand(['--port', '0', '--max-body-bytes', '1048576'], (level, m) => logs.push(`${level} ${m}`), {
      env: { TOOLWATCH_COLLECTOR_TOKEN: TOKEN, TOOLWATCH_KAFKA_BROKERS: brokers.join(','), TOOLWATCH_KAFKA_TOPIC: topic },
      signal: stop.signal,
      onListening: (receiver) => listening(receiver.url),
    });
    const url = await Promise.race([started, running.then((code) => Promise.reject(new Error(`exited with ${code}: ${logs.join('; ')}`)))]);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1\/traces$/);

    const spans = sdkSpans({ 'http.request.body': `token=${GITHUB_TOKEN}` });
    expect(exportSucceeded(await exportJson(url, spans))).toBe(true);
    const messages = await readTopic(brokers, topic, spans.length);
    const records = messages.map((m) => SpanRecord.parse(JSON.parse(m.value)));
    expect(records.map((r) => r.SpanId).sort()).toEqual(spans.map((s) => s.spanContext().spanId).sort());
    expect(messages.map((m) => m.key)).toEqual(records.map((r) => r.SpanAttributes[SESSION_KEY]));
    expect(messages.map((m) => m.value).join('\n')).not.toContain(GITHUB_TOKEN);

    stop.abort();
    expect(await running).toBe(0);
    expect(logs.join('\n')).toMatch(/4 spans written, 0 rejected/);
  });

  it('refuses to start without a token or without brokers', async () => {
    const logs: string[] = [];
    const log = (level: string, m: string) => logs.push(`${level} ${m}`);
    expect(await collectorCommand([], log, { env: { TOOLWATCH_KAFKA_BROKERS: brokers.join(',') } })).toBe(2);
    expect(logs.pop()).toMatch(/^error .*TOOLWATCH_COLLECTOR_TOKEN/);
    expect(await collectorCommand([], log, { env: { TOOLWATCH_COLLECTOR_TOKEN: TOKEN } })).toBe(2);
    expect(logs.pop()).toMatch(/^error .*TOOLWATCH_KAFKA_BROKERS/);
    expect(await collectorCommand(['--port', 'http'], log, { env: { TOOLWATCH_COLLECTOR_TOKEN: TOKEN, TOOLWATCH_KAFKA_BROKERS: 'x:1' } })).toBe(2);
    expect(logs.pop()).toMatch(/--port/);
  });
});
