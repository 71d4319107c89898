import { request } from 'node:http';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { afterEach, describe, expect, it } from 'vitest';
import type { KeyedRecord, RecordTransport } from '../src/exporters/record-transport.js';
import { OtlpReceiver } from '../src/otlp-receiver/index.js';
import { MemoryRecordTransport } from '../../test/support/memory-transport.js';
import {
  auth,
  AWS_KEY,
  closeReceivers,
  decodeProtobufStatus,
  emitMcpSpans,
  exportJson,
  exportSucceeded,
  memoryReceiver,
  post,
  sdkTracer,
  TOKEN,
} from './otlp-receiver-support.js';

afterEach(closeReceivers);

function spans() {
  const { tracer, memory } = sdkTracer();
  emitMcpSpans(tracer);
  return [...memory.getFinishedSpans()];
}

const protobuf = { ...auth, 'content-type': 'application/x-protobuf' };
const json = { ...auth, 'content-type': 'application/json' };

/** A transport that holds every batch until released. */
class GatedTransport implements RecordTransport {
  readonly name = 'gated';
  readonly inner = new MemoryRecordTransport();
  batches = 0;
  private release!: () => void;
  private readonly gate = new Promise<void>((resolve) => (this.release = resolve));
  async send(records: KeyedRecord[]): Promise<void> {
    this.batches++;
    await this.gate;
    await this.inner.send(records);
  }
  open(): void {
    this.release();
  }
  async close(): Promise<void> {}
}

/** Waits for a condition on state the receiver changes (no timing assumption). */
async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!condition()) throw new Error(`timed out waiting for ${what}`);
}

