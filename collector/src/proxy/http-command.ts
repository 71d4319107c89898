import { startHttpProxy } from './http-proxy.js';
import { telemetryFromEnv } from '../telemetry-from-env.js';

type Log = (level: 'info' | 'warn' | 'error', message: string) => void;

interface HttpArgs {
  listenHost: string;
  listenPort: number;
  target: URL;
  service: string | undefined;
  maxBodyBytes: number | undefined;
  sessionIdleMs: number | undefined;
}

/** `127.0.0.1:8080`, `[::1]:8080`, `:8080` or `8080` (host 127.0.0.1). */
export function parseListen(text: string): { host: string; port: number } | undefined {
  const m = /^(?:(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+))?:)?(\d{1,5})$/.exec(text);
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port > 65535) return undefined;
  return { host: m[1] ?? (m[2] || '127.0.0.1'), port };
}

const positive = (text: string | undefined): number | undefined => {
  const n = Number(text);
  return text !== undefined && Number.isInteger(n) && n > 0 ? n : undefined;
};

/** The options after `proxy --http`; a string is the error to print. */
export function parseHttpArgs(argv: string[]): HttpArgs | string {
  let listen = '127.0.0.1:8080';
  let target: string | undefined;
  const out: Omit<HttpArgs, 'listenHost' | 'listenPort' | 'target'> = { service: undefined, maxBodyBytes: undefined, sessionIdleMs: undefined };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = argv[i + 1];
    if (arg === '--http') continue;
    if (value === undefined || !['--listen', '--target', '--service', '--max-body-bytes', '--session-idle'].includes(arg)) {
      return `unknown option ${JSON.stringify(arg)}`;
    }
    i++;
    if (arg === '--listen') listen = value;
    else if (arg === '--target') target = value;
    else if (arg === '--service') out.service = value;
    else if (arg === '--max-body-bytes') {
      out.maxBodyBytes = positive(value);
      if (out.maxBodyBytes === undefined) return '--max-body-bytes takes a positive integer';
    } else {
      const seconds = positive(value);
      if (seconds === undefined) return '--session-idle takes a positive number of seconds';
      out.sessionIdleMs = seconds * 1000;
    }
  }
  const address = parseListen(listen);
  if (!address) return `--listen takes host:port, not ${JSON.stringify(listen)}`;
  if (!target) return 'no --target; usage: toolwatch proxy --http --listen <host:port> --target <url>';
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return `--target is not a URL: ${JSON.stringify(target)}`;
  }
  return { ...out, listenHost: address.host, listenPort: address.port, target: url };
}

/** `toolwatch proxy --http`: runs until SIGINT or SIGTERM, then flushes the spans. */
export async function httpProxyCommand(argv: string[], log: Log): Promise<number> {
  const args = parseHttpArgs(argv);
  if (typeof args === 'string') {
    log('error', `proxy: ${args}`);
    return 2;
  }
  const { telemetry, settings } = telemetryFromEnv(process.env, (m) => log('warn', m));
  const observer = telemetry.observerSettings(args.service ?? settings.serviceName ?? args.target.host);
  let proxy;
  try {
    proxy = await startHttpProxy({
      target: args.target,
      listenHost: args.listenHost,
      listenPort: args.listenPort,
      observer,
      maxBodyBytes: args.maxBodyBytes,
      sessionIdleMs: args.sessionIdleMs,
      onSkipped: settings.debug ? (reason) => log('warn', `proxy: message not observed: ${reason}`) : undefined,
    });
  } catch (err) {
    log('error', `proxy: ${(err as Error).message}`);
    await telemetry.shutdown();
    return 1;
  }
  log('info', `proxy: listening on ${proxy.url.origin}, forwarding to ${args.target.origin}${args.target.pathname.replace(/\/$/, '')}`);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  await proxy.close();
  await telemetry.shutdown();
  const { requests, oversized, malformed, upstreamErrors } = proxy.stats;
  log('info', `proxy: ${signal}: ${requests} requests, ${oversized} bodies over the cap, ${malformed} not JSON-RPC, ${upstreamErrors} upstream errors`);
  return 0;
}
