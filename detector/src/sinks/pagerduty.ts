import type { AlertRecord, Severity } from '@toolwatch/schemas';
import { DeliveryError, httpDeliveryError, safeOrigin, type AlertSink } from './alert-sink.js';
import { alertSummaryFields, nsToIso } from './alert-format.js';
import { post } from './http-post.js';

export interface PagerDutyOptions {
  /** The integration key of an Events API v2 integration. */
  routingKey: string;
  url?: string;
  timeoutMs?: number;
}

export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';
const SEVERITY: Record<Severity, 'critical' | 'error' | 'warning' | 'info'> = {
  critical: 'critical',
  high: 'error',
  medium: 'warning',
  low: 'info',
  info: 'info',
};
/** PagerDuty asks clients to back off for minutes when it answers 429 (it sends no Retry-After). */
const THROTTLED_MS = 60_000;

/**
 * PagerDuty Events API v2. The alert id is the dedup key, so an opening and its updates are
 * one incident, a retry does not page twice, and the close resolves it.
 */
export function pagerDutyEvent(alert: AlertRecord, routingKey: string) {
  if (alert.status === 'closed') return { routing_key: routingKey, event_action: 'resolve', dedup_key: alert.id };
  const summary = `[${alert.severity}] ${alert.title} (${alert.serviceName})`;
  return {
    routing_key: routingKey,
    event_action: 'trigger',
    dedup_key: alert.id,
    client: 'toolwatch',
    payload: {
      summary: summary.length > 1024 ? `${summary.slice(0, 1023)}…` : summary,
      source: alert.serviceName || 'toolwatch',
      severity: SEVERITY[alert.severity],
      timestamp: nsToIso(alert.lastEventTime),
      ...(alert.tool ? { component: alert.tool } : {}),
      group: alert.clientName || undefined,
      class: alert.rule,
      custom_details: { ...alertSummaryFields(alert), evidence: alert.evidence, tags: alert.tags },
    },
  };
}

export class PagerDutySink implements AlertSink {
  readonly name: string;
  private readonly url: string;

  constructor(private readonly options: PagerDutyOptions) {
    this.url = options.url ?? PAGERDUTY_EVENTS_URL;
    this.name = `pagerduty ${safeOrigin(this.url)}`;
  }

  async deliver(alert: AlertRecord): Promise<void> {
    const body = JSON.stringify(pagerDutyEvent(alert, this.options.routingKey));
    const response = await post(this.name, { url: this.url, headers: { 'content-type': 'application/json' }, body, timeoutMs: this.options.timeoutMs });
    await response.body?.cancel();
    if (response.status === 202 || response.status === 200) return;
    const e = httpDeliveryError(this.name, response.status, response.headers.get('retry-after'));
    if (response.status === 429) throw new DeliveryError(e.message, true, e.retryAfterMs ?? THROTTLED_MS);
    throw e;
  }
}
