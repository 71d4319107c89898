import type { AlertRecord, AlertStatus, Severity } from '@toolwatch/schemas';
import { safeOrigin, type AlertSink } from './alert-sink.js';
import { PRODUCT, PRODUCT_VERSION, nsToMs } from './alert-format.js';
import { expectOk, post } from './http-post.js';
import { webhookId } from './standard-webhook.js';

export interface OcsfOptions {
  /** An OCSF HTTP collector (a Security Lake or pipeline endpoint) that takes one event as JSON. */
  url: string;
  /** Sent with every request, e.g. `authorization`; never logged. */
  headers?: Record<string, string>;
  timeoutMs?: number;
}

export const OCSF_VERSION = '1.6.0';
const CLASS_UID = 2004;

const ACTIVITY: Record<AlertStatus, [id: 1 | 2 | 3, name: string]> = { open: [1, 'Create'], updated: [2, 'Update'], closed: [3, 'Close'] };
const SEVERITY: Record<Severity, [id: number, name: string]> = {
  info: [1, 'Informational'],
  low: [2, 'Low'],
  medium: [3, 'Medium'],
  high: [4, 'High'],
  critical: [5, 'Critical'],
};

/**
 * An alert as an OCSF Detection Finding (class 2004). The activity follows the alert's life:
 * Create when it opens, Update when it grows more severe, Close when its session ends. A fixed
 * rule (no baseline) is a Rule analytic, a learned baseline a Behavioral one, and the
 * observed value against the baseline goes in `anomaly_analyses`.
 */
export function ocsfFinding(alert: AlertRecord) {
  const [activityId, activityName] = ACTIVITY[alert.status];
  const [severityId, severityName] = SEVERITY[alert.severity];
  const { evidence } = alert;
  const parameter = `${alert.rule} (${evidence.unit})`;
  const timespan = evidence.windowMs === null ? {} : { timespan: { duration: evidence.windowMs } };
  return {
    class_uid: CLASS_UID,
    class_name: 'Detection Finding',
    category_uid: 2,
    category_name: 'Findings',
    activity_id: activityId,
    activity_name: activityName,
    type_uid: CLASS_UID * 100 + activityId,
    type_name: `Detection Finding: ${activityName}`,
    severity_id: severityId,
    severity: severityName,
    time: nsToMs(alert.lastEventTime),
    start_time: nsToMs(alert.firstEventTime),
    end_time: nsToMs(alert.lastEventTime),
    message: alert.title,
    // Triage states (In Progress, Resolved) belong to the SOC's tools; an alert closed at
    // its session's end was never resolved by anyone, so it is Other, not Resolved.
    ...(alert.status === 'closed' ? { status_id: 99, status: 'Closed', status_detail: 'session ended' } : { status_id: 1, status: 'New' }),
    is_alert: alert.status !== 'closed',
    confidence_score: Math.round(alert.score),
    risk_score: Math.round(alert.score),
    metadata: {
      version: OCSF_VERSION,
      uid: webhookId(alert),
      correlation_uid: alert.sessionKey,
      product: { name: PRODUCT, vendor_name: PRODUCT, version: PRODUCT_VERSION },
    },
    finding_info: {
      uid: alert.id,
      title: alert.title,
      types: [alert.kind],
      first_seen_time: nsToMs(alert.firstEventTime),
      last_seen_time: nsToMs(alert.lastEventTime),
      analytic:
        evidence.baseline === null
          ? { uid: alert.rule, name: alert.rule, type_id: 1, type: 'Rule' }
          : { uid: alert.rule, name: alert.rule, type_id: 2, type: 'Behavioral' },
    },
    resources: [{ name: alert.serviceName, type: 'MCP server' }],
    anomaly_analyses: [
      {
        analysis_targets: [{ name: alert.sessionKey, type: 'MCP session' }],
        anomalies: [{ observation_parameter: parameter, observations: [{ value: String(evidence.observed), ...timespan }] }],
        ...(evidence.baseline === null
          ? {}
          : { baselines: [{ observation_parameter: parameter, observations: [{ value: String(evidence.baseline) }] }] }),
      },
    ],
    unmapped: {
      toolwatch: {
        revision: alert.revision,
        rule: alert.rule,
        threshold: evidence.threshold,
        client: { name: alert.clientName, version: alert.clientVersion },
        tool: alert.tool,
        tags: alert.tags,
        session_score: alert.sessionScore,
        span_ids: evidence.spanIds,
        trace_ids: evidence.traceIds,
      },
    },
  };
}

/** OCSF Detection Findings as JSON over HTTP, one event per request. */
export class OcsfHttpSink implements AlertSink {
  readonly name: string;

  constructor(private readonly options: OcsfOptions) {
    this.name = `ocsf ${safeOrigin(options.url)}`;
  }

  async deliver(alert: AlertRecord): Promise<void> {
    const headers = { ...this.options.headers, 'content-type': 'application/json' };
    const body = JSON.stringify(ocsfFinding(alert));
    await expectOk(this.name, await post(this.name, { url: this.options.url, headers, body, timeoutMs: this.options.timeoutMs }));
  }
}
