import { alertId, Toolwatch, type AlertRecord, type SpanRecord } from '@toolwatch/schemas';
import type { RulesConfig } from './config.js';
import { EgressScorer } from './scorers/egress.js';
import { NoveltyScorer } from './scorers/novelty.js';
import { RateScorer } from './scorers/rate.js';
import type { Scorer } from './scorers/scorer.js';
import { observe, SessionState, type SessionSnapshot } from './session.js';

export function defaultScorers(rules: RulesConfig): Scorer[] {
  return [new RateScorer(rules.rate), new NoveltyScorer(rules.novelty), new EgressScorer(rules.egress)];
}

/** What the engine has learned and what it is in the middle of, as plain JSON. */
export interface EngineSnapshot {
  version: 1;
  latestMs: number;
  sessions: SessionSnapshot[];
  scorers: Record<string, unknown>;
}

/**
 * Scores span records, session by session, in event time. Pure: no I/O and no wall clock,
 * so the same spans give the same alerts with the same ids, live or replayed.
 */
export class DetectionEngine {
  private sessions = new Map<string, SessionState>();
  private latestMs = 0;

  constructor(
    private readonly rules: RulesConfig,
    private readonly scorers: Scorer[] = defaultScorers(rules),
  ) {}

  get sessionCount(): number {
    return this.sessions.size;
  }

  process(record: SpanRecord): AlertRecord[] {
    const span = observe(record);
    let session = this.sessions.get(span.sessionKey);
    if (!session) session = new SessionState(span.sessionKey, span.service, span);
    // Maps keep insertion order: re-inserting keeps the least recently seen first.
    this.sessions.delete(span.sessionKey);
    this.sessions.set(span.sessionKey, session);
    if (session.isRepeat(span)) return [];
    session.update(span);
    this.evictIdle(span.timeMs);
    if (record.SpanAttributes[Toolwatch.SESSION_END] === 'true') {
      this.end(session);
      this.sessions.delete(session.key);
      return [];
    }

    const alerts: AlertRecord[] = [];
    for (const scorer of this.scorers) {
      for (const finding of scorer.observe(span, session)) {
        const entity = finding.entity ? `${session.key}\u0000${finding.entity}` : session.key;
        alerts.push({
          id: alertId(finding.rule, entity, finding.windowStartNs),
          rule: finding.rule,
          kind: scorer.kind,
          severity: finding.severity,
          score: finding.score,
          title: finding.title,
          sessionKey: session.key,
          serviceName: session.service,
          clientName: session.clientName,
          clientVersion: session.clientVersion,
          tool: finding.tool,
          windowStart: finding.windowStartNs,
          firstEventTime: session.firstNs,
          lastEventTime: session.lastNs,
          evidence: finding.evidence,
          tags: finding.tags,
        });
      }
    }
    session.alerts += alerts.length;
    return alerts;
  }

  /** Ends every session now (end of a replay): what they taught is learned. */
  endAll(): void {
    for (const session of this.sessions.values()) this.end(session);
    this.sessions.clear();
  }

  snapshot(): EngineSnapshot {
    const scorers: Record<string, unknown> = {};
    for (const s of this.scorers) if (s.snapshot) scorers[s.name] = s.snapshot();
    return { version: 1, latestMs: this.latestMs, sessions: [...this.sessions.values()].map((s) => s.toJSON()), scorers };
  }

  restore(snapshot: EngineSnapshot): void {
    this.latestMs = snapshot.latestMs;
    this.sessions = new Map(snapshot.sessions.map((s) => [s.key, SessionState.fromJSON(s)]));
    for (const s of this.scorers) if (s.restore && snapshot.scorers[s.name] !== undefined) s.restore(snapshot.scorers[s.name]);
  }

  private end(session: SessionState): void {
    for (const scorer of this.scorers) scorer.end?.(session);
  }

  private evictIdle(nowMs: number): void {
    this.latestMs = Math.max(this.latestMs, nowMs);
    const cutoff = this.latestMs - this.rules.sessionIdleMs;
    for (const [key, session] of this.sessions) {
      if (session.lastMs >= cutoff) break;
      this.end(session);
      this.sessions.delete(key);
    }
  }
}
