import { Toolwatch } from '@toolwatch/schemas';
import { RecentValues } from '../baselines/recent-values.js';
import { msToNs, type ObservedSpan, type SessionState } from '../session.js';
import { NO_FINDINGS, overThreshold, refOf, spanEvidence, type Finding, type Scorer, type SpanRef } from './scorer.js';

export interface SessionHistory {
  /** Sessions remembered per client (and per server, the fallback). */
  sessions: number;
  /** Sessions a client needs before its own history judges it. */
  minSessions: number;
  maxKeys: number;
}

export interface RateConfig {
  /** Hard limit: more tool calls than `maxCalls` within `windowMs`, whatever was learned. */
  windowMs: number;
  maxCalls: number;
  /** Bursts: more calls within `windowMs` than `factor` times the most this client's
   * recent sessions made in as long, and at least `minCalls`. A count in a sliding window,
   * not a run of short gaps: a steady batch job near any gap limit would break its runs at
   * random and teach a history as jittery as the gaps. */
  burst: { windowMs: number; minCalls: number; factor: number };
  /** Loops: one call (tool and canonical arguments) repeated within `windowMs`, more than
   * `factor` times the most this client repeats a call to this tool, at least `minRepeats`
   * times; or `hardLimit` times whatever was learned (SAFE-MCP T1106). */
  identical: { windowMs: number; hardLimit: number; minRepeats: number; factor: number };
  history: SessionHistory;
}

/**
 * A session's rate state. The per-call histories are Maps: nearly every call is new, and a
 * new key on a plain object is interned in V8's string table first, which cost more than
 * the rest of the scorer. Snapshots hold them as plain objects (`toJSON`, `from`).
 */
class RateSlot {
  times: number[] = [];
  recent: SpanRef[] = [];
  burstTimes: number[] = [];
  maxInBurstWindow = 0;
  repeats = new Map<string, number[]>();
  maxRepeatsByTool = new Map<string, number>();
  windowAlertedAt = -1;
  /** When the burst alert opened: its window, kept while it escalates. */
  burstAtNs: string | null = null;
  /** Per looping call, when its alert opened. */
  loopsAtNs = new Map<string, string>();

  /** From a snapshot: JSON (plain objects) or a structured clone (Maps). */
  static from(saved: Record<string, unknown>): RateSlot {
    const slot = Object.assign(new RateSlot(), saved);
    const map = <V>(x: unknown) => (x instanceof Map ? new Map(x as Map<string, V>) : new Map(Object.entries((x ?? {}) as Record<string, V>)));
    slot.repeats = map<number[]>(saved.repeats);
    slot.maxRepeatsByTool = map<number>(saved.maxRepeatsByTool);
    slot.loopsAtNs = map<string>(saved.loopsAtNs);
    return slot;
  }

  toJSON() {
    return {
      ...this,
      repeats: Object.fromEntries(this.repeats),
      maxRepeatsByTool: Object.fromEntries(this.maxRepeatsByTool),
      loopsAtNs: Object.fromEntries(this.loopsAtNs),
    };
  }
}

const TAGS = ['safe-mcp:SAFE-T1106'];

/** High-frequency calls: a fixed window limit, runs of rapid calls longer than the client
 * ever makes, and loops of one identical call beyond how often the client repeats itself. */
export class RateScorer implements Scorer {
  readonly name = 'rate';
  readonly kind = 'rate' as const;
  private readonly bursts: RecentValues;
  private readonly repeats: RecentValues;

  constructor(private readonly config: RateConfig) {
    this.bursts = new RecentValues(config.history.sessions, config.history.maxKeys);
    this.repeats = new RecentValues(config.history.sessions, config.history.maxKeys);
  }

  observe(span: ObservedSpan, session: SessionState): Finding[] {
    if (span.method !== 'tools/call') return NO_FINDINGS;
    const s = this.slotOf(session, true)!;
    s.recent.push(refOf(span));
    if (s.recent.length > 32) s.recent.shift();
    const window = this.windowLimit(span, s);
    const burst = this.burst(span, s, session);
    const loop = this.loop(span, s, session);
    if (!window && !burst && !loop) return NO_FINDINGS;
    return [window, burst, loop].filter((f): f is Finding => f !== undefined);
  }

  end(session: SessionState): void {
    const s = this.slotOf(session, false);
    if (!s) return;
    const keys = clientKeys(session.service, session.clientName);
    learnSession(this.bursts, keys, s.maxInBurstWindow, session.alerts > 0, this.config.history.minSessions);
    for (const [tool, max] of s.maxRepeatsByTool) {
      learnSession(this.repeats, clientKeys(session.service, session.clientName, tool), max, session.alerts > 0, this.config.history.minSessions);
    }
  }

  /** The session's rate state; one restored from a snapshot is made a RateSlot again. */
  private slotOf(session: SessionState, create: boolean): RateSlot | undefined {
    const s = session.slot<RateSlot | undefined>(this.name, () => (create ? new RateSlot() : undefined));
    if (s === undefined || s instanceof RateSlot) return s;
    return session.setSlot(this.name, RateSlot.from(s as unknown as Record<string, unknown>));
  }

  snapshot(): unknown {
    return { bursts: this.bursts.toJSON(), repeats: this.repeats.toJSON() };
  }

  restore(state: unknown): void {
    const saved = state as { bursts: Record<string, number[]>; repeats: Record<string, number[]> };
    this.bursts.restore(saved.bursts);
    this.repeats.restore(saved.repeats);
  }

