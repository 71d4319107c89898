import { randomBytes } from 'node:crypto';
import { StandardWebhookSink } from '@toolwatch/detector';
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import { deliveryFailure, sampleAlert } from '../../test/support/alerts.js';
import { startHttpReceiver, type HttpReceiver } from '../../test/support/http-receiver.js';

const newSecret = () => `whsec_${randomBytes(32).toString('base64')}`;
const verifies = (secret: string, req: HttpReceiver['received'][number]) => {
  try {
    new Webhook(secret).verify(req.body, req.headers as Record<string, string>);
    return true;
  } catch {
    return false;
  }
};

let receiver: HttpReceiver | undefined;
afterEach(async () => {
  await receiver?.stop();
  receiver = undefined;
});

describe('Standard Webhooks key rotation', () => {
  it('signs with every configured secret, so receivers on the old or the new key both verify', async () => {
    receiver = await startHttpReceiver(() => ({ status: 204 }));
    const [current, previous, stranger] = [newSecret(), newSecret(), newSecret()];
    await new StandardWebhookSink({ url: `${receiver.origin}/hooks`, secret: [current, previous] }).deliver(sampleAlert());
    const [req] = receiver.received;
    const signatures = String(req!.headers['webhook-signature']).split(' ');
    expect(signatures).toHaveLength(2);
    expect(signatures.every((s) => /^v1,[A-Za-z0-9+/]+=*$/.test(s))).toBe(true);
    expect(verifies(current, req!)).toBe(true);
    expect(verifies(previous, req!)).toBe(true);
    expect(verifies(stranger, req!)).toBe(false);
  });

  it('names the endpoint by origin only, in its name and its errors', async () => {
    receiver = await startHttpReceiver(() => ({ status: 401 }));
    const sink = new StandardWebhookSink({ url: `${receiver.origin}/hooks/t0ken-in-path?key=abc`, secret: newSecret() });
    expect(sink.name).toBe(`webhook ${receiver.origin}`);
    const err = await deliveryFailure(sink.deliver(sampleAlert()));
    expect(err).toMatchObject({ retryable: false, message: `webhook ${receiver.origin}: HTTP 401` });
  });
});
