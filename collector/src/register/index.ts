/**
 * Zero-code instrumentation: `node --import toolwatch/register server.js`.
 *
 * Patches the MCP SDK's Protocol class as it loads — through an ESM load hook for ESM
 * servers and require-in-the-middle for CommonJS ones — so that every server connect is
 * observed, with the exporter and settings taken from `TOOLWATCH_*` variables. It writes
 * nothing to stdout (a stdio server's channel), and a bad setting is reported on stderr
 * while the server runs on, uninstrumented: toolwatch must never stop a server.
 */
import { register } from 'node:module';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { Hook } from 'require-in-the-middle';
import { observeWhenStarted } from '../instrument.js';
import { telemetryFromEnv } from '../telemetry-from-env.js';
import { registerSettingsFromEnv } from './env-settings.js';
import { patchProtocol } from './patch-protocol.js';

const warn = (message: string) => process.stderr.write(`toolwatch: ${message}\n`);

function install(): void {
  if (registerSettingsFromEnv(process.env).disabled) return;
  // Built now, so a bad exporter setting shows at start-up rather than at the first call;
  // the tracer providers inside are made only when a server connects.
  const { telemetry, settings } = telemetryFromEnv(process.env, warn);
  const onInternalError = settings.debug ? (err: unknown) => warn(`instrumentation error: ${(err as Error).message}`) : undefined;
  let stdinWatched = false;

  const onServerConnect = (server: object, transport: Transport) => {
    observeWhenStarted(server, transport, telemetry, { serviceName: settings.serviceName, onInternalError });
    // A stdio session ends when the client closes stdin; the SDK does not say so. Flush
    // then, and close the exporter so its sockets do not keep the server process alive.
    if (!stdinWatched && /Stdio/.test(transport.constructor?.name ?? '')) {
      stdinWatched = true;
      process.stdin.once('end', () => void telemetry.shutdown());
    }
  };

  (globalThis as Record<symbol, unknown>)[Symbol.for('toolwatch.patchProtocol')] = (Protocol: unknown) => patchProtocol(Protocol, onServerConnect);
  register('./hooks.js', import.meta.url);
  new Hook(['@modelcontextprotocol/sdk'], { internals: true }, (exports, name) => {
    if (/dist[/\\]cjs[/\\]shared[/\\]protocol\.js$/.test(name)) patchProtocol((exports as { Protocol?: unknown }).Protocol, onServerConnect);
    return exports;
  });
  process.once('beforeExit', () => void telemetry.shutdown());
}

try {
  install();
} catch (err) {
  warn(`${(err as Error).message}; the server runs without instrumentation`);
}
