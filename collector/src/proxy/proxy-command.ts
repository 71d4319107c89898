import { basename, extname } from 'node:path';
import { exporterFromEnv } from '../exporters/from-env.js';
import { redactValue, scanValue } from '../redaction/index.js';
import { registerSettingsFromEnv } from '../register/env-settings.js';
import { createTelemetry } from '../telemetry.js';
import { startStdioProxy } from './stdio-proxy.js';

type Log = (level: 'info' | 'warn' | 'error', message: string) => void;

export const PROXY_HELP = `Usage: toolwatch proxy [--service <name>] -- <command> [args…]

Runs a stdio MCP server of any language behind toolwatch: the MCP client starts
\`toolwatch proxy -- <command>\` instead of \`<command>\`. Messages pass through unchanged in
both directions; each request becomes a span, exactly as with instrument().

Options:
  --service <name>   service.name of the spans (default: TOOLWATCH_SERVICE_NAME,
                     OTEL_SERVICE_NAME, else taken from the command)
  -h, --help         this text

The exporter is configured by the TOOLWATCH_* environment variables (see README,
"Configuration by environment"), Kafka by default.

Example, in an MCP client's configuration:
  "command": "npx", "args": ["toolwatch", "proxy", "--", "python3", "server.py"]
`;

const LAUNCHERS = new Set(['node', 'nodejs', 'python', 'python3', 'npx', 'uvx', 'uv', 'deno', 'bun', 'java', 'ruby', 'dotnet', 'go', 'run', 'exec']);

/** `python3 -u servers/weather.py` → `weather`; `npx @acme/mcp-notes` → `mcp-notes`. */
export function serviceNameFromCommand(command: string[]): string {
  const word = command.find((w) => !w.startsWith('-') && !LAUNCHERS.has(basename(w).replace(/\.exe$/, '')));
  if (!word) return basename(command[0] ?? 'mcp-server');
  const base = basename(word);
  return base.slice(0, base.length - extname(base).length) || base;
}

export async function proxyCommand(argv: string[], log: Log): Promise<number> {
  const dash = argv.indexOf('--');
  const own = dash === -1 ? argv : argv.slice(0, dash);
  const command = dash === -1 ? [] : argv.slice(dash + 1);
  let service: string | undefined;
  for (let i = 0; i < own.length; i++) {
    const arg = own[i]!;
    if (arg === '-h' || arg === '--help') {
      process.stderr.write(PROXY_HELP); // stdout is the MCP channel
      return 0;
    }
    if (arg === '--service' && own[i + 1]) service = own[++i];
    else {
      log('error', `proxy: unknown option ${JSON.stringify(arg)}`);
      return 2;
    }
  }
  if (command.length === 0) {
    log('error', 'proxy: no server command; usage: toolwatch proxy [--service <name>] -- <command> [args…]');
    return 2;
  }
  const settings = registerSettingsFromEnv(process.env);
  const telemetry = createTelemetry({
    exporter: exporterFromEnv(process.env),
    redaction: { scanValue, redactValue },
    capture: settings.capture,
    onInternalError: settings.debug ? (err) => log('warn', `instrumentation error: ${(err as Error).message}`) : undefined,
  });
  const proxy = startStdioProxy({
    command: command[0]!,
    args: command.slice(1),
    observer: telemetry.observerSettings(service ?? settings.serviceName ?? serviceNameFromCommand(command)),
    onSkipped: settings.debug ? (reason) => log('warn', `proxy: message not observed: ${reason}`) : undefined,
  });
  const forward = (signal: NodeJS.Signals) => () => proxy.kill(signal);
  process.on('SIGINT', forward('SIGINT'));
  process.on('SIGTERM', forward('SIGTERM'));
  const code = await proxy.exited;
  await telemetry.shutdown();
  return code;
}
