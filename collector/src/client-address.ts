import type { IncomingMessage } from 'node:http';

/** The header that carries the socket's address from the middleware to the observer: the
 * SDK hands a transport's message handler the request headers, never the socket. */
export const CLIENT_ADDRESS_HEADER = 'x-toolwatch-client-address';

/**
 * Records who connected, for `client.address` / `client.port` on the spans of an HTTP MCP
 * server. Use before the SDK's handler: `app.use(clientAddress())` in Express, or call it
 * on the request in a plain `http` handler. A value a client sent in the header is
 * overwritten, never trusted.
 */
export function clientAddress() {
  return (req: IncomingMessage, _res?: unknown, next?: () => void): void => {
    const { remoteAddress, remotePort } = req.socket;
    const value = remoteAddress ? `${remoteAddress.replace(/^::ffff:/, '')} ${remotePort ?? ''}`.trim() : undefined;
    // Both views of the headers: the SDK's transport (through @hono/node-server) reads
    // rawHeaders, other code reads headers. Whatever the client sent under the name goes.
    const raw = req.rawHeaders;
    for (let i = raw.length - 2; i >= 0; i -= 2) if (raw[i]!.toLowerCase() === CLIENT_ADDRESS_HEADER) raw.splice(i, 2);
    if (value) {
      raw.push(CLIENT_ADDRESS_HEADER, value);
      req.headers[CLIENT_ADDRESS_HEADER] = value;
    } else delete req.headers[CLIENT_ADDRESS_HEADER];
    next?.();
  };
}
