import { Toolwatch, type AlertRecord, type SessionScoreRecord, type SpanRecord } from '@toolwatch/schemas';
import { closeAll, raise, scoreRecord, sessionScore } from './alert-lifecycle.js';
import type { RulesConfig } from './config.js';
import { EgressScorer } from './scorers/egress.js';
import { NoveltyScorer } from './scorers/novelty.js';
import { RateScorer } from './scorers/rate.js';
import type { Scorer } from './scorers/scorer.js';
import { observe, SessionState, type SessionSnapshot } from './session.js';

const REORDER_AFTER_MS = 1_000;

/** What a span that changed no alert returns: shared, so the quiet path allocates nothing. */
const NO_ALERTS: AlertRecord[] = Object.freeze([]) as unknown as AlertRecord[];
const NO_SCORES: SessionScoreRecord[] = Object.freeze([]) as unknown as SessionScoreRecord[];

export function defaultScorers(rules: RulesConfig): Scorer[] {
  return [new RateScorer(rules.rate), new NoveltyScorer(rules.novelty), new EgressScorer(rules.egress)];
}

/** The shape of saved state. A snapshot of another version is not restored (the engine
 * starts from history instead): its sessions and baselines may not mean what they say. */
export const ENGINE_STATE_VERSION = 2;

/** What the engine has learned and what it is in the middle of, as plain JSON. */
export interface EngineSnapshot {
  version: number;
  latestMs: number;
  sessions: SessionSnapshot[];
  scorers: Record<string, unknown>;
}

export interface EngineOptions {
  /** Keep session score records for `drainScores()`: one when a session's score changes,
   * one when it ends. Off, nothing is kept (replay and evaluation read alerts only). */
  scores?: boolean;
}

/**
 * Scores span records, session by session, in event time. Pure: no I/O and no wall clock,
 * so the same spans give the same alert records (open, updated, closed) with the same ids
 * and revisions, live or replayed.
 */
export class DetectionEngine {
  private sessions = new Map<string, SessionState>();
  private latestMs = 0;
  private scores: SessionScoreRecord[] = [];

  constructor(
    private readonly rules: RulesConfig,
    private readonly scorers: Scorer[] = defaultScorers(rules),
    private readonly options: EngineOptions = {},
  ) {}

  get sessionCount(): number {
    return this.sessions.size;
  }

  /** Every alert record this span caused: alerts opened or updated in its session, and
   * the closing records of sessions that ended with it or went idle before it. */
  process(record: SpanRecord): AlertRecord[] {
    const span = observe(record);
    // Sessions idle before this span end first, its own included: a span that comes after
    // its session went idle starts a new one, which then ends (and closes) in its turn.
    let out = this.evictIdle(span.timeMs);
    let session = this.sessions.get(span.sessionKey);
    if (!session) {
      session = new SessionState(span.sessionKey, span.service, span);
      this.sessions.set(span.sessionKey, session);
    } else if (span.timeMs - session.orderedMs > REORDER_AFTER_MS) {
      // Maps keep insertion order: re-inserting keeps the least recently seen first, for
      // `evictIdle`. At most once a second of event time per session, which is all the
      // order that matters: an idle session leaves at most that much late.
      this.sessions.delete(span.sessionKey);
      this.sessions.set(span.sessionKey, session);
      session.orderedMs = span.timeMs;
    }
    if (session.isRepeat(span)) return out;
    session.update(span);
    if (record.SpanAttributes[Toolwatch.SESSION_END] === 'true') {
      this.sessions.delete(session.key);
      return [...out, ...this.end(session)];
    }

    const before = out.length;
    for (const scorer of this.scorers) {
      for (const finding of scorer.observe(span, session)) {
        const alert = raise(session, scorer.kind, finding);
        if (!alert) continue;
        if (out === NO_ALERTS) out = [];
        out.push(alert);
      }
    }
    if (out.length > before) {
      // Once per span, not per alert: a span with thousands of findings stays linear.
      const score = sessionScore(session);
      for (let i = before; i < out.length; i++) out[i]!.sessionScore = score;
      if (this.options.scores) this.scores.push(scoreRecord(session, false, score));
    }
    return out;
  }

  /** Ends every session now (end of a replay): what they taught is learned, and their
   * alerts close. */
  endAll(): AlertRecord[] {
    const closed: AlertRecord[] = [];
    for (const session of this.sessions.values()) closed.push(...this.end(session));
    this.sessions.clear();
    return closed;
  }

  /** Session score records made since the last call (with the `scores` option). */
  drainScores(): SessionScoreRecord[] {
    if (this.scores.length === 0) return NO_SCORES;
    const drained = this.scores;
    this.scores = [];
    return drained;
  }

  snapshot(): EngineSnapshot {
    return { version: ENGINE_STATE_VERSION, latestMs: this.latestMs, sessions: [...this.sessions.values()].map((s) => s.toJSON()), scorers: this.scorerState() };
  }

  /** What the scorers learned (baselines, histories), without the sessions in progress. */
  scorerState(): Record<string, unknown> {
    const scorers: Record<string, unknown> = {};
    for (const s of this.scorers) if (s.snapshot) scorers[s.name] = s.snapshot();
    return scorers;
  }

  restoreScorers(state: Record<string, unknown>): void {
    for (const s of this.scorers) if (s.restore && state[s.name] !== undefined) s.restore(state[s.name]);
  }

  /** False, and nothing restored, for a snapshot of another version. */
  restore(snapshot: EngineSnapshot): boolean {
    if (snapshot.version !== ENGINE_STATE_VERSION) return false;
    this.latestMs = snapshot.latestMs;
    this.sessions = new Map(snapshot.sessions.map((s) => [s.key, SessionState.fromJSON(s)]));
    this.restoreScorers(snapshot.scorers);
    return true;
  }

  private end(session: SessionState): AlertRecord[] {
    for (const scorer of this.scorers) scorer.end?.(session);
    const score = sessionScore(session);
    if (this.options.scores) this.scores.push(scoreRecord(session, true, score));
    return closeAll(session, score);
  }

  private evictIdle(nowMs: number): AlertRecord[] {
    this.latestMs = Math.max(this.latestMs, nowMs);
    const cutoff = this.latestMs - this.rules.sessionIdleMs;
    let closed = NO_ALERTS;
    for (const [key, session] of this.sessions) {
      if (session.lastMs >= cutoff) break;
      this.sessions.delete(key);
      const ended = this.end(session);
      if (ended.length === 0) continue;
      if (closed === NO_ALERTS) closed = [];
      closed.push(...ended);
    }
    return closed;
  }
}
