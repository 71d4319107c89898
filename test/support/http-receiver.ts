import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  /** Path without the query. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: string | object;
}

/**
 * A loopback HTTP server standing in for a SIEM or incident tool: it records every request
 * and answers with what `handler` returns, so a test plays the product's documented replies
 * (its success body, 503 busy, 429 with Retry-After…).
 */
export async function startHttpReceiver(handler: (req: ReceivedRequest) => Reply = () => ({ status: 200 })) {
  const received: ReceivedRequest[] = [];
  let respond = handler;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://receiver');
      const request = { method: req.method ?? '', path: url.pathname, query: url.searchParams, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      received.push(request);
      const reply = respond(request);
      const body = reply.body === undefined ? '' : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
      const type = typeof reply.body === 'object' ? { 'content-type': 'application/json' } : {};
      res.writeHead(reply.status, { ...type, ...reply.headers }).end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return {
    origin: `http://127.0.0.1:${port}`,
    received,
    /** Changes the answers from now on. */
    replyWith(next: (req: ReceivedRequest) => Reply) {
      respond = next;
    },
    stop: close,
    /** Takes the receiver off the network (connections refused) until `up`. */
    down: close,
    /** Listens again on the same port, with what it has received so far. */
    up: () => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve)),
  };
}
export type HttpReceiver = Awaited<ReturnType<typeof startHttpReceiver>>;
