import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Toolwatch } from '@toolwatch/schemas';
import type { RecordTransport } from '../exporters/record-transport.js';
import { bearerTokenCheck } from './bearer-token.js';
import { BoundedSender } from './bounded-sender.js';
import { convertTraceRequest, type RejectedSpan } from './convert-spans.js';
import { decodeJsonTraceRequest } from './decode-json.js';
import { decodeProtobufTraceRequest } from './decode-protobuf.js';
import { BadRequestError } from './otlp-model.js';
import { BodyError, readBody } from './read-body.js';
import { loadDefaultRedactor, type TextRedactor } from './redactor.js';
import { CONTENT_TYPE, exportResponse, RpcCode, statusBody, type BodyEncoding } from './responses.js';

export const TRACES_PATH = '/v1/traces';
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 4318;
export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;

export type ReceiverLog = (level: 'info' | 'warn' | 'error', message: string) => void;

export interface OtlpReceiverOptions {
  /** Required: clients send `Authorization: Bearer <token>`. */
  token: string;
  /** Where span records go, keyed by session key. The receiver does not close it. */
  transport: RecordTransport;
  /** Default 127.0.0.1: spans carry what agents did; exposing them is a choice. */
  host?: string;
  /** Default 4318, the OTLP/HTTP port; 0 for any free port. */
  port?: number;
  /** Request body cap in bytes, on the wire and after gunzip. Default 4 MiB. */
  maxBodyBytes?: number;
  /** Records sent to the transport and not yet acknowledged, at most. Default 20,000. */
  maxInFlightRecords?: number;
  /** Transport sends at once; requests arriving meanwhile share the next send. Default 2. */
  maxConcurrentSends?: number;
  /** Requests being read, converted or sent at once, at most. Default 64. */
  maxConcurrentRequests?: number;
  /** What 429 and 503 answers tell a client to wait. Default 2 s. */
  retryAfterSeconds?: number;
  /** A send the transport has not acknowledged by then is answered 503. Default 30 s. */
  sendTimeoutMs?: number;
  /** The redaction module's redactText unless given. */
  redactor?: TextRedactor;
  /** Keep `gen_ai.tool.call.arguments`/`.result` values, redacted. Default: sizes only. */
  keepToolCallValues?: boolean;
  log?: ReceiverLog;
}

export interface ReceiverStats {
  requests: number;
  /** Spans written to the transport. */
  acceptedSpans: number;
  /** Spans refused as invalid (partial success). */
  rejectedSpans: number;
  /** Requests answered 429 or 503: the client keeps them and retries. */
  refusedRequests: number;
  /** Request body bytes read off sockets. */
  bodyBytesRead: number;
}

type Reply = { status: number; body: Buffer; headers?: Record<string, string>; close?: boolean };

/** One request being answered: where to, in which encoding, and whether its body was read. */
interface Exchange {
  res: ServerResponse;
  as: BodyEncoding;
  bodyRead: boolean;
}

/**
 * The OTLP/HTTP traces endpoint (`POST /v1/traces`, protobuf or JSON, optionally gzip), for
 * MCP servers instrumented with any OpenTelemetry SDK: every span becomes a span record,
 * redacted again, in the transport — the same records toolwatch's own instrumentation writes.
 */
export class OtlpReceiver {
  readonly stats: ReceiverStats = { requests: 0, acceptedSpans: 0, rejectedSpans: 0, refusedRequests: 0, bodyBytesRead: 0 };
  private readonly server: Server;
  private readonly sender: BoundedSender;
  private readonly authorized: (header: string | undefined) => boolean;
  private readonly maxBodyBytes: number;
  private readonly maxConcurrent: number;
  private readonly retryAfter: string;
  private readonly log: ReceiverLog;
  private redactor: TextRedactor | undefined;
  private active = 0;
  private draining = false;
  private lastRejectLog = 0;
  private rejectsSinceLog = 0;

