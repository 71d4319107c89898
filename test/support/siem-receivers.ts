import type { z } from 'zod';
import { startHttpReceiver, type ReceivedRequest, type Reply } from './http-receiver.js';
import { EcsAlert, OcsfDetectionFinding, PagerDutyEvent, SlackMessage, SplunkHecEvent } from './siem-schemas.js';

/**
 * Loopback stand-ins for products that cannot run here, each checking the documented request
 * (method, path, headers, auth, body field rules) and answering as the product documents it.
 * `accepted` holds the bodies that passed; `rejected` says why others did not. `failNext`
 * queues replies (a 503, a 429…) that come before any checking, as an outage would.
 */
async function productReceiver<T>(check: (req: ReceivedRequest, accept: (body: T) => void, reject: (why: string, reply: Reply) => Reply) => Reply) {
  const accepted: T[] = [];
  const rejected: string[] = [];
  const forced: Reply[] = [];
  const http = await startHttpReceiver((req) => {
    const next = forced.shift();
    if (next) return next;
    if (req.method !== 'POST') return { status: 405 };
    return check(
      req,
      (body) => accepted.push(body),
      (why, reply) => {
        rejected.push(why);
        return reply;
      },
    );
  });
  return { ...http, accepted, rejected, failNext: (...replies: Reply[]) => forced.push(...replies) };
}

function parseWith<S extends z.ZodType>(schema: S, text: string): { ok: true; value: z.infer<S> } | { ok: false; why: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, why: 'not JSON' };
  }
  const parsed = schema.safeParse(json);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, why: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
}

/** Splunk HEC: `Authorization: Splunk <token>`; with `ack`, a channel on every request and
 * `ackId`s that turn true after `pollsBeforeIndexed` polls of `/services/collector/ack`. */
export async function startSplunkHec(options: { token: string; ack?: boolean; pollsBeforeIndexed?: number }) {
  const polls = new Map<number, number>();
  let nextAck = 0;
  return productReceiver<z.infer<typeof SplunkHecEvent>>((req, accept, reject) => {
    if (!req.headers.authorization) return reject('no token', { status: 401, body: { text: 'Token is required', code: 2 } });
    if (req.headers.authorization !== `Splunk ${options.token}`) return reject('bad token', { status: 403, body: { text: 'Invalid token', code: 4 } });
    const channel = req.headers['x-splunk-request-channel'] ?? req.query.get('channel');
    if (options.ack && !channel) return reject('no channel', { status: 400, body: { text: 'Data channel is missing', code: 10 } });
    if (req.path === '/services/collector/ack') {
      const { acks } = JSON.parse(req.body) as { acks: number[] };
      const status = Object.fromEntries(acks.map((id) => [id, (polls.set(id, (polls.get(id) ?? 0) + 1).get(id) ?? 0) > (options.pollsBeforeIndexed ?? 0)]));
      return { status: 200, body: { acks: status } };
    }
    if (req.path !== '/services/collector/event') return reject(`path ${req.path}`, { status: 404, body: { text: 'The requested URL was not found on this server.', code: 404 } });
    const parsed = parseWith(SplunkHecEvent, req.body);
    if (!parsed.ok) return reject(parsed.why, { status: 400, body: { text: 'Invalid data format', code: 6, 'invalid-event-number': 0 } });
    accept(parsed.value);
    return { status: 200, body: options.ack ? { text: 'Success', code: 0, ackId: nextAck++ } : { text: 'Success', code: 0 } };
  });
}

type BulkAction = Record<'index' | 'create', { _index: string; _id: string } | undefined>;

/** Elasticsearch `_bulk`: `Authorization: ApiKey <key>`, NDJSON (action line, document line,
 * final newline); documents kept by index and id, so `create` of an id that exists is a 409
 * item, as in Elasticsearch. `itemStatus` makes the next items fail that way. */
