import { PagerDutySink, pagerDutyEvent } from '@toolwatch/detector';
import { afterEach, describe, expect, it } from 'vitest';
import { deliveryFailure, hostileAlert, sampleAlert } from '../../test/support/alerts.js';
import { startPagerDuty } from '../../test/support/siem-receivers.js';
import { PagerDutyEvent } from '../../test/support/siem-schemas.js';

const routingKey = 'R0UT1NGK3Y0000000000000000000001';
let pd: Awaited<ReturnType<typeof startPagerDuty>> | undefined;
afterEach(async () => {
  await pd?.stop();
  pd = undefined;
});

describe('PagerDuty Events v2 event', () => {
  it('holds the Events v2 field rules for every status and severity, even for a 2 KB title', () => {
    for (const status of ['open', 'updated', 'closed'] as const)
      for (const severity of ['info', 'low', 'medium', 'high', 'critical'] as const) {
        const event = pagerDutyEvent(sampleAlert({ status, severity, title: 'x'.repeat(256), serviceName: 's'.repeat(900) }), routingKey);
        expect(PagerDutyEvent.safeParse(event).error).toBeUndefined();
      }
  });

  it('triggers with the alert id as dedup key, and maps severity, source, component, group, class', () => {
    const alert = sampleAlert({ severity: 'high' });
    expect(pagerDutyEvent(alert, routingKey)).toMatchObject({
      routing_key: routingKey,
      event_action: 'trigger',
      dedup_key: alert.id,
      payload: {
        summary: `[high] ${alert.title} (filesystem)`,
        source: 'filesystem',
        severity: 'error',
        timestamp: '2025-11-24T16:01:01.500Z',
        component: 'read_file',
        group: 'claude-desktop',
        class: 'egress.session_bytes',
        custom_details: { alert_id: alert.id, session_key: 'sess-1', evidence: alert.evidence },
      },
    });
  });
});

describe('PagerDuty sink', () => {
  it('opens one incident for an alert and its updates, and resolves it when the alert closes', async () => {
    pd = await startPagerDuty();
    const sink = new PagerDutySink({ routingKey, url: pd.url });
    const alert = hostileAlert();
    await sink.deliver(alert);
    await sink.deliver({ ...alert, status: 'updated', revision: 1, severity: 'critical' });
    expect([...pd.incidents]).toEqual([[alert.id, 'triggered']]);
    await sink.deliver({ ...alert, status: 'closed', revision: 2 });
    expect(pd.rejected).toEqual([]);
    expect([...pd.incidents]).toEqual([[alert.id, 'resolved']]);
    expect(pd.accepted.map((e) => e.event_action)).toEqual(['trigger', 'trigger', 'resolve']);
  });

  it('does not retry 400, retries 429 (minutes later) and 5xx, and never names the routing key', async () => {
    pd = await startPagerDuty();
    pd.failNext({ status: 429 }, { status: 500 });
    const sink = new PagerDutySink({ routingKey, url: pd.url });
    expect(await deliveryFailure(sink.deliver(sampleAlert()))).toMatchObject({ retryable: true, retryAfterMs: 60_000 });
    expect(await deliveryFailure(sink.deliver(sampleAlert()))).toMatchObject({ retryable: true });
    const invalid = await deliveryFailure(new PagerDutySink({ routingKey: 'short-key', url: pd.url }).deliver(sampleAlert()));
    expect(invalid).toMatchObject({ retryable: false, message: `pagerduty ${pd.origin}: HTTP 400` });
    expect(pd.rejected).toHaveLength(1);
    expect(sink.name).toBe(`pagerduty ${pd.origin}`);
    expect(new PagerDutySink({ routingKey }).name).toBe('pagerduty https://events.pagerduty.com');
  });
});