  constructor(private readonly options: OtlpReceiverOptions) {
    if (!options.token) throw new Error('the OTLP receiver needs a bearer token');
    this.authorized = bearerTokenCheck(options.token);
    this.maxBodyBytes = positive(options.maxBodyBytes, DEFAULT_MAX_BODY_BYTES, 'maxBodyBytes');
    this.maxConcurrent = positive(options.maxConcurrentRequests, 64, 'maxConcurrentRequests');
    this.retryAfter = String(Math.ceil(positive(options.retryAfterSeconds, 2, 'retryAfterSeconds')));
    this.sender = new BoundedSender(options.transport, {
      maxInFlightRecords: positive(options.maxInFlightRecords, 20_000, 'maxInFlightRecords'),
      maxConcurrentSends: positive(options.maxConcurrentSends, 2, 'maxConcurrentSends'),
      maxBatchRecords: 5000,
      sendTimeoutMs: positive(options.sendTimeoutMs, 30_000, 'sendTimeoutMs'),
    });
    this.redactor = options.redactor;
    this.log = options.log ?? (() => {});
    const serve = (req: IncomingMessage, res: ServerResponse) => {
      this.handle(req, res).catch((err: unknown) => {
        this.log('error', `OTLP request failed: ${(err as Error)?.message ?? String(err)}`);
        if (!res.headersSent) this.send(res, { status: 500, body: statusBody('json', RpcCode.INTERNAL, 'internal error'), close: true });
        else res.destroy();
      });
    };
    this.server = createServer(serve);
    // `Expect: 100-continue` (curl sends it for large bodies): the client waits for the
    // checks on its headers — token, type, size — before sending the body at all.
    this.server.on('checkContinue', serve);
    // A client that trickles its headers or body must not hold a request slot for long.
    this.server.headersTimeout = 10_000;
    this.server.requestTimeout = 60_000;
  }

  /** Starts listening; resolves with the bound address. */
  async listen(): Promise<AddressInfo> {
    this.redactor ??= await loadDefaultRedactor();
    const host = this.options.host ?? DEFAULT_HOST;
    const port = this.options.port ?? DEFAULT_PORT;
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return this.address;
  }

  get address(): AddressInfo {
    return this.server.address() as AddressInfo;
  }

  /** The traces endpoint, e.g. `http://127.0.0.1:4318/v1/traces`. */
  get url(): string {
    const { address, family, port } = this.address;
    return `http://${family === 'IPv6' ? `[${address}]` : address}:${port}${TRACES_PATH}`;
  }

  get inFlightRecords(): number {
    return this.sender.inFlightRecords;
  }

