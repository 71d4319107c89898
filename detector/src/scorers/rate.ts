import { Toolwatch } from '@toolwatch/schemas';
import { BaselineTable, type BaselineOptions } from '../baselines/baseline-table.js';
import type { ObservedSpan, SessionState } from '../session.js';
import { fromZ, overThreshold, refOf, spanEvidence, type Finding, type Scorer, type SpanRef } from './scorer.js';

export interface RateConfig {
  /** Hard limit: more tool calls than `maxCalls` within `windowMs`, whatever was learned. */
  windowMs: number;
  maxCalls: number;
  /** Bursts: the mean gap of the last `calls` calls against the client's learned gaps. */
  burst: { calls: number; zThreshold: number; maxMeanGapMs: number };
  /** Loops: one call (tool and canonical arguments) repeated within `windowMs`. */
  identical: { windowMs: number; hardLimit: number; minRepeats: number; factor: number };
  baseline: BaselineOptions;
}

interface RateSlot {
  times: number[];
  recent: SpanRef[];
  gaps: number[];
  lastMs: number | null;
  repeats: Record<string, number[]>;
  maxRepeats: number;
  windowAlertedAt: number;
  burstAlerted: boolean;
  loopsAlerted: string[];
}

const TAGS = ['safe-mcp:SAFE-T1106'];

/** High-frequency calls: a fixed window limit, bursts against the client's learned pace,
 * and loops of one identical call against how often the client normally repeats itself. */
export class RateScorer implements Scorer {
  readonly name = 'rate';
  readonly kind = 'rate' as const;
  private readonly gaps: BaselineTable;
  private readonly repeats: BaselineTable;

  constructor(private readonly config: RateConfig) {
    this.gaps = new BaselineTable(config.baseline);
    // One observation per session: warm after a tenth as many sessions as calls.
    this.repeats = new BaselineTable({ ...config.baseline, warmUp: Math.max(5, Math.ceil(config.baseline.warmUp / 10)) });
  }

  observe(span: ObservedSpan, session: SessionState): Finding[] {
    if (span.method !== 'tools/call') return [];
    const s = session.slot<RateSlot>(this.name, () => ({
      times: [],
      recent: [],
      gaps: [],
      lastMs: null,
      repeats: {},
      maxRepeats: 0,
      windowAlertedAt: -1,
      burstAlerted: false,
      loopsAlerted: [],
    }));
    const key = spanKeys(span);
    const found: Finding[] = [];
    s.recent.push(refOf(span));
    if (s.recent.length > 32) s.recent.shift();

    const windowed = this.windowLimit(span, s);
    if (windowed) found.push(windowed);
    const burst = this.burst(span, s, key);
    if (burst) found.push(burst);
    const loop = this.loop(span, s, key);
    if (loop) found.push(loop);
    return found;
  }

  end(session: SessionState): void {
    const s = session.slot<RateSlot | undefined>(this.name, () => undefined);
    if (!s || s.loopsAlerted.length > 0) return;
    this.repeats.learn(clientKeys(session.service, session.clientName), s.maxRepeats);
  }

  snapshot(): unknown {
    return { gaps: this.gaps.toJSON(), repeats: this.repeats.toJSON() };
  }

  restore(state: unknown): void {
    const saved = state as { gaps: never; repeats: never };
    this.gaps.restore(saved.gaps);
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

  private burst(span: ObservedSpan, s: RateSlot, key: string[]): Finding | undefined {
    const { calls, zThreshold, maxMeanGapMs } = this.config.burst;
    if (s.lastMs !== null) {
      s.gaps.push(Math.max(0, span.timeMs - s.lastMs));
      if (s.gaps.length > calls) s.gaps.shift();
    }
    s.lastMs = Math.max(s.lastMs ?? span.timeMs, span.timeMs);
    if (s.gaps.length < calls) return undefined;
    const meanGap = s.gaps.reduce((a, b) => a + b, 0) / s.gaps.length;
    const judged = this.gaps.judge(key, meanGap);
    // Faster than this client ever goes, and fast in absolute terms: a person or a
    // thinking model does not fire tool calls every few milliseconds.
    if (judged.warm && judged.z < -zThreshold && meanGap <= maxMeanGapMs) {
      if (s.burstAlerted) return undefined;
      s.burstAlerted = true;
      return {
        rule: 'rate.burst',
        entity: '',
        windowStartNs: span.timeNs,
        ...fromZ(judged.z, zThreshold),
        title: `calls ${Math.round(meanGap)} ms apart, against ${Math.round(judged.baseline ?? 0)} ms usual for this client`,
        tool: span.tool,
        evidence: { observed: Math.round(meanGap), baseline: round(judged.baseline), threshold: zThreshold, unit: 'ms between calls', windowMs: null, ...spanEvidence(s.recent.slice(-calls - 1)) },
        tags: TAGS,
      };
    }
    if (!s.burstAlerted) this.gaps.learn(key, meanGap);
    return undefined;
  }

  private loop(span: ObservedSpan, s: RateSlot, key: string[]): Finding | undefined {
    const { windowMs, hardLimit, minRepeats, factor } = this.config.identical;
    const hash = span.record.SpanAttributes[Toolwatch.ARGUMENTS_HASH];
    if (!hash) return undefined;
    const call = `${span.tool}\u0000${hash}`;
    const times = (s.repeats[call] ??= []);
    times.push(span.timeMs);
    while (times.length > 0 && times[0]! <= span.timeMs - windowMs) times.shift();
    const repeated = times.length;
    s.maxRepeats = Math.max(s.maxRepeats, repeated);
    if (Object.keys(s.repeats).length > 512) delete s.repeats[Object.keys(s.repeats)[0]!];

    const usual = this.repeats.judge(key, 0);
    const learned = usual.warm ? Math.max(minRepeats, Math.ceil(factor * Math.max(1, usual.baseline ?? 1))) : Number.POSITIVE_INFINITY;
    const limit = Math.min(hardLimit, learned);
    if (repeated < limit || s.loopsAlerted.includes(call)) return undefined;
    s.loopsAlerted.push(call);
    return {
      rule: 'rate.identical_calls',
      entity: `${span.tool}\u0000${hash}`,
      windowStartNs: span.timeNs,
      ...overThreshold(repeated, limit),
      title: `the same "${span.tool}" call ${repeated} times in ${windowMs / 60_000} min`,
      tool: span.tool,
      evidence: { observed: repeated, baseline: round(usual.baseline), threshold: limit, unit: 'identical calls', windowMs, ...spanEvidence(s.recent.slice(-repeated)) },
      tags: TAGS,
    };
  }
}

/** Baseline keys, most specific first: this client on this server, then the server as a
 * whole, so a client seen for the first time is judged against everyone else's habits. */
export const clientKeys = (service: string, client: string, ...more: string[]): string[] => {
  const tail = more.length ? `\u0000${more.join('\u0000')}` : '';
  return [`${service}\u0000${client}${tail}`, `${service}\u0000*${tail}`];
};
export const spanKeys = (span: ObservedSpan, ...more: string[]): string[] =>
  clientKeys(span.service, span.record.SpanAttributes[Toolwatch.CLIENT_NAME] ?? '', ...more);
export const msToNs = (ms: number): string => (BigInt(Math.floor(ms)) * 1_000_000n).toString();
const round = (n: number | null): number | null => (n === null ? null : Math.round(n * 100) / 100);
