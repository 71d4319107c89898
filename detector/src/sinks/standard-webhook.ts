import type { AlertRecord } from '@toolwatch/schemas';
import { Webhook } from 'standardwebhooks';
import { DeliveryError, httpDeliveryError, safeOrigin, type AlertSink } from './alert-sink.js';

export interface StandardWebhookOptions {
  url: string;
  /** `whsec_…`; the receiver verifies with the same secret. */
  secret: string;
  timeoutMs?: number;
}

export const ALERT_EVENT_TYPE = 'toolwatch.alert';

/**
 * An alert as a Standard Webhooks message: `webhook-id` is the alert id for its opening, and
 * `<alert id>.<revision>` for each update and its close (the same on every retry, so
 * receivers deduplicate, yet an update is not taken for a retry of the opening);
 * `webhook-signature` an HMAC-SHA256 over `id.timestamp.body`; the body `{type, timestamp, data}`.
 */
export const webhookId = (alert: AlertRecord): string => (alert.revision === 0 ? alert.id : `${alert.id}.${alert.revision}`);

export class StandardWebhookSink implements AlertSink {
  readonly name: string;
  private readonly signer: Webhook;

  constructor(private readonly options: StandardWebhookOptions) {
    this.name = `webhook ${safeOrigin(options.url)}`;
    this.signer = new Webhook(options.secret);
  }

  async deliver(alert: AlertRecord): Promise<void> {
    const now = new Date();
    const body = JSON.stringify({ type: ALERT_EVENT_TYPE, timestamp: now.toISOString(), data: alert });
    const id = webhookId(alert);
    const headers = {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      'webhook-signature': this.signer.sign(id, now, body),
    };
    let response: Response;
    try {
      response = await fetch(this.options.url, {
        method: 'POST',
        headers,
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 15_000),
      });
    } catch (err) {
      const reason = (err as Error).name === 'TimeoutError' ? 'timed out' : 'unreachable';
      throw new DeliveryError(`${this.name}: ${reason}`, true);
    }
    await response.body?.cancel();
    if (response.status < 200 || response.status >= 300) {
      throw httpDeliveryError(this.name, response.status, response.headers.get('retry-after'));
    }
  }
}
