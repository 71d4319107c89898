import { basename, extname } from 'node:path';
import { httpProxyCommand } from './http-command.js';
import { telemetryFromEnv } from '../telemetry-from-env.js';
import { startStdioProxy } from './stdio-proxy.js';

type Log = (level: 'info' | 'warn' | 'error', message: string) => void;

export const PROXY_HELP = `Usage: toolwatch proxy [--service <name>] -- <command> [args…]
       toolwatch proxy --http [--listen <host:port>] --target <url> [--service <name>]

Runs an MCP server of any language behind toolwatch. Messages pass through unchanged in
both directions; each request becomes a span, exactly as with instrument().

stdio: the MCP client starts \`toolwatch proxy -- <command>\` instead of \`<command>\`.

--http: a reverse proxy in front of a Streamable HTTP server. Clients use the proxy's
address with the server's path: with --target http://10.0.0.5:3001, the server's
http://10.0.0.5:3001/mcp is http://<listen>/mcp. A path in --target is a prefix added to
every request's path. Runs until SIGINT or SIGTERM, then flushes the spans.

Options:
  --service <name>        service.name of the spans (default: TOOLWATCH_SERVICE_NAME,
                          OTEL_SERVICE_NAME, else taken from the command, or the
                          target's host:port with --http)
  --listen <host:port>    --http: where to listen (default 127.0.0.1:8080)
  --target <url>          --http: the server's origin (http: or https:), optional path prefix
  --max-body-bytes <n>    --http: a larger body or SSE event is forwarded, not observed
                          (default 16777216)
  --session-idle <s>      --http: a session silent this long, with no stream open, ends
                          (default 1800)
  -h, --help              this text

The exporter is configured by the TOOLWATCH_* environment variables (see README,
"Configuration by environment"), Kafka by default.

Examples:
  in an MCP client's configuration:
    "command": "npx", "args": ["toolwatch", "proxy", "--", "python3", "server.py"]
  in front of an HTTP server:
    toolwatch proxy --http --listen 0.0.0.0:8080 --target http://127.0.0.1:3001
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
  if (own.includes('--http') && !own.includes('-h') && !own.includes('--help')) {
    if (command.length > 0) {
      log('error', 'proxy: --http takes a --target, not a server command');
      return 2;
    }
    return httpProxyCommand(own, log);
  }
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
  const { telemetry, settings } = telemetryFromEnv(process.env, (m) => log('warn', m));
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
