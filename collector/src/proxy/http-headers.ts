import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { CLIENT_ADDRESS_HEADER } from '../client-address.js';

// RFC 9110 §7.6.1: meaningful for one connection only, never forwarded. `expect` too: the
// proxy's own server already answered any 100-continue.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'expect',
]);

/** rawHeaders (name, value, name, value…) without the hop-by-hop ones, case and order kept. */
export function endToEnd(raw: string[], headers: IncomingHttpHeaders): string[] {
  const drop = new Set(HOP_BY_HOP);
  for (const token of String(headers.connection ?? '').split(',')) drop.add(token.trim().toLowerCase());
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (!drop.has(raw[i]!.toLowerCase())) out.push(raw[i]!, raw[i + 1]!);
  }
  return out;
}

/** The request's headers for the upstream: Host names the target (virtual hosts and the
 * SDK's DNS-rebinding check expect their own name), X-Forwarded-* tell the rest. */
export function upstreamRequestHeaders(req: IncomingMessage, target: URL): string[] {
  const kept = endToEnd(req.rawHeaders, req.headers);
  const out: string[] = [];
  for (let i = 0; i < kept.length; i += 2) {
    const name = kept[i]!.toLowerCase();
    if (name !== 'host' && name !== 'x-forwarded-for') out.push(kept[i]!, kept[i + 1]!);
  }
  const peer = socketAddress(req);
  const forwarded = [req.headers['x-forwarded-for'], peer?.address].flat().filter(Boolean).join(', ');
  out.push('Host', target.host);
  if (forwarded) out.push('X-Forwarded-For', forwarded);
  if (req.headers.host && !req.headers['x-forwarded-host']) out.push('X-Forwarded-Host', req.headers.host);
  if (!req.headers['x-forwarded-proto']) out.push('X-Forwarded-Proto', 'http');
  return out;
}

/**
 * The headers as the SDK's transport hands them to `onmessage` (lower-case names, one
 * string each), plus the socket's peer under the header the observer reads it from, as the
 * clientAddress() middleware sets it: whatever the client sent under that name goes.
 */
export function sdkHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined && name !== CLIENT_ADDRESS_HEADER) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  const peer = socketAddress(req);
  if (peer) out[CLIENT_ADDRESS_HEADER] = `${peer.address} ${peer.port ?? ''}`.trim();
  return out;
}

function socketAddress(req: IncomingMessage): { address: string; port: number | undefined } | undefined {
  const address = req.socket.remoteAddress;
  if (!address) return undefined;
  // A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d.
  return { address: address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address, port: req.socket.remotePort };
}
