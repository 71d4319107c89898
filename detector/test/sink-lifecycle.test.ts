import { randomBytes, randomUUID } from 'node:crypto';
import { DeliveryQueue, createSinks, parseDetectorConfig } from '@toolwatch/detector';
import type { AlertRecord } from '@toolwatch/schemas';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostileAlert } from '../../test/support/alerts.js';
import { parseCef } from '../../test/support/cef-parser.js';
import { startHttpReceiver } from '../../test/support/http-receiver.js';
import { startRsyslog } from '../../test/support/rsyslog.js';
import { startElastic, startOcsfCollector, startPagerDuty, startSlack, startSplunkHec } from '../../test/support/siem-receivers.js';
import { waitFor } from '../../test/support/webhook-receiver.js';

const secrets = { hec: randomUUID(), es: randomBytes(24).toString('base64'), pd: randomBytes(16).toString('hex'), ocsf: randomUUID(), whsec: `whsec_${randomBytes(32).toString('base64')}` };

describe('one alert through every sink, configured as an operator would', () => {
  let receivers: {
    hec: Awaited<ReturnType<typeof startSplunkHec>>;
    es: Awaited<ReturnType<typeof startElastic>>;
    ocsf: Awaited<ReturnType<typeof startOcsfCollector>>;
    pd: Awaited<ReturnType<typeof startPagerDuty>>;
    slack: Awaited<ReturnType<typeof startSlack>>;
    hook: Awaited<ReturnType<typeof startHttpReceiver>>;
    syslog: Awaited<ReturnType<typeof startRsyslog>>;
  };
  beforeAll(async () => {
    receivers = {
      hec: await startSplunkHec({ token: secrets.hec }),
      es: await startElastic({ apiKey: secrets.es }),
      ocsf: await startOcsfCollector({ token: secrets.ocsf }),
      pd: await startPagerDuty(),
      slack: await startSlack(),
      hook: await startHttpReceiver(() => ({ status: 204 })),
      syslog: await startRsyslog(),
    };
  });
  afterAll(async () => {
    await Promise.all(Object.values(receivers ?? {}).map((r) => r.stop()));
  });

  it('carries the same alert id as webhook-id, HEC alert_id, ECS event.id, OCSF finding uid, PagerDuty dedup key and CEF cs1, open to close', async () => {
    const { hec, es, ocsf, pd, slack, hook, syslog } = receivers;
    const config = parseDetectorConfig({
      sinks: [
        { type: 'webhook', url: `${hook.origin}/hooks`, secret: secrets.whsec },
        { type: 'splunk-hec', url: hec.origin, token: secrets.hec },
        { type: 'elastic', url: es.origin, apiKey: secrets.es },
        { type: 'ocsf', url: ocsf.url, headers: { authorization: `Bearer ${secrets.ocsf}` } },
        { type: 'cef-syslog', host: '127.0.0.1', port: syslog.tcpPort },
        { type: 'pagerduty', routingKey: secrets.pd, url: pd.url },
        { type: 'slack', url: slack.url, minIntervalMs: 0 },
      ],
    });
    const logs: string[] = [];
    const queues = createSinks(config).map((sink) => new DeliveryQueue(sink, { retryDelaysMs: [5, 5, 5], log: (_l, m) => logs.push(m) }));
    const opened = hostileAlert();
    const lifecycle: AlertRecord[] = [opened, { ...opened, status: 'updated', revision: 1, severity: 'critical' }, { ...opened, status: 'closed', revision: 2, severity: 'critical' }];
    // An outage on one product delays only its own queue.
    hec.failNext({ status: 503, body: { text: 'Server is busy', code: 9 } });
    for (const alert of lifecycle) for (const queue of queues) queue.enqueue(alert);
    await Promise.all(queues.map((q) => q.drain(20_000)));
    await Promise.all(queues.map((q) => q.close()));

    expect(queues.map((q) => q.stats)).toEqual(queues.map(() => ({ delivered: 3, failed: 0, dropped: 0, queued: 0 })));
    for (const r of [hec, es, ocsf, pd, slack]) expect(r.rejected).toEqual([]);
    const id = opened.id;
    expect(hook.received.map((r) => r.headers['webhook-id'])).toEqual([id, `${id}.1`, `${id}.2`]);
    expect(hook.received.every((r) => new Webhook(secrets.whsec).verify(r.body, r.headers as Record<string, string>))).toBeTruthy();
    expect(hec.accepted.map((e) => e.fields?.alert_id)).toEqual([id, id, id]);
    expect([...es.documents.values()].map((d) => (d.event as { id: string }).id)).toEqual([id]);
    expect(ocsf.accepted.map((f) => [f.finding_info.uid, f.activity_id])).toEqual([[id, 1], [id, 2], [id, 3]]);
    expect(pd.accepted.map((e) => [e.dedup_key, e.event_action])).toEqual([[id, 'trigger'], [id, 'trigger'], [id, 'resolve']]);
    expect(slack.accepted).toHaveLength(3);
    await waitFor(() => syslog.received().length >= 3, 20_000, 'rsyslog to write three messages');
    expect(syslog.received().map((r) => parseCef(r.msg).extension.cs1)).toEqual([id, id, id]);
    expect(syslog.received().map((r) => parseCef(r.msg).extension.act)).toEqual(['open', 'updated', 'closed']);
    // Logs name sinks by origin: no token, key or webhook path.
    const logged = logs.join('\n');
    expect(logged).toMatch(/503/);
    for (const secret of [...Object.values(secrets), 's3cr3tWebhookToken', '/hooks']) expect(logged).not.toContain(secret);
  });
});