describe('OTLP/HTTP receiver: authentication and binding', () => {
  it('binds 127.0.0.1 by default', async () => {
    const { receiver } = await memoryReceiver();
    expect(receiver.address.address).toBe('127.0.0.1');
    expect(receiver.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1\/traces$/);
  });

  it('will not run without a token', () => {
    expect(() => new OtlpReceiver({ token: '', transport: new MemoryRecordTransport() })).toThrow(/token/);
  });

  it('answers 401 without the token, with a wrong one, or with another scheme, and writes nothing', async () => {
    const { receiver, transport } = await memoryReceiver();
    const body = ProtobufTraceSerializer.serializeRequest(spans())!;
    for (const authorization of [undefined, `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, `Basic ${TOKEN}`, TOKEN]) {
      const headers: Record<string, string> = { 'content-type': 'application/x-protobuf', ...(authorization ? { authorization } : {}) };
      const res = await post(receiver.url, body, headers);
      expect(res.status, String(authorization)).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(decodeProtobufStatus(res.body).message).toBe('missing or wrong bearer token');
    }
    // The real exporter gives up on it (401 is not retryable).
    expect(exportSucceeded(await exportJson(receiver.url, spans(), { token: 'not-the-token' }))).toBe(false);
    expect(exportSucceeded(await exportJson(receiver.url, spans(), { token: '' }))).toBe(false);
    expect(transport.sent).toHaveLength(0);
    expect(receiver.stats.bodyBytesRead).toBe(0); // no body read before authentication
  });
});

/** A POST with `Expect: 100-continue`: the body is sent only if the server asks for it. */
function postExpectingContinue(url: string, body: Uint8Array, headers: Record<string, string>): Promise<{ status: number; continued: boolean }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    let continued = false;
    const req = request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { ...headers, expect: '100-continue', 'content-length': String(body.length) } });
    req.on('continue', () => {
      continued = true;
      req.end(body);
    });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, continued }));
    });
    req.on('error', reject);
    req.flushHeaders();
  });
}

describe('OTLP/HTTP receiver: Expect: 100-continue', () => {
  it('checks the token before the client sends its body, and takes the body once it may', async () => {
    const { receiver, transport } = await memoryReceiver();
    const body = ProtobufTraceSerializer.serializeRequest(spans())!;
    const refused = await postExpectingContinue(receiver.url, body, { 'content-type': 'application/x-protobuf', authorization: 'Bearer wrong' });
    expect(refused).toEqual({ status: 401, continued: false });
    expect(receiver.stats.bodyBytesRead).toBe(0);
    const accepted = await postExpectingContinue(receiver.url, body, protobuf);
    expect(accepted).toEqual({ status: 200, continued: true });
    expect(transport.records()).toHaveLength(4);
  });
});

describe('OTLP/HTTP receiver: bad requests', () => {
  it('answers 415 for other content types and content encodings', async () => {
    const { receiver } = await memoryReceiver();
    const text = await post(receiver.url, 'hello', { ...auth, 'content-type': 'text/plain' });
    expect(text.status).toBe(415);
    expect(JSON.parse(text.body.toString()).message).toMatch(/application\/x-protobuf or application\/json/);
    const none = await post(receiver.url, '{}', { ...auth, 'content-type': '' });
    expect(none.status).toBe(415);
    const brotli = await post(receiver.url, '{}', { ...json, 'content-encoding': 'br' });
    expect(brotli.status).toBe(415);
    expect(JSON.parse(brotli.body.toString()).message).toMatch(/Content-Encoding/);
  });

  it('answers 404 and 405 off the traces endpoint', async () => {
    const { receiver } = await memoryReceiver();
    expect((await post(receiver.url.replace('/v1/traces', '/v1/metrics'), '{}', json)).status).toBe(404);
    const get = await fetch(receiver.url, { headers: auth });
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
  });

  it('answers 400 with a clear reason for malformed protobuf, in protobuf', async () => {
    const { receiver, transport } = await memoryReceiver();
    const whole = ProtobufTraceSerializer.serializeRequest(spans())!;
    const truncated = await post(receiver.url, whole.subarray(0, whole.length - 7), protobuf);
    expect(truncated.status).toBe(400);
    expect(truncated.headers.get('content-type')).toBe('application/x-protobuf');
    const status = decodeProtobufStatus(truncated.body);
    expect(status.code).toBe(3); // INVALID_ARGUMENT
    expect(status.message).toMatch(/^invalid protobuf: (truncated message|length past the end of its message) at byte \d+$/);

    // A field with the wrong wire type: resource_spans (1) as a varint.
    const wrongType = await post(receiver.url, Buffer.from([0x08, 0x01]), protobuf);
    expect(wrongType.status).toBe(400);
    expect(decodeProtobufStatus(wrongType.body).message).toMatch(/resource_spans has wire type 0, expected 2/);
    expect(transport.sent).toHaveLength(0);
  });

  it('answers 400 for a body that is not the gzip it claims to be', async () => {
    const { receiver } = await memoryReceiver();
    const res = await post(receiver.url, Buffer.from('certainly not gzip'), { ...protobuf, 'content-encoding': 'gzip' });
    expect(res.status).toBe(400);
    expect(decodeProtobufStatus(res.body).message).toBe('body is not valid gzip');
  });

  it('answers 400 with a clear reason for malformed JSON, without quoting the body', async () => {
    const { receiver, transport } = await memoryReceiver();
    const broken = await post(receiver.url, `{"resourceSpans": [{"note": "${AWS_KEY}"}`, json);
    expect(broken.status).toBe(400);
    const reason = JSON.parse(broken.body.toString()) as { code: number; message: string };
    expect(reason.message).toMatch(/^invalid JSON/);
    expect(reason.message).not.toContain(AWS_KEY);

    const shape = await post(receiver.url, JSON.stringify({ resourceSpans: { spans: [] } }), json);
    expect(shape.status).toBe(400);
    expect(JSON.parse(shape.body.toString()).message).toBe('invalid request: resourceSpans: expected an array');
    const scope = await post(receiver.url, JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: 'none' }] }] }), json);
    expect(JSON.parse(scope.body.toString()).message).toBe('invalid request: resourceSpans[0].scopeSpans[0].spans: expected an array');
    expect(transport.sent).toHaveLength(0);
  });
});

describe('OTLP/HTTP receiver: body size cap', () => {
  it('answers 413 to a streamed body past the cap without reading the rest of it', async () => {
    const cap = 256 * 1024;
    const { receiver, transport } = await memoryReceiver({ maxBodyBytes: cap });
    const total = 64 * 1024 * 1024;
    const url = new URL(receiver.url);
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    const status = await new Promise<number>((resolve, reject) => {
      // Chunked: no Content-Length, so only counting while streaming can catch it.
      const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: json });
      let written = 0;
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', () => {}); // the server closes the connection while we write: expected
      const pump = () => {
        while (written < total) {
          written += chunk.length;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        req.end();
      };
      req.on('close', () => reject(new Error('closed without an answer')));
      pump();
    });
    expect(status).toBe(413);
    // Stopped at the cap: what was read is the cap plus what was already in flight.
    expect(receiver.stats.bodyBytesRead).toBeGreaterThan(cap);
    expect(receiver.stats.bodyBytesRead).toBeLessThan(total / 8);
    expect(transport.sent).toHaveLength(0);
  });

  it('answers 413 at once when Content-Length is over the cap', async () => {
    const { receiver } = await memoryReceiver({ maxBodyBytes: 1024 });
    const res = await post(receiver.url, Buffer.alloc(4096, 0x20), json);
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body.toString()).message).toBe('body larger than 1024 bytes');
    expect(receiver.stats.bodyBytesRead).toBe(0);
  });
});

describe('OTLP/HTTP receiver: backpressure and draining', () => {
  it('answers 429 with Retry-After while the in-flight bound is full; the real exporter retries and every span arrives once', async () => {
    const transport = new GatedTransport();
    const { receiver } = await memoryReceiver({ transport, maxInFlightRecords: 4, retryAfterSeconds: 1 });
    const first = spans();
    const firstExport = exportJson(receiver.url, first);
    await until(() => receiver.inFlightRecords === 4, 'the first batch in flight');

    const refused = await post(receiver.url, ProtobufTraceSerializer.serializeRequest(spans())!, protobuf);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(decodeProtobufStatus(refused.body).message).toMatch(/retry later/);

    const second = spans();
    const secondExport = exportJson(receiver.url, second);
    await until(() => receiver.stats.refusedRequests >= 2, 'the exporter to be refused');
    transport.open();
    expect(exportSucceeded(await firstExport)).toBe(true);
    expect(exportSucceeded(await secondExport)).toBe(true);
    const ids = transport.inner.records().map((r) => r.SpanId).sort();
    expect(ids).toEqual([...first, ...second].map((s) => s.spanContext().spanId).sort());
  });

  it('lets concurrent requests share transport sends instead of one send each', async () => {
    // KafkaTransport refuses more than a few sends at once: many clients must not mean
    // many sends.
    const transport = new GatedTransport();
    const { receiver } = await memoryReceiver({ transport, maxConcurrentSends: 1 });
    const batches = Array.from({ length: 6 }, () => spans());
    const answers = batches.map((b) => post(receiver.url, ProtobufTraceSerializer.serializeRequest(b)!, protobuf));
    await until(() => receiver.inFlightRecords === 24, 'all six requests queued');
    expect(transport.batches).toBe(1);
    transport.open();
    expect((await Promise.all(answers)).map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(transport.batches).toBe(2); // the first request alone, then the other five together
    const ids = transport.inner.records().map((r) => r.SpanId).sort();
    expect(ids).toEqual(batches.flat().map((s) => s.spanContext().spanId).sort());
  });

  it('answers 503 with Retry-After when the transport fails, so the client keeps its spans', async () => {
    const failing: RecordTransport = {
      name: 'down',
      send: async () => {
        throw new Error('broker unreachable');
      },
      close: async () => {},
    };
    const logs: string[] = [];
    const { receiver } = await memoryReceiver({ transport: failing, log: (l, m) => logs.push(`${l} ${m}`) });
    const res = await post(receiver.url, ProtobufTraceSerializer.serializeRequest(spans())!, protobuf);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('2');
    expect(logs).toEqual(['warn span records not written: down: broker unreachable']);
    expect(receiver.stats.acceptedSpans).toBe(0);
  });

  it('finishes the requests under way when closed', async () => {
    const transport = new GatedTransport();
    const { receiver } = await memoryReceiver({ transport });
    const url = receiver.url;
    const sent = spans();
    const exported = exportJson(url, sent);
    await until(() => transport.batches === 1, 'the batch to reach the transport');
    let closed = false;
    const closing = receiver.close().then(() => (closed = true));
    // However long we wait, close cannot finish while a request's records are unacknowledged.
    await new Promise((r) => setTimeout(r, 100));
    expect(closed).toBe(false);
    transport.open();
    await closing;
    expect(transport.inner.records()).toHaveLength(sent.length);
    expect(exportSucceeded(await exported)).toBe(true);
    // Closed: new connections are refused.
    await expect(fetch(url, { method: 'POST', headers: json, body: '{}' })).rejects.toThrow();
  });
});
