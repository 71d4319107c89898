import { DeliveryQueue, StandardWebhookSink } from '@toolwatch/detector';
import { alertId, type AlertRecord } from '@toolwatch/schemas';
import { afterEach, describe, expect, it } from 'vitest';
import { startWebhookReceiver, waitFor } from '../../test/support/webhook-receiver.js';

const alert = (n: number, session = 's1'): AlertRecord => ({
  id: alertId('rate.session_window', session, String(n)),
  status: 'open',
  revision: 0,
  sessionScore: 60,
  rule: 'rate.session_window',
  kind: 'rate',
  severity: 'medium',
  score: 60,
  title: `alert ${n}`,
  sessionKey: session,
  serviceName: 'svc',
  clientName: 'agent',
  clientVersion: '1',
  tool: '',
  windowStart: String(n),
  firstEventTime: String(n),
  lastEventTime: String(n),
  evidence: { observed: 31, baseline: null, threshold: 30, unit: 'calls', windowMs: 60_000, spanIds: [], traceIds: [] },
  tags: [],
});

describe('webhook delivery', () => {
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  afterEach(async () => receiver?.stop());

  it('retries a receiver that is down with the same webhook-id, and keeps the order', async () => {
    receiver = await startWebhookReceiver();
    receiver.respondWith(503);
    const queue = new DeliveryQueue(new StandardWebhookSink({ url: receiver.url, secret: receiver.secret }), { retryDelaysMs: [50, 50, 50, 50, 50] });
    queue.enqueue(alert(1));
    queue.enqueue(alert(2));
    await waitFor(() => receiver.received.length >= 2, 5_000, 'two failed attempts');
    receiver.respondWith(200);
    await queue.drain(5_000);

    expect(queue.stats).toMatchObject({ delivered: 2, failed: 0, dropped: 0 });
    expect(receiver.received.every((r) => r.verified)).toBe(true);
    const ids = receiver.received.map((r) => r.headers['webhook-id']);
    // Retries of alert 1 carry its id; alert 2 goes only after alert 1 got through.
    expect(ids.at(-1)).toBe(alert(2).id);
    expect(ids.slice(0, -1).every((id) => id === alert(1).id)).toBe(true);
    expect(ids.filter((id) => id === alert(2).id)).toHaveLength(1);
  });

  it('gives up at once on a 4xx that a retry cannot change', async () => {
    receiver = await startWebhookReceiver();
    receiver.respondWith(400);
    const queue = new DeliveryQueue(new StandardWebhookSink({ url: receiver.url, secret: receiver.secret }), { retryDelaysMs: [10, 10] });
    queue.enqueue(alert(1));
    await queue.drain(5_000);
    expect(receiver.received).toHaveLength(1);
    expect(queue.stats).toMatchObject({ delivered: 0, failed: 1 });
  });

  it('stops calling an endpoint that answered 410 Gone', async () => {
    receiver = await startWebhookReceiver();
    receiver.respondWith(410);
    const logs: string[] = [];
    const queue = new DeliveryQueue(new StandardWebhookSink({ url: receiver.url, secret: receiver.secret }), {
      retryDelaysMs: [10],
      log: (_l, m) => logs.push(m),
    });
    queue.enqueue(alert(1));
    queue.enqueue(alert(2));
    await queue.drain(5_000);
    queue.enqueue(alert(3));
    await queue.drain(5_000);
    expect(receiver.received).toHaveLength(1);
    // In memory, a disabled sink's alerts are dropped (the outbox keeps them).
    expect(queue.stats).toMatchObject({ delivered: 0, failed: 0, dropped: 3 });
    // Logs name the endpoint by origin only: webhook paths often hold a token.
    expect(logs.join('\n')).toContain('410');
    expect(logs.join('\n')).not.toContain('/hooks/toolwatch');
  });

  it('retries an unreachable receiver and counts the failure', async () => {
    const queue = new DeliveryQueue(new StandardWebhookSink({ url: 'http://127.0.0.1:9/unreachable', secret: `whsec_${'A'.repeat(44)}` }), {
      retryDelaysMs: [10, 10],
    });
    queue.enqueue(alert(1));
    await queue.drain(10_000);
    expect(queue.stats).toMatchObject({ delivered: 0, failed: 1 });
  });
});
