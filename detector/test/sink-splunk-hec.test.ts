import { randomUUID } from 'node:crypto';
import { DeliveryError, DeliveryQueue, SplunkHecSink } from '@toolwatch/detector';
import { afterEach, describe, expect, it } from 'vitest';
import { deliveryFailure, hostileAlert, sampleAlert } from '../../test/support/alerts.js';
import { startSplunkHec } from '../../test/support/siem-receivers.js';

const token = randomUUID();
let hec: Awaited<ReturnType<typeof startSplunkHec>> | undefined;
afterEach(async () => {
  await hec?.stop();
  hec = undefined;
});

describe('Splunk HEC sink', () => {
  it('posts one event per alert that HEC accepts, the alert as event and string fields', async () => {
    hec = await startSplunkHec({ token });
    const sink = new SplunkHecSink({ url: hec.origin, token, index: 'mcp_alerts', host: 'detector-1' });
    const alert = sampleAlert();
    await sink.deliver(alert);
    await sink.deliver(hostileAlert());
    expect(hec.rejected).toEqual([]);
    expect(hec.accepted).toHaveLength(2);
    const [event] = hec.accepted;
    expect(event).toMatchObject({
      time: 1_764_000_061.5,
      host: 'detector-1',
      source: 'toolwatch',
      sourcetype: 'toolwatch:alert',
      index: 'mcp_alerts',
      event: { id: alert.id, rule: alert.rule, evidence: alert.evidence },
      fields: { alert_id: alert.id, severity: 'high', score: '82.5', tags: alert.tags },
    });
    expect(hec.accepted[1]!.event).toEqual(hostileAlert());
  });

  it('with a channel, counts an alert delivered only once HEC acknowledges it as indexed', async () => {
    hec = await startSplunkHec({ token, ack: true, pollsBeforeIndexed: 2 });
    const channel = randomUUID();
    await new SplunkHecSink({ url: hec.origin, token, channel, ackPollMs: 1 }).deliver(sampleAlert());
    const acks = hec.received.filter((r) => r.path === '/services/collector/ack');
    expect(acks).toHaveLength(3);
    expect(hec.received.every((r) => r.headers['x-splunk-request-channel'] === channel)).toBe(true);
    expect(acks[0]!.query.get('channel')).toBe(channel);
    expect(JSON.parse(acks[0]!.body)).toEqual({ acks: [0] });
  });

  it('fails retryably when the event is received but never acknowledged', async () => {
    hec = await startSplunkHec({ token, ack: true, pollsBeforeIndexed: 1_000_000 });
    const sink = new SplunkHecSink({ url: hec.origin, token, channel: randomUUID(), ackTimeoutMs: 20, ackPollMs: 5 });
    expect(await deliveryFailure(sink.deliver(sampleAlert()))).toMatchObject({ retryable: true, message: expect.stringMatching(/not acknowledged/) });
  });

  it('backs off on 503 (busy) and dead-letters 400 and 403, naming neither token nor path', async () => {
    hec = await startSplunkHec({ token });
    const sink = new SplunkHecSink({ url: `${hec.origin}/`, token });
    hec.failNext({ status: 503, body: { text: 'Server is busy', code: 9 } }, { status: 400, body: { text: 'Invalid data format', code: 6 } });
    expect(await deliveryFailure(sink.deliver(sampleAlert()))).toMatchObject({ retryable: true, message: `splunk-hec ${hec.origin}: HTTP 503 (HEC code 9 Server is busy)` });
    expect(await deliveryFailure(sink.deliver(sampleAlert()))).toMatchObject({ retryable: false, message: expect.stringMatching(/HTTP 400 \(HEC code 6/) });
    const wrong = await deliveryFailure(new SplunkHecSink({ url: hec.origin, token: 'not-the-token' }).deliver(sampleAlert()));
    expect(wrong).toMatchObject({ retryable: false, message: expect.stringMatching(/HTTP 403 \(HEC code 4 Invalid token\)/) });
    expect(wrong.message).not.toContain('not-the-token');
    expect(wrong.message).not.toContain('/services');
  });

  it('is retried by the delivery queue through an outage and lands once', async () => {
    hec = await startSplunkHec({ token });
    hec.failNext({ status: 503, body: { text: 'Server is busy', code: 9 } }, { status: 503, body: { text: 'Server is busy', code: 9 } });
    const queue = new DeliveryQueue(new SplunkHecSink({ url: hec.origin, token }), { retryDelaysMs: [5, 5, 5] });
    queue.enqueue(sampleAlert());
    await queue.drain(10_000);
    expect(queue.stats).toMatchObject({ delivered: 1, failed: 0 });
    expect(hec.accepted).toHaveLength(1);
  });

  it('fails retryably when HEC is unreachable', async () => {
    const err = await deliveryFailure(new SplunkHecSink({ url: 'http://127.0.0.1:9', token }).deliver(sampleAlert()));
    expect(err).toBeInstanceOf(DeliveryError);
    expect(err).toMatchObject({ retryable: true, message: 'splunk-hec http://127.0.0.1:9: unreachable' });
  });
});