export async function startElastic(options: { apiKey: string }) {
  const documents = new Map<string, z.infer<typeof EcsAlert>>();
  const itemFailures: { status: number; type: string }[] = [];
  const receiver = await productReceiver<z.infer<typeof EcsAlert>>((req, accept, reject) => {
    if (req.headers.authorization !== `ApiKey ${options.apiKey}`)
      return reject('bad api key', { status: 401, body: { error: { type: 'security_exception', reason: 'unable to authenticate' }, status: 401 } });
    if (req.path !== '/_bulk') return reject(`path ${req.path}`, { status: 404 });
    if (req.headers['content-type'] !== 'application/x-ndjson') return reject('content-type', { status: 406 });
    if (!req.body.endsWith('\n')) return reject('no final newline', { status: 400, body: { error: { type: 'illegal_argument_exception', reason: 'The bulk request must be terminated by a newline [\\n]' }, status: 400 } });
    const lines = req.body.slice(0, -1).split('\n');
    const items: Record<string, object>[] = [];
    for (let i = 0; i < lines.length; i += 2) {
      const action = JSON.parse(lines[i]!) as BulkAction;
      const op = action.create ? 'create' : 'index';
      const meta = action[op]!;
      const failure = itemFailures.shift();
      const parsed = parseWith(EcsAlert, lines[i + 1] ?? '');
      const key = `${meta._index}/${meta._id}`;
      let status: number;
      let error: object | undefined;
      if (failure) [status, error] = [failure.status, { type: failure.type, reason: 'injected' }];
      else if (!parsed.ok) {
        reject(parsed.why, { status: 400 });
        [status, error] = [400, { type: 'document_parsing_exception', reason: parsed.why }];
      }
      else if (op === 'create' && documents.has(key)) [status, error] = [409, { type: 'version_conflict_engine_exception', reason: 'document already exists' }];
      else {
        status = documents.has(key) ? 200 : 201;
        documents.set(key, parsed.value);
        accept(parsed.value);
      }
      items.push({ [op]: { _index: meta._index, _id: meta._id, status, ...(error ? { error } : {}) } });
    }
    const errors = items.some((item) => (Object.values(item)[0] as { status: number }).status >= 300);
    return { status: 200, body: { took: 1, errors, items } };
  });
  return { ...receiver, documents, itemStatus: (status: number, type: string) => itemFailures.push({ status, type }) };
}

/** PagerDuty Events API v2 `/v2/enqueue`: 202 with the dedup key, or 400 "Invalid event";
 * open incidents by dedup key, as PagerDuty groups them. */
export async function startPagerDuty() {
  const incidents = new Map<string, 'triggered' | 'resolved'>();
  const receiver = await productReceiver<z.infer<typeof PagerDutyEvent>>((req, accept, reject) => {
    if (req.path !== '/v2/enqueue') return reject(`path ${req.path}`, { status: 404 });
    const invalid = (why: string) => reject(why, { status: 400, body: { status: 'invalid event', message: 'Event object is invalid', errors: [why] } });
    if (Buffer.byteLength(req.body) > 512 * 1024) return invalid('larger than 512 KB');
    const parsed = parseWith(PagerDutyEvent, req.body);
    if (!parsed.ok) return invalid(parsed.why);
    const event = parsed.value;
    accept(event);
    const key = event.dedup_key ?? `generated-${incidents.size}`;
    incidents.set(key, event.event_action === 'resolve' ? 'resolved' : 'triggered');
    return { status: 202, body: { status: 'success', message: 'Event processed', dedup_key: key } };
  });
  return { ...receiver, incidents, url: `${receiver.origin}/v2/enqueue` };
}

/** A Slack incoming webhook: the token is the path; `ok`, or 400 `invalid_payload`. */
export async function startSlack() {
  const path = '/services/T0TW/B0TW/s3cr3tWebhookToken';
  const receiver = await productReceiver<z.infer<typeof SlackMessage>>((req, accept, reject) => {
    if (req.path !== path) return reject(`path ${req.path}`, { status: 404, body: 'no_team' });
    const parsed = parseWith(SlackMessage, req.body);
    if (!parsed.ok) return reject(parsed.why, { status: 400, body: 'invalid_payload' });
    accept(parsed.value);
    return { status: 200, body: 'ok' };
  });
  return { ...receiver, url: `${receiver.origin}${path}` };
}

/** A generic OCSF HTTP collector taking one Detection Finding a request, with a bearer token. */
export async function startOcsfCollector(options: { token: string }) {
  const receiver = await productReceiver<z.infer<typeof OcsfDetectionFinding>>((req, accept, reject) => {
    if (req.headers.authorization !== `Bearer ${options.token}`) return reject('bad token', { status: 401 });
    if (req.path !== '/ocsf/findings') return reject(`path ${req.path}`, { status: 404 });
    if (!String(req.headers['content-type']).startsWith('application/json')) return reject('content-type', { status: 415 });
    const parsed = parseWith(OcsfDetectionFinding, req.body);
    if (!parsed.ok) return reject(parsed.why, { status: 400 });
    accept(parsed.value);
    return { status: 202 };
  });
  return { ...receiver, url: `${receiver.origin}/ocsf/findings` };
}
