import { Semconv, Toolwatch, type AlertRecord, type SpanRecord } from '@toolwatch/schemas';

/** A span record as the scorers read it: event time and the few fields they key on. */
export interface ObservedSpan {
  record: SpanRecord;
  /** Event time (span start) in ms, for windows; `timeNs` is the exact value for ids. */
  timeMs: number;
  timeNs: string;
  method: string;
  /** `gen_ai.tool.name`, or '' when the request is not a tool call. */
  tool: string;
  sessionKey: string;
  service: string;
}

export function observe(record: SpanRecord): ObservedSpan {
  const a = record.SpanAttributes;
  return {
    record,
    timeMs: nsToMs(record.Timestamp),
    timeNs: record.Timestamp,
    method: a[Semconv.MCP_METHOD_NAME] ?? '',
    tool: a[Semconv.GEN_AI_TOOL_NAME] ?? '',
    sessionKey: a[Toolwatch.SESSION_KEY] ?? a[Semconv.MCP_SESSION_ID] ?? record.TraceId,
    service: record.ServiceName,
  };
}

/** Floor of ns / 10^6 without a BigInt per span: the millisecond digits of a decimal
 * string of at most 21 digits make at most 15, which a double holds exactly. Anything
 * else goes the BigInt way, which throws on what is not a number as it always did. */
export const msToNs = (ms: number): string => (BigInt(Math.floor(ms)) * 1_000_000n).toString();

export function nsToMs(ns: string): number {
  if (ns.length > 21) return Number(BigInt(ns) / 1_000_000n);
  let ms = 0;
  for (let i = 0; i < ns.length; i++) {
    const digit = ns.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return Number(BigInt(ns) / 1_000_000n);
    if (i < ns.length - 6) ms = ms * 10 + digit;
  }
  return ms;
}

export interface SessionSnapshot {
  key: string;
  service: string;
  clientName: string;
  clientVersion: string;
  firstNs: string;
  lastNs: string;
  lastMs: number;
  spans: number;
  raised: Record<string, AlertRecord>;
  scoreRevision: number;
  orderedMs: number;
  recentSpanIds: string[];
  slots: Record<string, unknown>;
}

/** What the detector knows of one session. Scorers keep their own per-session state in
 * slots (plain JSON), so adding a scorer never touches this class. */
export class SessionState {
  clientName = '';
  clientVersion = '';
  firstNs: string;
  lastNs: string;
  lastMs: number;
  spans = 0;
  /** Each alert the session raised, as its latest revision, by id. */
  raised: Record<string, AlertRecord> = {};
  /** Session score records made so far: the next one's revision. */
  scoreRevision = 0;
  /** Baseline keys by client name and tool, built once a session rather than on every span;
   * derived, so never saved. */
  readonly keyCache = new Map<string, Map<string | undefined, readonly string[]>>();
  /** Event time the engine last moved the session to the back of its idle order. */
  orderedMs: number;
  /** Alert ids by (rule, entity, window): derived, never saved. */
  readonly alertIds = new Map<string, string>();
  private readonly slots = new Map<string, unknown>();
  private readonly recentSpanIds = new Set<string>();

  constructor(
    readonly key: string,
    readonly service: string,
    first: ObservedSpan,
  ) {
    this.firstNs = first.timeNs;
    this.lastNs = first.timeNs;
    this.lastMs = first.timeMs;
    this.orderedMs = first.timeMs;
  }

  /** True when this span was seen already: a batch retried after a failed write, or a
   * span sent twice, must not count twice. Remembers the last 4,096 spans. */
  isRepeat(span: ObservedSpan): boolean {
    // One hash lookup, not two: adding an id already there changes neither size nor order.
    const before = this.recentSpanIds.size;
    this.recentSpanIds.add(span.record.SpanId);
    if (this.recentSpanIds.size === before) return true;
    if (this.recentSpanIds.size > 4096) this.recentSpanIds.delete(this.recentSpanIds.values().next().value!);
    return false;
  }

  update(span: ObservedSpan): void {
    this.spans += 1;
    // Spans of one session arrive in order of their end, not their start: keep the max.
    if (span.timeMs >= this.lastMs) {
      this.lastMs = span.timeMs;
      this.lastNs = span.timeNs;
    }
    const a = span.record.SpanAttributes;
    this.clientName = a[Toolwatch.CLIENT_NAME] ?? this.clientName;
    this.clientVersion = a[Toolwatch.CLIENT_VERSION] ?? this.clientVersion;
  }

  toJSON(): SessionSnapshot {
    return {
      key: this.key,
      service: this.service,
      clientName: this.clientName,
      clientVersion: this.clientVersion,
      firstNs: this.firstNs,
      lastNs: this.lastNs,
      lastMs: this.lastMs,
      spans: this.spans,
      raised: this.raised,
      scoreRevision: this.scoreRevision,
      orderedMs: this.orderedMs,
      recentSpanIds: [...this.recentSpanIds],
      slots: Object.fromEntries(this.slots),
    };
  }

  static fromJSON(saved: SessionSnapshot): SessionState {
    const first = { timeNs: saved.firstNs, timeMs: 0 } as ObservedSpan;
    const session = new SessionState(saved.key, saved.service, first);
    Object.assign(session, { clientName: saved.clientName, clientVersion: saved.clientVersion, lastNs: saved.lastNs, lastMs: saved.lastMs, spans: saved.spans });
    Object.assign(session, { raised: structuredClone(saved.raised ?? {}), scoreRevision: saved.scoreRevision ?? 0, orderedMs: saved.orderedMs ?? saved.lastMs });
    for (const id of saved.recentSpanIds) session.recentSpanIds.add(id);
    for (const [name, value] of Object.entries(saved.slots)) session.slots.set(name, structuredClone(value));
    return session;
  }

  /** Alerts raised so far: a session that raised any teaches no baseline what normal is
   * (a loop's reads would otherwise raise the bar for the next exfiltration). */
  get alerts(): number {
    return Object.keys(this.raised).length;
  }

  /** Replaces a slot's value (a scorer turning a restored one back into its class). */
  setSlot<T>(name: string, value: T): T {
    this.slots.set(name, value);
    return value;
  }

  slot<T>(name: string, init: () => T): T {
    let value = this.slots.get(name) as T | undefined;
    if (value === undefined) {
      value = init();
      // A scorer that only asks (init returns undefined) must not create the slot.
      if (value !== undefined) this.slots.set(name, value);
    }
    return value;
  }
}
