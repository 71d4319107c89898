import { alertId, type AlertRecord, type SpanRecord } from '@toolwatch/schemas';
import type { RulesConfig } from './config.js';
import { SessionEgressScorer } from './scorers/session-egress.js';
import { SessionRateScorer } from './scorers/session-rate.js';
import type { Scorer } from './scorers/scorer.js';
import { UnadvertisedToolScorer } from './scorers/unadvertised-tool.js';
import { observe, SessionState } from './session.js';

export function defaultScorers(rules: RulesConfig): Scorer[] {
  return [
    new SessionRateScorer(rules.sessionRate),
    new UnadvertisedToolScorer(rules.unadvertisedTool),
    new SessionEgressScorer(rules.sessionEgress),
  ];
}

/**
 * Scores span records, session by session, in event time. Pure: no I/O and no wall clock,
 * so the same spans give the same alerts with the same ids, live or replayed.
 */
export class DetectionEngine {
  private readonly sessions = new Map<string, SessionState>();
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
    if (!session) {
      session = new SessionState(span.sessionKey, span.service, span);
      this.sessions.set(span.sessionKey, session);
    }
    // Maps keep insertion order: re-inserting keeps the least recently seen first.
    this.sessions.delete(span.sessionKey);
    this.sessions.set(span.sessionKey, session);
    if (session.isRepeat(span)) return [];
    session.update(span);
    this.evictIdle(span.timeMs);

    const alerts: AlertRecord[] = [];
    for (const scorer of this.scorers) {
      const finding = scorer.observe(span, session);
      if (!finding) continue;
      const entity = finding.entity ? `${session.key}\u0000${finding.entity}` : session.key;
      alerts.push({
        id: alertId(scorer.rule, entity, finding.windowStartNs),
        rule: scorer.rule,
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
    return alerts;
  }

  private evictIdle(nowMs: number): void {
    this.latestMs = Math.max(this.latestMs, nowMs);
    const cutoff = this.latestMs - this.rules.sessionIdleMs;
    for (const [key, session] of this.sessions) {
      if (session.lastMs >= cutoff) break;
      this.sessions.delete(key);
    }
  }
}
