import { hostname } from 'node:os';
import type { AlertRecord } from '@toolwatch/schemas';
import { DeliveryError, httpDeliveryError, safeOrigin, type AlertSink } from './alert-sink.js';
import { alertSummaryFields, nsToMs } from './alert-format.js';
import { jsonReply, post } from './http-post.js';

export interface SplunkHecOptions {
  /** The HEC base URL, e.g. `https://splunk.example:8088`; `/services/collector/event` is added. */
  url: string;
  token: string;
  index?: string;
  source?: string;
  sourcetype?: string;
  host?: string;
  /** A channel GUID, for a token with indexer acknowledgement: an alert then counts as
   * delivered only once Splunk says it is indexed (a bare 200 means only "received"). */
  channel?: string;
  ackTimeoutMs?: number;
  ackPollMs?: number;
  timeoutMs?: number;
}

interface HecReply {
  text?: string;
  code?: number;
  ackId?: number;
  acks?: Record<string, boolean>;
}

/**
 * Splunk HTTP Event Collector: one event per alert, the alert record as `event` and the
 * fields an analyst filters on as indexed `fields` (strings, as HEC requires). HEC does not
 * deduplicate, so `alert_id` is there for `dedup alert_id` in searches.
 */
export class SplunkHecSink implements AlertSink {
  readonly name: string;
  private readonly base: string;
  private readonly headers: Record<string, string>;

  constructor(private readonly options: SplunkHecOptions) {
    this.name = `splunk-hec ${safeOrigin(options.url)}`;
    this.base = options.url.endsWith('/') ? options.url : `${options.url}/`;
    this.headers = { authorization: `Splunk ${options.token}`, 'content-type': 'application/json' };
    if (options.channel) this.headers['x-splunk-request-channel'] = options.channel;
  }

  event(alert: AlertRecord) {
    const fields = Object.fromEntries(Object.entries(alertSummaryFields(alert)).map(([k, v]) => [k, String(v)]));
    return {
      time: nsToMs(alert.lastEventTime) / 1000,
      host: this.options.host ?? hostname(),
      source: this.options.source ?? 'toolwatch',
      sourcetype: this.options.sourcetype ?? 'toolwatch:alert',
      ...(this.options.index ? { index: this.options.index } : {}),
      event: alert,
      fields: { ...fields, tags: alert.tags },
    };
  }

  async deliver(alert: AlertRecord): Promise<void> {
    const reply = await this.call('services/collector/event', JSON.stringify(this.event(alert)));
    // No ackId means the token has acknowledgement off: "received" is all HEC will ever say.
    if (this.options.channel && typeof reply.ackId === 'number') await this.awaitAck(reply.ackId);
  }

  private async call(path: string, body: string): Promise<HecReply> {
    const response = await post(this.name, { url: new URL(path, this.base).href, headers: this.headers, body, timeoutMs: this.options.timeoutMs });
    const reply = ((await jsonReply(response)) ?? {}) as HecReply;
    if (response.status >= 200 && response.status < 300) return reply;
    const e = httpDeliveryError(this.name, response.status, response.headers.get('retry-after'));
    // HEC's code says why (9: busy, 4: invalid token, 6: invalid data); its text never holds the token.
    const why = typeof reply.code === 'number' ? ` (HEC code ${reply.code}${reply.text ? ` ${String(reply.text).slice(0, 80)}` : ''})` : '';
    throw new DeliveryError(`${e.message}${why}`, e.retryable, e.retryAfterMs, e.disable);
  }

  private async awaitAck(ackId: number): Promise<void> {
    const path = `services/collector/ack?channel=${encodeURIComponent(this.options.channel!)}`;
    const deadline = Date.now() + (this.options.ackTimeoutMs ?? 30_000);
    for (;;) {
      const reply = await this.call(path, JSON.stringify({ acks: [ackId] }));
      if (reply.acks?.[String(ackId)] === true) return;
      if (Date.now() >= deadline) {
        // Sent again, it may be indexed twice: HEC has no idempotency key (hence alert_id).
        throw new DeliveryError(`${this.name}: not acknowledged as indexed`, true);
      }
      await new Promise((r) => setTimeout(r, this.options.ackPollMs ?? 1_000));
    }
  }
}
