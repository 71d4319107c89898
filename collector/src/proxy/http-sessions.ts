import type { Attributes } from '@opentelemetry/api';
import { Semconv, Toolwatch } from '@toolwatch/schemas';
import { McpObserver, type ObserverSettings } from '../observer/mcp-observer.js';

const REPLAY_MEMORY = 1024;

/** The attributes that tie a span to an Mcp-Session-Id (as the observer sets them). */
export const sessionAttributes = (id: string): Attributes => ({
  [Semconv.MCP_SESSION_ID]: id,
  [Toolwatch.SESSION_KEY]: id,
  [Toolwatch.SESSION_KEY_SOURCE]: 'mcp-session-id',
});

/** One MCP session as the proxy sees it: an observer, and what keeps it alive. */
export class HttpSession {
  readonly observer: McpObserver;
  id: string | undefined;
  lastActive = Date.now();
  /** Responses still streaming (an open GET stream keeps an idle session alive). */
  streams = 0;
  private readonly events = new Set<string>();

  constructor(settings: ObserverSettings, id: string | undefined, network: Attributes) {
    this.id = id;
    this.observer = new McpObserver(settings, { network, sessionId: () => this.id });
  }

  /** False for an SSE event id already seen: a stream resumed with Last-Event-ID replays
   * events the proxy has observed once. */
  firstSight(eventId: string): boolean {
    if (this.events.has(eventId)) return false;
    this.events.add(eventId);
    if (this.events.size > REPLAY_MEMORY) this.events.delete(this.events.values().next().value!);
    return true;
  }
}

export interface SessionTableOptions {
  settings: () => ObserverSettings;
  idleMs: number;
  maxSessions: number;
  guard: (fn: () => void) => void;
}

/**
 * The sessions by Mcp-Session-Id, least recently used first. Bounded: past `maxSessions`
 * the oldest is closed, and one idle for `idleMs` with no stream open is closed too — a
 * client may vanish without the DELETE.
 */
export class SessionTable {
  private readonly live = new Map<string, HttpSession>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly options: SessionTableOptions) {
    this.timer = setInterval(() => this.sweep(), Math.max(1_000, Math.min(options.idleMs / 4, 60_000)));
    this.timer.unref();
  }

  get size(): number {
    return this.live.size;
  }

  /** The session with this id, created for one the proxy has not seen (one that began
   * before it started). */
  get(id: string, network: Attributes): HttpSession {
    let session = this.live.get(id);
    if (session) this.live.delete(id);
    else session = new HttpSession(this.options.settings(), id, network);
    this.live.set(id, session);
    session.lastActive = Date.now();
    this.evict();
    return session;
  }

  /** An observer for a request without a session id: the initialize that will get one, or
   * a request to a stateless server. */
  unbound(network: Attributes): HttpSession {
    return new HttpSession(this.options.settings(), undefined, network);
  }

  /** The server gave an unbound session its id. False when the id is already taken. */
  bind(session: HttpSession, id: string): boolean {
    if (this.live.has(id)) return false;
    session.id = id;
    this.live.set(id, session);
    this.evict();
    return true;
  }

  close(id: string): void {
    const session = this.live.get(id);
    if (!session) return;
    this.live.delete(id);
    this.options.guard(() => session.observer.closed());
  }

  sweep(now = Date.now()): void {
    for (const [id, session] of this.live) {
      if (session.streams === 0 && now - session.lastActive > this.options.idleMs) this.close(id);
    }
  }

  closeAll(): void {
    clearInterval(this.timer);
    for (const id of [...this.live.keys()]) this.close(id);
  }

  private evict(): void {
    while (this.live.size > this.options.maxSessions) this.close(this.live.keys().next().value!);
  }
}
