import { SEVERITY_RANK, type AlertRecord } from '@toolwatch/schemas';
import { DeliveryError, safeOrigin, type AlertSink } from './alert-sink.js';
import { PRODUCT, PRODUCT_VERSION, nsToIso, tagValues } from './alert-format.js';
import { expectOk, jsonReply, post } from './http-post.js';
import { webhookId } from './standard-webhook.js';

export interface ElasticOptions {
  /** Elasticsearch, e.g. `https://es.example:9200`; `/_bulk` is added. */
  url: string;
  /** The `encoded` value Elasticsearch returns when it creates an API key. */
  apiKey: string;
  index?: string;
  /**
   * `index` (default): one document per alert, `_id` the alert id, each revision replacing
   * the last. `create`, for data streams (append only): one document per revision, `_id`
   * `<alert id>.<revision>`, and a 409 on a retry means it is already there.
   */
  opType?: 'index' | 'create';
  timeoutMs?: number;
}

export const ECS_VERSION = '8.17.0';

/**
 * An alert as an ECS document. `event.kind: alert` (Kibana reserves `signal`); the categories
 * are intrusion detection and, since MCP tool calls are API calls, `api`; `event.severity` is
 * 0 (info) to 4 (critical). SAFE-MCP techniques are the `threat.*` framework (ECS holds one
 * framework a document); the OWASP ids stay in `tags`.
 */
export function ecsDocument(alert: AlertRecord) {
  const techniques = tagValues(alert, 'safe-mcp');
  return {
    '@timestamp': nsToIso(alert.lastEventTime),
    ecs: { version: ECS_VERSION },
    message: alert.title,
    tags: alert.tags,
    event: {
      kind: 'alert',
      category: ['intrusion_detection', 'api'],
      type: ['info'],
      action: `alert-${alert.status}`,
      id: alert.id,
      code: alert.rule,
      severity: SEVERITY_RANK[alert.severity],
      risk_score: alert.score,
      risk_score_norm: alert.score,
      reason: alert.title,
      start: nsToIso(alert.firstEventTime),
      end: nsToIso(alert.lastEventTime),
      module: PRODUCT,
      provider: PRODUCT,
      dataset: 'toolwatch.alert',
    },
    rule: { id: alert.rule, name: alert.rule, category: alert.kind, ruleset: PRODUCT },
    ...(techniques.length ? { threat: { framework: 'SAFE-MCP', technique: { id: techniques } } } : {}),
    observer: { vendor: PRODUCT, product: PRODUCT, version: PRODUCT_VERSION },
    service: { name: alert.serviceName },
    gen_ai: { agent: { name: alert.clientName }, ...(alert.tool ? { tool: { name: alert.tool } } : {}) },
    ...(alert.evidence.traceIds[0] ? { trace: { id: alert.evidence.traceIds[0] } } : {}),
    toolwatch: {
      status: alert.status,
      revision: alert.revision,
      severity: alert.severity,
      session: { key: alert.sessionKey, score: alert.sessionScore },
      client: { name: alert.clientName, version: alert.clientVersion },
      window_start: nsToIso(alert.windowStart),
      evidence: alert.evidence,
    },
  };
}

interface BulkItem {
  status?: number;
  error?: { type?: string };
}

/** The Elasticsearch Bulk API (NDJSON) with an API key; one action and document per alert. */
export class ElasticSink implements AlertSink {
  readonly name: string;
  private readonly url: string;
  private readonly op: 'index' | 'create';

  constructor(private readonly options: ElasticOptions) {
    this.name = `elastic ${safeOrigin(options.url)}`;
    this.url = new URL('_bulk', options.url.endsWith('/') ? options.url : `${options.url}/`).href;
    this.op = options.opType ?? 'index';
  }

  async deliver(alert: AlertRecord): Promise<void> {
    const _id = this.op === 'index' ? alert.id : webhookId(alert);
    const action = { [this.op]: { _index: this.options.index ?? 'toolwatch-alerts', _id } };
    const body = `${JSON.stringify(action)}\n${JSON.stringify(ecsDocument(alert))}\n`;
    const headers = { authorization: `ApiKey ${this.options.apiKey}`, 'content-type': 'application/x-ndjson' };
    const response = await post(this.name, { url: this.url, headers, body, timeoutMs: this.options.timeoutMs });
    if (response.status < 200 || response.status >= 300) await expectOk(this.name, response);
    // A 200 says only that the request was read: each item carries its own outcome.
    const reply = (await jsonReply(response)) as { errors?: boolean; items?: Record<string, BulkItem>[] } | undefined;
    const item = reply?.items?.[0]?.[this.op];
    if (!item || typeof item.status !== 'number') throw new DeliveryError(`${this.name}: unreadable bulk response`, true);
    if (item.status < 300 || (this.op === 'create' && item.status === 409)) return;
    // The error's reason may quote the document; its type is enough to act on.
    const retryable = item.status === 429 || item.status >= 500;
    throw new DeliveryError(`${this.name}: bulk item ${item.status} ${item.error?.type ?? ''}`.trim(), retryable);
  }
}
