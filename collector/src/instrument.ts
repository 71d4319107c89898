import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { observeTransport } from './observe-transport.js';
import { INSTRUMENTED } from './register/patch-protocol.js';
import { createTelemetry, type Telemetry, type TelemetryOptions } from './telemetry.js';

/** The low-level `Server` and the high-level `McpServer` (which holds a `Server`). */
export type ServerLike = { connect(transport: Transport): Promise<void> };
export type InstrumentTarget = ServerLike | { server: ServerLike };

export interface InstrumentOptions extends TelemetryOptions {
  /** `service.name` of the spans; defaults to the name the server gives in serverInfo. */
  serviceName?: string;
}

export interface Instrumentation {
  /** Instruments one more server (one per session in the usual HTTP deployment) with the
   * same exporter. Returns the server. */
  instrument<T extends InstrumentTarget>(target: T): T;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

/**
 * Instruments an MCP server in place: every connection it makes from now on emits one
 * SERVER span per MCP request. Call it before `connect`.
 */
export function instrument(target: InstrumentTarget, options: InstrumentOptions): Instrumentation {
  const instrumentation = createInstrumentation(options);
  instrumentation.instrument(target);
  return instrumentation;
}

/** One exporter and span pipeline for any number of servers. */
export function createInstrumentation(options: InstrumentOptions): Instrumentation {
  const telemetry = createTelemetry(options);
  return {
    instrument: (target) => {
      const server: ServerLike = 'server' in target && typeof target.server?.connect === 'function' ? target.server : (target as ServerLike);
      wrapConnect(server, telemetry, options);
      return target;
    },
    forceFlush: () => telemetry.forceFlush(),
    shutdown: () => telemetry.shutdown(),
  };
}

/** The SDK's `Server` keeps its serverInfo in a private field; read it, never require it. */
export function serverInfo(server: object): { name?: string; version?: string } {
  return (server as { _serverInfo?: { name?: string; version?: string } })._serverInfo ?? {};
}

/** Observes every transport the server connects to from now on. */
export function wrapConnect(server: ServerLike, telemetry: Telemetry, options: ObserveOptions): void {
  // `node --import toolwatch/register` may be active too: one observer per connection.
  (server as unknown as Record<symbol, unknown>)[INSTRUMENTED] = true;
  const connect = server.connect.bind(server);
  server.connect = async (transport: Transport) => {
    observeWhenStarted(server, transport, telemetry, options);
    return connect(transport);
  };
}

export interface ObserveOptions {
  serviceName?: string;
  onInternalError?: (err: unknown) => void;
}

/**
 * Protocol.connect sets its handlers on the transport and then starts it: observing inside
 * start() puts the observer over the SDK's handlers before the first message arrives.
 */
export function observeWhenStarted(server: object, transport: Transport, telemetry: Telemetry, options: ObserveOptions): void {
  const start = transport.start.bind(transport);
  transport.start = async () => {
    try {
      const info = serverInfo(server);
      observeTransport(transport, telemetry.observerSettings(options.serviceName ?? info.name ?? 'mcp-server', info.version));
    } catch (err) {
      options.onInternalError?.(err);
    }
    transport.start = start;
    return start();
  };
}