  private windowLimit(span: ObservedSpan, s: RateSlot): Finding | undefined {
    const { windowMs, maxCalls } = this.config;
    s.times.push(span.timeMs);
    while (s.times.length > 0 && s.times[0]! <= span.timeMs - windowMs) s.times.shift();
    const observed = s.times.length;
    // A tumbling window names the alert, so a restart that lost the sliding state still
    // names the same alert for the same minute.
    const bucket = Math.floor(span.timeMs / windowMs) * windowMs;
    if (observed <= maxCalls || s.windowAlertedAt === bucket) return undefined;
    s.windowAlertedAt = bucket;
    return {
      rule: 'rate.session_window',
      entity: '',
      windowStartNs: msToNs(bucket),
      ...overThreshold(observed, maxCalls),
      title: `${observed} tool calls in ${windowMs / 1000} s (limit ${maxCalls})`,
      tool: '',
      evidence: { observed, baseline: null, threshold: maxCalls, unit: 'calls', windowMs, ...spanEvidence(s.recent) },
      tags: TAGS,
    };
  }

  private burst(span: ObservedSpan, s: RateSlot, session: SessionState): Finding | undefined {
    const { windowMs, minCalls, factor } = this.config.burst;
    const times = s.burstTimes;
    times.push(span.timeMs);
    while (times.length > 0 && times[0]! <= span.timeMs - windowMs) times.shift();
    const observed = times.length;
    s.maxInBurstWindow = Math.max(s.maxInBurstWindow, observed);
    if (observed < minCalls) return undefined;
    const usual = this.bursts.summary(keysOf(session, span), this.config.history.minSessions);
    if (!usual) return undefined;
    const limit = Math.max(minCalls, Math.ceil(factor * usual.max));
    if (observed < limit) return undefined;
    // Reported while it lasts: the engine updates the alert when it grows more severe.
    s.burstAtNs ??= span.timeNs;
    return {
      rule: 'rate.burst',
      entity: '',
      windowStartNs: s.burstAtNs,
      ...overThreshold(observed, limit),
      title: `${observed} calls in ${windowMs / 1000} s, against at most ${usual.max} in this client's recent sessions`,
      tool: span.tool,
      evidence: { observed, baseline: usual.max, threshold: limit, unit: 'calls', windowMs, ...spanEvidence(s.recent.slice(-observed)) },
      tags: TAGS,
    };
  }

  private loop(span: ObservedSpan, s: RateSlot, session: SessionState): Finding | undefined {
    const { windowMs, hardLimit, minRepeats, factor } = this.config.identical;
    const hash = span.record.SpanAttributes[Toolwatch.ARGUMENTS_HASH];
    if (!hash) return undefined;
    const call = `${span.tool}\u0000${hash}`;
    let times = s.repeats.get(call);
    if (!times) {
      // Bounded: past 512 distinct calls the oldest one's history goes.
      if (s.repeats.size >= 512) s.repeats.delete(s.repeats.keys().next().value!);
      times = [];
      s.repeats.set(call, times);
    }
    times.push(span.timeMs);
    while (times.length > 0 && times[0]! <= span.timeMs - windowMs) times.shift();
    const repeated = times.length;
    if (repeated > (s.maxRepeatsByTool.get(span.tool) ?? 0)) s.maxRepeatsByTool.set(span.tool, repeated);
    if (repeated < minRepeats) return undefined;

    const usual = this.repeats.summary(keysOf(session, span, span.tool), this.config.history.minSessions);
    const limit = usual ? Math.min(hardLimit, Math.max(minRepeats, Math.floor(factor * usual.max) + 1)) : hardLimit;
    if (repeated < limit) return undefined;
    let windowStartNs = s.loopsAtNs.get(call);
    if (windowStartNs === undefined) s.loopsAtNs.set(call, (windowStartNs = span.timeNs));
    return {
      rule: 'rate.identical_calls',
      entity: call,
      windowStartNs,
      ...overThreshold(repeated, limit),
      title: `the same "${span.tool}" call ${repeated} times in ${windowMs / 60_000} min`,
      tool: span.tool,
      evidence: { observed: repeated, baseline: usual?.max ?? null, threshold: limit, unit: 'identical calls', windowMs, ...spanEvidence(s.recent.slice(-repeated)) },
      tags: TAGS,
    };
  }
}

/**
 * What a finished session teaches a history: not what it was flagged for, unless the
 * client's own history is still too short to judge it — then it was judged by the server's
 * other clients, and its own history must learn it or never become its own.
 */
export function learnSession(history: RecentValues, keys: readonly string[], value: number, flagged: boolean, minSessions: number): void {
  const [client, server] = keys as [string, string];
  if (!flagged) {
    history.add(client, value);
    history.add(server, value);
  } else if (!history.has(client, minSessions)) history.add(client, value);
}

/** Baseline keys, most specific first: this client on this server, then the server as a
 * whole, so a client seen for the first time is judged against everyone else's habits. */
export const clientKeys = (service: string, client: string, ...more: string[]): string[] => {
  const tail = more.length ? `\u0000${more.join('\u0000')}` : '';
  return [`${service}\u0000${client}${tail}`, `${service}\u0000*${tail}`];
};
/** `clientKeys` for the span's client, and `tool` when given: built once per session. */
export function keysOf(session: SessionState, span: ObservedSpan, tool?: string): readonly string[] {
  const client = span.record.SpanAttributes[Toolwatch.CLIENT_NAME] ?? '';
  let byTool = session.keyCache.get(client);
  if (!byTool) session.keyCache.set(client, (byTool = new Map()));
  let keys = byTool.get(tool);
  // The session's service, not the span's: one session is judged by one server's habits.
  if (!keys) byTool.set(tool, (keys = tool === undefined ? clientKeys(session.service, client) : clientKeys(session.service, client, tool)));
  return keys;
}
