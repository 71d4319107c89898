import { OCSF_VERSION, OcsfHttpSink, PRODUCT_VERSION, ocsfFinding } from '@toolwatch/detector';
import { afterEach, describe, expect, it } from 'vitest';
import { deliveryFailure, hostileAlert, sampleAlert } from '../../test/support/alerts.js';
import { startOcsfCollector } from '../../test/support/siem-receivers.js';
import { OcsfDetectionFinding } from '../../test/support/siem-schemas.js';

const token = 'ocsf-collector-token-1234';
let collector: Awaited<ReturnType<typeof startOcsfCollector>> | undefined;
afterEach(async () => {
  await collector?.stop();
  collector = undefined;
});

describe('OCSF Detection Finding', () => {
  it('holds the class 2004 field rules for every status and severity', () => {
    for (const status of ['open', 'updated', 'closed'] as const)
      for (const severity of ['info', 'low', 'medium', 'high', 'critical'] as const) {
        const finding = ocsfFinding(sampleAlert({ status, severity }));
        expect(OcsfDetectionFinding.safeParse(finding).error).toBeUndefined();
      }
  });

  it('follows the alert life: Create, Update, Close with type_uid 200401-200403', () => {
    const activity = (status: 'open' | 'updated' | 'closed') => {
      const f = ocsfFinding(sampleAlert({ status }));
      return [f.activity_id, f.activity_name, f.type_uid, f.is_alert];
    };
    expect(activity('open')).toEqual([1, 'Create', 200401, true]);
    expect(activity('updated')).toEqual([2, 'Update', 200402, true]);
    expect(activity('closed')).toEqual([3, 'Close', 200403, false]);
  });

  it('carries the alert id as finding_info.uid and observed against baseline as an anomaly analysis', () => {
    const alert = sampleAlert();
    const finding = ocsfFinding(alert);
    expect(finding).toMatchObject({
      class_uid: 2004,
      category_uid: 2,
      severity_id: 4,
      severity: 'High',
      time: 1_764_000_061_500,
      metadata: { version: OCSF_VERSION, product: { name: 'toolwatch', version: PRODUCT_VERSION } },
      finding_info: { uid: alert.id, title: alert.title, analytic: { name: 'egress.session_bytes', type_id: 2, type: 'Behavioral' } },
      anomaly_analyses: [
        {
          analysis_targets: [{ name: 'sess-1', type: 'MCP session' }],
          anomalies: [{ observation_parameter: 'egress.session_bytes (bytes)', observations: [{ value: '12582912', timespan: { duration: 60_000 } }] }],
          baselines: [{ observation_parameter: 'egress.session_bytes (bytes)', observations: [{ value: '1382000' }] }],
        },
      ],
    });
    const fixed = ocsfFinding(sampleAlert({ evidence: { ...alert.evidence, baseline: null, windowMs: null } }));
    expect(fixed.finding_info.analytic).toMatchObject({ type_id: 1, type: 'Rule' });
    expect(fixed.anomaly_analyses[0]).not.toHaveProperty('baselines');
  });
});

describe('OCSF HTTP sink', () => {
  it('posts each finding as JSON with the configured headers, and the collector accepts it', async () => {
    collector = await startOcsfCollector({ token });
    const sink = new OcsfHttpSink({ url: collector.url, headers: { authorization: `Bearer ${token}` } });
    await sink.deliver(sampleAlert());
    await sink.deliver(hostileAlert({ status: 'closed', revision: 3 }));
    expect(collector.rejected).toEqual([]);
    expect(collector.accepted.map((f) => f.type_uid)).toEqual([200401, 200403]);
    expect(collector.accepted[1]!.finding_info.title).toBe(hostileAlert().title);
  });

  it('retries 5xx and 429, not 400 or 401, and keeps the token out of its errors', async () => {
    collector = await startOcsfCollector({ token });
    const sink = new OcsfHttpSink({ url: collector.url, headers: { authorization: `Bearer ${token}` } });
    collector.failNext({ status: 500 }, { status: 429, headers: { 'retry-after': '3' } }, { status: 400 });
    expect(await deliveryFailure(sink.deliver(sampleAlert()))).toMatchObject({ retryable: true });
    expect(await deliveryFailure(sink.deliver(sampleAlert()))).toMatchObject({ retryable: true, retryAfterMs: 3_000 });
    expect(await deliveryFailure(sink.deliver(sampleAlert()))).toMatchObject({ retryable: false });
    const denied = await deliveryFailure(new OcsfHttpSink({ url: collector.url, headers: { authorization: 'Bearer wrong-token' } }).deliver(sampleAlert()));
    expect(denied).toMatchObject({ retryable: false, message: `ocsf ${collector.origin}: HTTP 401` });
  });
});
