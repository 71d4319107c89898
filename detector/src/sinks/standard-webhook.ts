import type { AlertRecord } from '@toolwatch/schemas';
import { Webhook } from 'standardwebhooks';
import { safeOrigin, type AlertSink } from './alert-sink.js';
import { expectOk, post } from './http-post.js';

export interface StandardWebhookOptions {
  url: string;
  /**
   * `whsec_…`; the receiver verifies with the same secret. Several secrets sign every message
   * with each (the spec's space-separated signature list), so a key can be rotated without a
   * gap: add the new secret, let receivers switch to it, then drop the old one.
   */
  secret: string | string[];
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
  private readonly signers: Webhook[];

  constructor(private readonly options: StandardWebhookOptions) {
    this.name = `webhook ${safeOrigin(options.url)}`;
    const secrets = typeof options.secret === 'string' ? [options.secret] : options.secret;
    if (secrets.length === 0) throw new Error(`${this.name}: no signing secret`);
    this.signers = secrets.map((s) => new Webhook(s));
  }

  async deliver(alert: AlertRecord): Promise<void> {
    const now = new Date();
    const body = JSON.stringify({ type: ALERT_EVENT_TYPE, timestamp: now.toISOString(), data: alert });
    const id = webhookId(alert);
    const headers = {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      'webhook-signature': this.signers.map((s) => s.sign(id, now, body)).join(' '),
    };
    const response = await post(this.name, { url: this.options.url, headers, body, timeoutMs: this.options.timeoutMs });
    await expectOk(this.name, response);
  }
}
