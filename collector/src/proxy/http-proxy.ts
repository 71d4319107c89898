import { Agent as HttpAgent, createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream';
import type { ObserverSettings } from '../observer/mcp-observer.js';
import { Exchange, type ExchangeContext } from './http-exchange.js';
import { endToEnd, upstreamRequestHeaders } from './http-headers.js';
import { SessionTable } from './http-sessions.js';
import { emptyStats, type HttpProxyStats } from './http-stats.js';

export interface HttpProxyOptions {
  /** The Streamable HTTP server: its origin, and a path prefix if it has one. A request to
   * the proxy's `/mcp` goes to `<target>/mcp`. */
  target: URL;
  /** Default 127.0.0.1: a proxy that also listens elsewhere is a choice, not a default. */
  listenHost?: string;
  /** Default 0: a free port (see `url`). */
  listenPort?: number;
  /** The observer settings, or a function giving them for each new session. */
  observer: ObserverSettings | (() => ObserverSettings);
  /** A body (or an SSE event) over this is forwarded but not observed. Default 16 MiB. */
  maxBodyBytes?: number;
  /** A session with no request and no open stream for this long ends. Default 30 minutes. */
  sessionIdleMs?: number;
  /** Sessions tracked at most; the least recently used ends first. Default 10 000. */
  maxSessions?: number;
  /** Told why a body was not observed (never its content). */
  onSkipped?: (reason: string) => void;
  /** Told about failures inside the observation, which never reach the traffic. */
  onInternalError?: (err: unknown) => void;
}

export interface HttpProxy {
  /** Where the proxy listens, e.g. http://127.0.0.1:40123 */
  url: URL;
  stats: Readonly<HttpProxyStats>;
  /** Sessions tracked now. */
  sessions(): number;
  /** Stops listening, cuts open streams, and ends every session's observer. */
  close(): Promise<void>;
}

/**
 * A reverse proxy in front of a Streamable HTTP MCP server of any language: every request
 * goes through unchanged (hop-by-hop headers aside) and its answer comes back unchanged, as
 * it streams; a copy of each body feeds the observer of its MCP session, so the spans are
 * those the in-process instrumentation would emit.
 */
export async function startHttpProxy(options: HttpProxyOptions): Promise<HttpProxy> {
  const target = checkTarget(options.target);
  const observer = options.observer;
  const settings = typeof observer === 'function' ? observer : () => observer;
  const onInternalError = options.onInternalError ?? (typeof observer === 'function' ? undefined : observer.onInternalError);
  // Observation runs inside the traffic's event handlers: a fault there must not reach them.
  const tapped = <T>(fn: () => T): T | undefined => {
    try {
      return fn();
    } catch (err) {
      onInternalError?.(err);
      return undefined;
    }
  };
  const guard = (fn: () => void): void => void tapped(fn);
  const stats = emptyStats();
  const sessions = new SessionTable({
    settings,
    idleMs: options.sessionIdleMs ?? 30 * 60_000,
    maxSessions: options.maxSessions ?? 10_000,
    guard,
  });
  const ctx: ExchangeContext = {
    sessions,
    stats,
    maxBodyBytes: options.maxBodyBytes ?? 16 * 1024 * 1024,
    guard,
    skipped: (reason) => options.onSkipped?.(reason),
  };
  const secure = target.protocol === 'https:';
  // Connections to the server are reused: a fresh one per request is latency the client
  // sees. An idle one is let go after 1.5 s, before servers drop theirs (gunicorn after 2 s,
  // Node and uvicorn after 5 s): reusing a connection the server is closing fails the request.
  // (On a socket in use the timeout only emits an event nobody listens to: streams go on.)
  const agentOptions = { keepAlive: true, timeout: 1_500 };
  const agent = secure ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions);
  const send = secure ? httpsRequest : httpRequest;
  const prefix = target.pathname.replace(/\/+$/, '');

  const server = createServer((req, res) => {
    stats.requests++;
    if (!req.url?.startsWith('/')) return plain(res, 400, 'toolwatch proxy: a reverse proxy takes origin-form request targets only');
    const exchange = new Exchange(ctx, req);
    const upstream = send({
      protocol: target.protocol,
      hostname: target.hostname.replace(/^\[|\]$/g, ''),
      port: target.port,
      method: req.method,
      path: prefix + req.url,
      headers: upstreamRequestHeaders(req, target),
      agent,
    });
    upstream.once('socket', (socket) => {
      if (!socket.connecting) guard(() => exchange.upstreamConnected());
      else socket.once('connect', () => guard(() => exchange.upstreamConnected()));
    });

    // Forward first, observe after: the copy must not delay the bytes.
    req.pipe(upstream);
    const requestTap = tapped(() => exchange.requestTap());
    if (requestTap) {
      req.on('data', (chunk: Buffer) => guard(() => requestTap.write(chunk)));
      req.once('end', () => guard(() => requestTap.end()));
    }

    let answered = false;
    upstream.once('response', (response) => {
      answered = true;
      relay(response, res, exchange);
    });
    upstream.on('error', (err: NodeJS.ErrnoException) => {
      if (answered) return; // the relay's pipeline deals with a stream broken off
      guard(() => {
        requestTap?.stop();
        exchange.ended();
      });
      if (res.headersSent || res.destroyed) return;
      stats.upstreamErrors++;
      req.unpipe(upstream);
      req.resume(); // drain what the client still sends, so the 502 reaches it
      plain(res, 502, `toolwatch proxy: the MCP server at ${target.host} did not answer (${err.code ?? 'error'})`);
    });
    res.once('close', () => {
      // The client went away before the answer was through: so does the upstream request
      // (the server sees its SSE stream cancelled).
      if (!res.writableFinished) upstream.destroy();
      guard(() => exchange.ended());
    });
  });

  function relay(response: IncomingMessage, res: ServerResponse, exchange: Exchange): void {
    const status = response.statusCode ?? 502;
    guard(() => exchange.responded(status, response.headers));
    res.writeHead(status, response.statusMessage, endToEnd(response.rawHeaders, response.headers));
    // A streamed answer (SSE) may say nothing for a while: the client should not wait for
    // the headers meanwhile.
    if (response.headers['content-length'] === undefined) res.flushHeaders();
    const tap = tapped(() => exchange.responseTap(response));
    pipeline(response, res, (err) => {
      if (err && !res.writableFinished && response.errored) stats.upstreamErrors++;
      guard(() => {
        if (err) tap?.stop();
        exchange.ended();
      });
    });
    if (tap) {
      response.on('data', (chunk: Buffer) => guard(() => tap.write(chunk)));
      response.once('end', () => guard(() => tap.end()));
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.listenPort ?? 0, options.listenHost ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  let closing: Promise<void> | undefined;
  return {
    url: new URL(`http://${host}:${address.port}`),
    stats,
    sessions: () => sessions.size,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections(); // SSE streams never end by themselves
      }).then(() => {
        agent.destroy();
        sessions.closeAll();
      })),
  };
}

function checkTarget(target: URL): URL {
  if (target.protocol !== 'http:' && target.protocol !== 'https:') throw new Error(`proxy target must be an http: or https: URL, not ${target.protocol}`);
  // Credentials in the target would be sent for every client: they belong to the clients.
  if (target.username || target.password) throw new Error('proxy target must not contain credentials');
  if (target.search || target.hash) throw new Error('proxy target must not have a query or fragment');
  return target;
}

function plain(res: ServerResponse, status: number, text: string): void {
  const body = `${text}\n`;
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body), connection: 'close' });
  res.end(body);
}