  /**
   * Stops taking requests, lets the ones under way finish (their spans reach the transport
   * or their clients hear 503), and waits for every send to settle. Does not close the
   * transport. Connections still open after `timeoutMs` are cut.
   */
  async close(timeoutMs = 10_000): Promise<void> {
    this.draining = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    const timer = setTimeout(() => this.server.closeAllConnections(), timeoutMs);
    try {
      await closed;
      await this.sender.drain();
    } finally {
      clearTimeout(timer);
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.stats.requests++;
    const encoding = bodyEncoding(req.headers['content-type']);
    const ex: Exchange = { res, as: encoding ?? 'json', bodyRead: false };

    if ((req.url ?? '').split('?')[0] !== TRACES_PATH) return this.fail(ex, 404, RpcCode.NOT_FOUND, `not found; traces go to POST ${TRACES_PATH}`);
    if (req.method !== 'POST') return this.fail(ex, 405, RpcCode.UNIMPLEMENTED, 'method not allowed; use POST', { allow: 'POST' });
    if (!this.authorized(req.headers.authorization)) {
      return this.fail(ex, 401, RpcCode.UNAUTHENTICATED, 'missing or wrong bearer token', { 'www-authenticate': 'Bearer realm="toolwatch"' });
    }
    if (this.draining) return this.refuse(ex, 503, 'shutting down');
    if (!encoding) return this.fail(ex, 415, RpcCode.INVALID_ARGUMENT, 'unsupported Content-Type; use application/x-protobuf or application/json');
    const contentEncoding = (req.headers['content-encoding'] ?? '').trim().toLowerCase();
    if (!['', 'identity', 'gzip', 'x-gzip'].includes(contentEncoding)) {
      return this.fail(ex, 415, RpcCode.INVALID_ARGUMENT, 'unsupported Content-Encoding; use gzip or none');
    }
    if (Number(req.headers['content-length'] ?? 0) > this.maxBodyBytes) {
      return this.fail(ex, 413, RpcCode.RESOURCE_EXHAUSTED, `body larger than ${this.maxBodyBytes} bytes`);
    }
    if (this.active >= this.maxConcurrent) return this.refuse(ex, 429, `more than ${this.maxConcurrent} requests at once`);

    this.active++;
    try {
      if (/100-continue/i.test(req.headers.expect ?? '')) res.writeContinue();
      await this.export(req, ex, encoding, contentEncoding === 'gzip' || contentEncoding === 'x-gzip');
    } finally {
      this.active--;
    }
  }

  private async export(req: IncomingMessage, ex: Exchange, encoding: BodyEncoding, gzip: boolean): Promise<void> {
    let body: Buffer;
    try {
      body = await readBody(req, { maxBytes: this.maxBodyBytes, gzip, onBytes: (n) => (this.stats.bodyBytesRead += n) });
    } catch (err) {
      if (!(err instanceof BodyError)) throw err;
      if (err.kind === 'aborted') return void ex.res.destroy();
      if (err.kind === 'too-large') return this.fail(ex, 413, RpcCode.RESOURCE_EXHAUSTED, err.message);
      return this.fail(ex, 400, RpcCode.INVALID_ARGUMENT, err.message);
    }
    ex.bodyRead = true;

    let converted;
    try {
      const request = encoding === 'protobuf' ? decodeProtobufTraceRequest(body) : decodeJsonTraceRequest(body);
      converted = convertTraceRequest(request, { redactor: this.redactor!, keepToolCallValues: this.options.keepToolCallValues ?? false });
    } catch (err) {
      if (err instanceof BadRequestError) return this.fail(ex, 400, RpcCode.INVALID_ARGUMENT, err.message);
      throw err;
    }

    const { records, rejected } = converted;
    if (records.length > 0) {
      const outcome = await this.sender.send(
        records.map((r) => ({ key: r.SpanAttributes[Toolwatch.SESSION_KEY] ?? r.TraceId, value: JSON.stringify(r) })),
      );
      if (!outcome.ok) {
        if (outcome.reason !== 'full') this.log('warn', `span records not written: ${outcome.message}`);
        // Nothing of the request is kept: the client retries all of it.
        return outcome.reason === 'full' ? this.refuse(ex, 429, 'too many spans in flight') : this.refuse(ex, 503, 'span records could not be written');
      }
    }
    this.stats.acceptedSpans += records.length;
    this.stats.rejectedSpans += rejected.length;
    if (rejected.length > 0) this.logRejected(rejected);
    this.send(ex.res, {
      status: 200,
      body: exportResponse(encoding, rejected.length, rejectionMessage(rejected)),
      headers: { 'content-type': CONTENT_TYPE[encoding] },
    });
  }

  /** Retryable refusals: the client keeps its spans and tries again after Retry-After. */
  private refuse(ex: Exchange, status: 429 | 503, message: string): void {
    this.stats.refusedRequests++;
    this.fail(ex, status, status === 429 ? RpcCode.RESOURCE_EXHAUSTED : RpcCode.UNAVAILABLE, `${message}; retry later`, { 'retry-after': this.retryAfter });
  }

  /** An error answer, a google.rpc.Status in the request's encoding (JSON when unknown). A
   * body left unread is not drained: the connection closes after the answer instead. */
  private fail(ex: Exchange, status: number, code: number, message: string, headers: Record<string, string> = {}): void {
    this.send(ex.res, {
      status,
      body: statusBody(ex.as, code, message),
      headers: { 'content-type': CONTENT_TYPE[ex.as], ...headers },
      close: !ex.bodyRead,
    });
  }

  private send(res: ServerResponse, reply: Reply): void {
    // While draining, connections close after their answer rather than idling until the
    // keep-alive timeout holds up the shutdown.
    const close = reply.close || this.draining;
    if (close) res.shouldKeepAlive = false;
    res.writeHead(reply.status, { 'content-length': String(reply.body.length), ...reply.headers, ...(close ? { connection: 'close' } : {}) });
    res.end(reply.body);
  }

  /** At most one line per 10 s: a client that keeps sending broken spans must not flood the log. */
  private logRejected(rejected: RejectedSpan[]): void {
    this.rejectsSinceLog += rejected.length;
    const now = Date.now();
    if (now - this.lastRejectLog < 10_000) return;
    this.log('warn', `rejected ${this.rejectsSinceLog} invalid span(s), e.g. ${rejected[0]!.at}: ${rejected[0]!.reason}`);
    this.lastRejectLog = now;
    this.rejectsSinceLog = 0;
  }
}

/** Creates a receiver and starts it listening. */
export async function startOtlpReceiver(options: OtlpReceiverOptions): Promise<OtlpReceiver> {
  const receiver = new OtlpReceiver(options);
  await receiver.listen();
  return receiver;
}

function bodyEncoding(contentType: string | undefined): BodyEncoding | undefined {
  const type = contentType?.split(';')[0]?.trim().toLowerCase();
  if (type === 'application/x-protobuf' || type === 'application/protobuf') return 'protobuf';
  if (type === 'application/json') return 'json';
  return undefined;
}

function rejectionMessage(rejected: RejectedSpan[]): string {
  if (rejected.length === 0) return '';
  const shown = rejected.slice(0, 5).map((r) => `${r.at}: ${r.reason}`);
  if (rejected.length > 5) shown.push(`… ${rejected.length - 5} more`);
  return `${rejected.length} span(s) rejected: ${shown.join('; ')}`;
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
}
