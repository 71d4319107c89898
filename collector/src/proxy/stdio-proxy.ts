import { spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { McpObserver, type ObserverSettings } from '../observer/mcp-observer.js';
import { isObject } from '../observer/span-attributes.js';
import { JsonLines } from './json-lines.js';

export interface StdioProxyOptions {
  command: string;
  args: string[];
  observer: ObserverSettings;
  /** The client side; the process's own stdio by default. */
  input?: Readable;
  output?: Writable;
  errors?: Writable;
  env?: NodeJS.ProcessEnv;
  onSkipped?: (reason: string) => void;
}

export interface StdioProxy {
  pid: number | undefined;
  /** Resolves with the server's exit code (128 + signal number when killed). */
  exited: Promise<number>;
  kill(signal?: NodeJS.Signals): void;
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

/**
 * Sits between an MCP client and a stdio MCP server of any language: bytes pass through
 * unchanged in both directions, and a copy of each line feeds the observer, as if the
 * server had been instrumented itself.
 */
export function startStdioProxy(options: StdioProxyOptions): StdioProxy {
  const input = options.input ?? process.stdin;
  const output = options.output ?? process.stdout;
  const errors = options.errors ?? process.stderr;
  const observer = new McpObserver(options.observer, { network: { 'network.transport': 'pipe' }, sessionId: () => undefined });
  const guard = (fn: () => void) => {
    try {
      fn();
    } catch (err) {
      options.observer.onInternalError?.(err);
    }
  };
  const skipped = (reason: string) => options.onSkipped?.(reason);
  const fromClient = new JsonLines((m) => guard(() => isObject(m) && observer.received(m)), skipped);
  const fromServer = new JsonLines((m) => guard(() => isObject(m) && observer.sent(m)), skipped);

  const child = spawn(options.command, options.args, { stdio: ['pipe', 'pipe', 'pipe'], env: options.env ?? process.env });
  const exited = new Promise<number>((resolve) => {
    child.once('error', (err) => {
      errors.write(`toolwatch proxy: cannot start ${options.command}: ${(err as NodeJS.ErrnoException).code ?? err.message}\n`);
      resolve(127);
    });
    child.once('close', (code, signal) => {
      guard(() => observer.closed());
      // Nobody is left to read what the client sends: stop reading, or an open stdin
      // keeps the proxy alive after its server is gone.
      input.removeAllListeners('data');
      input.pause();
      if (input === process.stdin) process.stdin.destroy();
      resolve(code ?? 128 + (SIGNALS[signal ?? ''] ?? 0));
    });
  });

  // Forward first, observe after: the proxy must add no latency it can avoid.
  input.on('data', (chunk: Buffer) => {
    if (!child.stdin.write(chunk)) input.pause();
    fromClient.push(chunk);
  });
  child.stdin.on('drain', () => input.resume());
  input.once('end', () => child.stdin.end());
  child.stdin.on('error', () => {}); // the server went away; 'close' reports it

  child.stdout.on('data', (chunk: Buffer) => {
    if (!output.write(chunk)) child.stdout.pause();
    fromServer.push(chunk);
  });
  output.on('drain', () => child.stdout.resume());
  child.stderr.pipe(errors, { end: false });

  return { pid: child.pid, exited, kill: (signal = 'SIGTERM') => child.kill(signal) };
}
