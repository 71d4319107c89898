import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Attributes, Span } from '@opentelemetry/api';
import { Semconv } from '@toolwatch/schemas';
import type { MessageExtraInfo } from '@modelcontextprotocol/sdk/types.js';
import type { Json } from '../observer/span-attributes.js';
import { parseMessages } from './http-body.js';
import { sdkHeaders } from './http-headers.js';
import { sessionAttributes, type HttpSession, type SessionTable } from './http-sessions.js';
import type { SseEvent } from './http-sse.js';
import type { HttpProxyStats } from './http-stats.js';
import { header, jsonTap, mediaType, sseTap, type BodyTap, type TapSink } from './http-taps.js';

export interface ExchangeContext {
  sessions: SessionTable;
  stats: HttpProxyStats;
  maxBodyBytes: number;
  guard: (fn: () => void) => void;
  skipped: (reason: string) => void;
}

/**
 * What one HTTP request and its response say, fed to the observer of its MCP session: the
 * JSON-RPC messages of a POST body as received, those of the response (JSON or SSE) as sent.
 * The session is the one named by Mcp-Session-Id; without one, an observer of the request's
 * own, which the response may bind to the session id the server assigns (initialize).
 */
export class Exchange {
  private session: HttpSession | undefined;
  private readonly requestSession: string | undefined;
  private readonly network: Attributes;
  private readonly unboundSpans: Span[] = [];
  private bound = false;
  private relatedId: unknown;
  private connected = false;
  private queued: Json[] | undefined;
  private responding: HttpSession | undefined;
  private answered = false;
  private over = false;
  private tapOpen = false;
  private finished = false;

  constructor(
    private readonly ctx: ExchangeContext,
    private readonly req: IncomingMessage,
  ) {
    this.requestSession = header(req.headers, 'mcp-session-id');
    this.network = {
      [Semconv.NETWORK_TRANSPORT]: 'tcp',
      [Semconv.NETWORK_PROTOCOL_NAME]: 'http',
      [Semconv.NETWORK_PROTOCOL_VERSION]: req.httpVersion === '2.0' ? '2' : req.httpVersion,
    };
    if (this.requestSession) this.session = ctx.sessions.get(this.requestSession, this.network);
  }

  /** A tap for a POST body; undefined for other requests and unreadable encodings. */
  requestTap(): BodyTap | undefined {
    if (this.req.method !== 'POST') return undefined;
    return jsonTap(this.req.headers, this.ctx.maxBodyBytes, (messages) => this.received(messages), this.sink(() => {}));
  }

  /** The upstream has a connection for the request. Until then its messages wait: a
   * request the server never got (the upstream is down) is no server span. */
  upstreamConnected(): void {
    this.connected = true;
    const queued = this.queued;
    this.queued = undefined;
    if (queued) this.observe(queued);
  }

  /** The upstream answered: learn the session id, or the session's end. */
  responded(status: number, headers: IncomingHttpHeaders): void {
    this.answered = true;
    this.responding = this.session;
    if (this.responding) this.responding.streams++;
    const assigned = header(headers, 'mcp-session-id');
    if (!this.requestSession && assigned && this.session && this.ctx.sessions.bind(this.session, assigned)) {
      this.bound = true;
      // Spans started before the id was known (the initialize) get it now: they end only
      // once the response body has been read.
      for (const span of this.unboundSpans) span.setAttributes(sessionAttributes(assigned));
    }
    this.unboundSpans.length = 0;
    if (!this.requestSession) return;
    // DELETE ends the session (a 405 says the server keeps it); 404 says the server has none.
    if ((this.req.method === 'DELETE' && status >= 200 && status < 300) || status === 404) {
      this.ctx.sessions.close(this.requestSession);
    }
  }

  /** A tap for the response body: JSON-RPC as JSON or as an SSE stream. */
  responseTap(response: IncomingMessage): BodyTap | undefined {
    const type = mediaType(response.headers);
    const sink = this.sink(() => {
      this.tapOpen = false;
      if (this.over) this.finish();
    });
    let tap: BodyTap | undefined;
    if (type === 'text/event-stream') tap = sseTap(response.headers, this.ctx.maxBodyBytes, (event) => this.onEvent(event), sink);
    else if (type === 'application/json') tap = jsonTap(response.headers, this.ctx.maxBodyBytes, (messages) => this.sent(messages), sink);
    this.tapOpen = tap !== undefined;
    return tap;
  }

  /** The HTTP exchange is over, answered or not. What it observed is settled once the
   * response's copy is through too (a decoder may still be at work). */
  ended(): void {
    if (this.over) return;
    this.over = true;
    if (!this.tapOpen) this.finish();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.responding) this.responding.streams--;
    const session = this.session;
    if (!session) return;
    session.lastActive = Date.now();
    // Without a session, what the request started ends with it: nothing else will answer.
    if (!this.requestSession && !this.bound) this.ctx.guard(() => session.observer.closed());
  }

  /** The session's observer; a request without a session gets its own only once it carries
   * a message (a CORS preflight or a health check is no MCP session). */
  private observed(): HttpSession {
    return (this.session ??= this.ctx.sessions.unbound(this.network));
  }

  private received(messages: Json[]): void {
    if (this.connected) this.observe(messages);
    else this.queued = messages;
  }

  private observe(messages: Json[]): void {
    // A server that answered before the body was through never read these messages.
    if (this.over) return;
    const session = this.observed();
    const extra: MessageExtraInfo = { requestInfo: { headers: sdkHeaders(this.req) } };
    const requests: unknown[] = [];
    for (const message of messages) {
      this.ctx.stats.received++;
      this.ctx.guard(() => {
        const span = session.observer.received(message, extra);
        if (span && !this.requestSession && !this.answered) this.unboundSpans.push(span);
      });
      if (typeof message.method === 'string' && message.id !== undefined && message.id !== null) requests.push(message.id);
    }
    // A server request on this POST's stream (sampling during a tool call) belongs to the
    // request being answered; with several in one batch, to none in particular.
    this.relatedId = requests.length === 1 ? requests[0] : undefined;
    session.lastActive = Date.now();
  }

  private sent(messages: Json[]): void {
    const session = this.observed();
    for (const message of messages) {
      this.ctx.stats.sent++;
      this.ctx.guard(() => session.observer.sent(message, this.relatedId));
    }
    session.lastActive = Date.now();
  }

  private onEvent(event: SseEvent): void {
    if (event.event !== '' && event.event !== 'message') return;
    if (event.id && !this.observed().firstSight(event.id)) return;
    const messages = parseMessages(event.data);
    if (!messages) return this.sink(() => {}).malformed(`SSE event not JSON-RPC (${Buffer.byteLength(event.data)} bytes)`);
    this.sent(messages);
  }

  private sink(settled: () => void): TapSink {
    const { stats, skipped } = this.ctx;
    return {
      oversized: (reason) => {
        stats.oversized++;
        skipped(reason);
      },
      malformed: (reason) => {
        stats.malformed++;
        skipped(reason);
      },
      settled,
    };
  }
}
