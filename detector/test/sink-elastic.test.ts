import { ECS_VERSION, ElasticSink, ecsDocument } from '@toolwatch/detector';
import { afterEach, describe, expect, it } from 'vitest';
import { deliveryFailure, hostileAlert, sampleAlert } from '../../test/support/alerts.js';
import { startElastic } from '../../test/support/siem-receivers.js';
import { EcsAlert } from '../../test/support/siem-schemas.js';

const apiKey = Buffer.from('VuaCfGcBCdbkQm-e5aOx:ui2lp2axTNmsyakw9tvNnw').toString('base64');
let es: Awaited<ReturnType<typeof startElastic>> | undefined;
afterEach(async () => {
  await es?.stop();
  es = undefined;
});

describe('ECS document', () => {
  it('holds the ECS alert field rules, for every status and severity', () => {
    for (const status of ['open', 'updated', 'closed'] as const)
      for (const severity of ['info', 'low', 'medium', 'high', 'critical'] as const) {
        const doc = ecsDocument(sampleAlert({ status, severity }));
        expect(EcsAlert.safeParse(doc).error).toBeUndefined();
      }
  });

  it('maps the alert: event.id is the alert id, SAFE-MCP techniques as threat.*', () => {
    const alert = sampleAlert();
    expect(ecsDocument(alert)).toMatchObject({
      '@timestamp': '2025-11-24T16:01:01.500Z',
      ecs: { version: ECS_VERSION },
      event: { kind: 'alert', id: alert.id, severity: 3, risk_score_norm: 82.5, reason: alert.title, code: 'egress.session_bytes' },
      rule: { id: 'egress.session_bytes', category: 'egress' },
      threat: { framework: 'SAFE-MCP', technique: { id: ['SAFE-T1802'] } },
      tags: ['safe-mcp:SAFE-T1802', 'owasp-mcp:MCP10:2025'],
      gen_ai: { tool: { name: 'read_file' } },
    });
    expect(ecsDocument(sampleAlert({ tags: [] }))).not.toHaveProperty('threat');
  });
});

describe('Elastic bulk sink', () => {
  it('indexes one ECS document per alert under the alert id, so a retry or an update replaces it', async () => {
    es = await startElastic({ apiKey });
    const sink = new ElasticSink({ url: es.origin, apiKey, index: 'alerts-mcp' });
    const alert = sampleAlert();
    await sink.deliver(alert);
    await sink.deliver(alert);
    await sink.deliver(hostileAlert({ id: alert.id, status: 'closed', revision: 2 }));
    expect(es.rejected).toEqual([]);
    expect([...es.documents.keys()]).toEqual([`alerts-mcp/${alert.id}`]);
    expect(es.documents.get(`alerts-mcp/${alert.id}`)).toMatchObject({ message: hostileAlert().title, toolwatch: { status: 'closed', revision: 2 } });
    const [action, doc, end] = es.received[0]!.body.split('\n');
    expect(JSON.parse(action!)).toEqual({ index: { _index: 'alerts-mcp', _id: alert.id } });
    expect(JSON.parse(doc!).event.id).toBe(alert.id);
    expect(end).toBe('');
  });

  it('with create (data streams), keeps each revision once and takes a 409 on a retry as delivered', async () => {
    es = await startElastic({ apiKey });
    const sink = new ElasticSink({ url: es.origin, apiKey, opType: 'create' });
    const alert = sampleAlert();
    await sink.deliver(alert);
    await sink.deliver(alert);
    await sink.deliver({ ...alert, status: 'updated', revision: 1 });
    expect([...es.documents.keys()]).toEqual([`toolwatch-alerts/${alert.id}`, `toolwatch-alerts/${alert.id}.1`]);
    expect(es.accepted).toHaveLength(2);
  });

  it('reads each item of a 200 response: 429 and 5xx items retry, a mapping error does not', async () => {
    es = await startElastic({ apiKey });
    const sink = new ElasticSink({ url: es.origin, apiKey });
    es.itemStatus(429, 'es_rejected_execution_exception');
    expect(await deliveryFailure(sink.deliver(sampleAlert()))).toMatchObject({ retryable: true, message: `elastic ${es.origin}: bulk item 429 es_rejected_execution_exception` });
    es.itemStatus(503, 'unavailable_shards_exception');
    expect(await deliveryFailure(sink.deliver(sampleAlert()))).toMatchObject({ retryable: true });
    es.itemStatus(400, 'document_parsing_exception');
    expect(await deliveryFailure(sink.deliver(sampleAlert()))).toMatchObject({ retryable: false });
    expect(es.documents.size).toBe(0);
  });

  it('does not retry a rejected API key, and names neither key nor path', async () => {
    es = await startElastic({ apiKey });
    const err = await deliveryFailure(new ElasticSink({ url: `${es.origin}/`, apiKey: 'wrong-key' }).deliver(sampleAlert()));
    expect(err).toMatchObject({ retryable: false, message: `elastic ${es.origin}: HTTP 401` });
    es.failNext({ status: 429, headers: { 'retry-after': '7' } }, { status: 502 });
    expect(await deliveryFailure(new ElasticSink({ url: es.origin, apiKey }).deliver(sampleAlert()))).toMatchObject({ retryable: true, retryAfterMs: 7_000 });
    expect(await deliveryFailure(new ElasticSink({ url: es.origin, apiKey }).deliver(sampleAlert()))).toMatchObject({ retryable: true });
  });

  it('retries a 200 whose body is not a bulk response (a proxy page)', async () => {
    es = await startElastic({ apiKey });
    es.failNext({ status: 200, body: '<html>gateway</html>' });
    expect(await deliveryFailure(new ElasticSink({ url: es.origin, apiKey }).deliver(sampleAlert()))).toMatchObject({ retryable: true, message: expect.stringMatching(/unreadable bulk response/) });
  });
});
