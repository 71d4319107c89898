import {
  alertId,
  owaspTags,
  SEVERITY_RANK,
  type AlertKind,
  type AlertRecord,
  type SessionScoreRecord,
  type Severity,
} from '@toolwatch/schemas';
import type { Finding } from './scorers/scorer.js';
import type { SessionState } from './session.js';

/**
 * Alerts as they stand, per session: a finding opens an alert; the same finding again (same
 * rule, entity and window, so the same id) updates it only when it has grown more severe;
 * the session's end closes every alert it opened, with the measure as it last stood. Every step is a function of the spans in
 * event time, so a replay or a restart makes the same records with the same revisions.
 */
export function raise(session: SessionState, kind: AlertKind, finding: Finding): AlertRecord | undefined {
  // A growing measure reports its finding on every span: hash its id once.
  const named = `${finding.rule}\u0000${finding.entity}\u0000${finding.windowStartNs}`;
  let id = session.alertIds.get(named);
  if (id === undefined) {
    id = alertId(finding.rule, finding.entity ? `${session.key}\u0000${finding.entity}` : session.key, finding.windowStartNs);
    session.alertIds.set(named, id);
  }
  const before = session.raised[id];
  if (before && SEVERITY_RANK[finding.severity] <= SEVERITY_RANK[before.severity]) {
    // Not worth a new revision, but the close will tell how far it went.
    if (finding.evidence.observed > before.evidence.observed) {
      session.raised[id] = { ...before, title: finding.title, evidence: finding.evidence, lastEventTime: session.lastNs };
    }
    return undefined;
  }
  const alert: AlertRecord = {
    id,
    status: before ? 'updated' : 'open',
    revision: before ? before.revision + 1 : 0,
    rule: finding.rule,
    kind,
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
    tags: [...finding.tags, ...owaspTags(finding.rule)],
    sessionScore: 0,
  };
  session.raised[id] = alert;
  return alert; // its sessionScore is the engine's to set, once per span
}

/** The closing revision of every alert the session raised, at its last event. */
export function closeAll(session: SessionState, score: number): AlertRecord[] {
  return Object.values(session.raised).map((a) => ({
    ...a,
    status: 'closed' as const,
    revision: a.revision + 1,
    lastEventTime: session.lastNs,
    sessionScore: score,
  }));
}

/**
 * A session's risk from its alerts, as the chance that at least one of them is right if
 * each alert's score were its own probability: 1 − Π(1 − score/100). Two medium alerts
 * outrank one, and no number of them passes 100.
 */
export function sessionScore(session: SessionState): number {
  let quiet = 1;
  for (const a of Object.values(session.raised)) quiet *= 1 - a.score / 100;
  return Math.round(1000 * (1 - quiet)) / 10;
}

/** `score`: the session's `sessionScore`, which its caller has already computed. */
export function scoreRecord(session: SessionState, ended: boolean, score: number): SessionScoreRecord {
  const alerts = Object.values(session.raised);
  let severity: Severity = 'info';
  for (const a of alerts) if (SEVERITY_RANK[a.severity] > SEVERITY_RANK[severity]) severity = a.severity;
  session.scoreRevision += 1;
  return {
    sessionKey: session.key,
    serviceName: session.service,
    clientName: session.clientName,
    clientVersion: session.clientVersion,
    firstEventTime: session.firstNs,
    lastEventTime: session.lastNs,
    spans: session.spans,
    score,
    severity,
    alerts: alerts.length,
    rules: [...new Set(alerts.map((a) => a.rule))].sort(),
    ended,
    revision: session.scoreRevision,
  };
}
