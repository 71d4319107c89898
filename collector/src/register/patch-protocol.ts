import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';

const PATCHED = Symbol.for('toolwatch.protocol.patched');
/** Set on a server that instrument() already observes, so the global patch leaves it alone. */
export const INSTRUMENTED = Symbol.for('toolwatch.server.instrumented');

type ProtocolClass = { prototype: { connect(transport: Transport): Promise<void>; [PATCHED]?: boolean } };

// Protocol is the base of both Server and Client: only a server answers to this.
const isServer = (p: object) => typeof (p as { getClientCapabilities?: unknown }).getClientCapabilities === 'function';

/**
 * Patches the SDK's Protocol class (whichever copy the server loaded) so that every
 * server's connect is observed. Idempotent; returns false when given no Protocol.
 */
export function patchProtocol(Protocol: unknown, onServerConnect: (server: object, transport: Transport) => void): boolean {
  const proto = (Protocol as ProtocolClass | undefined)?.prototype;
  if (!proto || typeof proto.connect !== 'function' || proto[PATCHED]) return false;
  const connect = proto.connect;
  proto.connect = function (this: object, transport: Transport) {
    if (isServer(this) && !(this as Record<symbol, unknown>)[INSTRUMENTED]) onServerConnect(this, transport);
    return connect.call(this, transport);
  };
  proto[PATCHED] = true;
  return true;
}
