import type { IncomingHttpHeaders } from 'node:http';
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { startHttpReceiver } from './http-receiver.js';

export interface ReceivedWebhook {
  headers: IncomingHttpHeaders;
  body: string;
  /** The signature checked out with the shared secret, per the Standard Webhooks spec. */
  verified: boolean;
}

/**
 * A Standard Webhooks receiver on loopback, verifying as a real one does (the reference
 * library's `verify`: signature over id.timestamp.body, timestamp tolerance). `respondWith`
 * lets a test make it fail (503, 410…) for a while; `down` takes it off the network.
 */
export async function startWebhookReceiver() {
  const secret = `whsec_${randomBytes(32).toString('base64')}`;
  const verifier = new Webhook(secret);
  const received: ReceivedWebhook[] = [];
  let status = 204;
  const http = await startHttpReceiver((req) => {
    let verified = false;
    try {
      verifier.verify(req.body, req.headers as Record<string, string>);
      verified = true;
    } catch {
      verified = false;
    }
    received.push({ headers: req.headers, body: req.body, verified });
    return { status: verified ? status : 401 };
  });
  return {
    url: `${http.origin}/hooks/toolwatch`,
    secret,
    received,
    respondWith(code: number) {
      status = code;
    },
    stop: http.stop,
    down: http.down,
    up: http.up,
  };
}

export async function waitFor(condition: () => boolean, timeoutMs = 20_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
