import type { AlertRecord, SpanRecord } from '@toolwatch/schemas';
import type { RulesConfig } from '../config.js';
import { DetectionEngine } from '../engine.js';
import { ReorderBuffer } from './reorder-buffer.js';
import { sessionKeyOf } from './session-key.js';

export interface ReplayOptions {
  /** Event time a record may arrive behind the newest one and still be scored in order. */
  reorderWindowMs?: number;
  /** Records held at most while waiting for the window; past it the oldest go on
   * (counted as forced). A decoded record takes a few KB: 250,000 is about 1 GB. */
  maxHeld?: number;
}

export const DEFAULT_REORDER_WINDOW_MS = 60_000;
export const DEFAULT_MAX_HELD = 250_000;

export interface ReplayStats {
  spans: number;
  /** Arrived behind records already scored: scored out of order. */
  late: number;
  /** Released before their window closed because `maxHeld` was reached. */
  forced: number;
  sessions: number;
  alerts: number;
  alertsByRule: Record<string, number>;
}

/**
 * The detection engine over recorded spans, in event time: records go through a bounded
 * reorder window, then to the same `DetectionEngine` the live detector runs. Push records,
 * take the alerts each push releases, and call `end` at the end of the input.
 */
export class Replayer {
  private readonly engine: DetectionEngine;
  private readonly buffer: ReorderBuffer;
  private readonly sessions = new Set<string>();
  private readonly byRule = new Map<string, number>();
  private pushed = 0;
  private alerts = 0;

  constructor(rules: RulesConfig, options: ReplayOptions = {}) {
    this.engine = new DetectionEngine(rules);
    this.buffer = new ReorderBuffer(options.reorderWindowMs ?? DEFAULT_REORDER_WINDOW_MS, options.maxHeld ?? DEFAULT_MAX_HELD);
  }

  push(record: SpanRecord): AlertRecord[] {
    this.pushed += 1;
    this.sessions.add(sessionKeyOf(record));
    return this.score(this.buffer.push(record));
  }

  end(): AlertRecord[] {
    const alerts = this.score(this.buffer.flush());
    // The input is over: every session ends here, and its alerts close.
    return [...alerts, ...this.engine.endAll()];
  }

  /** Spans pushed so far (cheap, for a progress bar). */
  get spans(): number {
    return this.pushed;
  }

  get stats(): ReplayStats {
    const alertsByRule = Object.fromEntries([...this.byRule].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    return {
      spans: this.pushed,
      late: this.buffer.late,
      forced: this.buffer.forced,
      sessions: this.sessions.size,
      alerts: this.alerts,
      alertsByRule,
    };
  }

  private score(records: SpanRecord[]): AlertRecord[] {
    const out: AlertRecord[] = [];
    for (const record of records) {
      for (const alert of this.engine.process(record)) {
        out.push(alert);
        if (alert.status !== 'open') continue; // an update or a close of one counted already
        this.alerts += 1;
        this.byRule.set(alert.rule, (this.byRule.get(alert.rule) ?? 0) + 1);
      }
    }
    return out;
  }
}

/** The alerts of a stream of span records, replayed in event time. */
export async function* replaySpans(
  records: AsyncIterable<SpanRecord> | Iterable<SpanRecord>,
  rules: RulesConfig,
  options: ReplayOptions = {},
): AsyncGenerator<AlertRecord, ReplayStats> {
  const replayer = new Replayer(rules, options);
  for await (const record of records) yield* replayer.push(record);
  yield* replayer.end();
  return replayer.stats;
}
