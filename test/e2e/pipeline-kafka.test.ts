import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { parseDetectorConfig } from '@toolwatch/detector';
import { AlertRecord, SpanRecord } from '@toolwatch/schemas';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEMO_AGENTS, type Agent } from '../../src/demo/agents.js';
import { DEMO_SECRETS } from '../../src/demo/demo-server.js';
import { runDemo, type DemoResult } from '../../src/demo/run-demo.js';
import { produceRaw, readTopic, uniqueTopic } from '../support/kafka-topic.js';
import { startWebhookReceiver, waitFor } from '../support/webhook-receiver.js';

/** Puts one secret in a tool argument and reads a file whose content holds two more. */
const secretHandlingAgent: Agent = {
  name: 'secret-handling-agent',
  description: 'passes an AWS key in an argument and reads a .env full of tokens',
  expects: null,
  async run(client: Client) {
    await client.listTools();
    await client.callTool({ name: 'save_note', arguments: { title: 'creds', body: `aws key ${DEMO_SECRETS.awsAccessKeyId}` } });
    const result = await client.callTool({ name: 'read_file', arguments: { path: '.env' } });
    // The secrets really passed through the server: otherwise this test would prove nothing.
    const text = JSON.stringify(result);
    if (!text.includes(DEMO_SECRETS.githubToken) || !text.includes(DEMO_SECRETS.awsAccessKeyId)) {
      throw new Error('the .env read did not return the planted secrets');
    }
  },
};

const MALFORMED_MARKER = 'MALFORMED-9f2c';

describe('instrumented server → Kafka → detector → ClickHouse → signed webhook', () => {
  const brokers = inject('kafkaBrokers');
  const topic = uniqueTopic('spans');
  const deadLetterTopic = `${topic}.dead-letter`;
  const dataDir = mkdtempSync(join(tmpdir(), 'toolwatch-e2e-'));
  const logs: string[] = [];
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let demo: DemoResult;

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    // Bad messages first: the detector must skip them and go on to the real spans.
    await produceRaw(brokers, topic, [`not json ${MALFORMED_MARKER}`, JSON.stringify({ TraceId: MALFORMED_MARKER, SpanName: 1 })]);
    const config = parseDetectorConfig({
      kafka: { brokers, topic, deadLetterTopic, groupId: `detector-${topic}` },
      clickhouse: { dataDir },
      webhooks: [{ url: receiver.url, secret: receiver.secret }],
    });
    demo = await runDemo({
      config,
      log: (level, message) => logs.push(`${level} ${message}`),
      agents: [...DEMO_AGENTS, secretHandlingAgent],
      retryDelaysMs: [100, 200, 400],
      keepRunning: true,
    });
    const raised = demo.outcomes.reduce((n, o) => n + o.alerts.length, 0);
    await waitFor(() => receiver.received.length >= raised, 20_000, `${raised} webhooks`);
  });

  afterAll(async () => {
    await demo?.pipeline.stop();
    await receiver?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('raises each hostile agent its alerts, and the benign agent none', () => {
    const byAgent = Object.fromEntries(demo.outcomes.map((o) => [o.agent.name, [...new Set(o.alerts.map((a) => a.rule))].sort()]));
    expect(byAgent).toEqual({
      'support-assistant': [],
      // 45 calls back to back: a loop, and a run longer than any in the history.
      'looping-agent': ['rate.burst', 'rate.identical_calls'],
      'prompt-injected-agent': ['novelty.unadvertised_tool'],
      // Two 700 KB exports, where its history read 500 B: each far past the usual, and together past the session's.
      'exfiltrating-agent': ['egress.bulk_personal_data', 'egress.large_response', 'egress.session_bytes'],
      // It reads a .env full of tokens: the path and the secrets in the answer both count.
      'secret-handling-agent': ['egress.secret_in_result', 'novelty.sensitive_path'],
    });
    const exfil = demo.outcomes.find((o) => o.agent.name === 'exfiltrating-agent')!.alerts.find((a) => a.rule === 'egress.session_bytes')!;
    expect(exfil.evidence.baseline).toBeLessThan(10_000); // learned from the history sessions
  });

  it('stores every span in otel_traces and every alert in toolwatch_alerts', async () => {
    const { store, exporter } = demo.pipeline;
    const [spans] = await store.query<{ n: string }>(`SELECT count() AS n FROM otel_traces`);
    expect(Number(spans!.n)).toBe(exporter.stats.exported);
    expect(exporter.stats.exported).toBeGreaterThan(60);

    const calls = await store.query<{ n: string }>(
      `SELECT count() AS n FROM otel_traces WHERE SpanAttributes['mcp.method.name'] = 'tools/call' AND SpanAttributes['toolwatch.client.name'] = 'looping-agent'`,
    );
    expect(Number(calls[0]!.n)).toBe(45);
    const ends = await store.query<{ n: string }>(`SELECT count() AS n FROM otel_traces WHERE SpanName = 'mcp.session'`);
    expect(Number(ends[0]!.n)).toBe(45); // 40 history sessions and 5 agents, each closed

    const alerts = await store.query<{ Id: string; Rule: string; Evidence: string }>(`SELECT Id, Rule, Evidence FROM toolwatch_alerts FINAL ORDER BY Rule`);
    const expectedIds = [...new Set(demo.outcomes.flatMap((o) => o.alerts.map((a) => a.id)))].sort();
    expect(alerts).toHaveLength(expectedIds.length);
    expect(alerts.map((a) => a.Id).sort()).toEqual(expectedIds);
    // The evidence points at spans that are really in the table.
    for (const alert of alerts) {
      const ids = (JSON.parse(alert.Evidence) as { spanIds: string[] }).spanIds;
      const [found] = await store.query<{ n: string }>(`SELECT count() AS n FROM otel_traces WHERE SpanId IN {ids:Array(String)}`, { ids });
      expect(Number(found!.n)).toBe(ids.length);
    }
  });

  it('delivers each revision of each alert once as a signed Standard Webhooks message', () => {
    const records = demo.outcomes.flatMap((o) => o.alerts);
    // Every alert opened and closed (each agent's session ended), some updated between.
    expect(records.filter((a) => a.status === 'closed').length).toBe(records.filter((a) => a.status === 'open').length);
    const ids = records.map((a) => (a.revision === 0 ? a.id : `${a.id}.${a.revision}`));
    expect(receiver.received.map((r) => r.headers['webhook-id']).sort()).toEqual(ids.sort());
    for (const hook of receiver.received) {
      expect(hook.verified).toBe(true);
      const body = JSON.parse(hook.body) as { type: string; data: unknown };
      expect(body.type).toBe('toolwatch.alert');
      const alert = AlertRecord.parse(body.data);
      expect(hook.headers['webhook-id']).toBe(alert.revision === 0 ? alert.id : `${alert.id}.${alert.revision}`);
    }
  });

  it('skips malformed messages with a logged reason and dead-letters them', async () => {
    expect(demo.pipeline.detector.stats.invalid).toBe(2);
    // Different keys, different partitions: no order between the two.
    const skipped = logs.filter((l) => l.includes('skipped message'));
    expect(skipped).toHaveLength(2);
    expect(skipped).toEqual(expect.arrayContaining([
      expect.stringMatching(/not JSON \(\d+ bytes\)$/),
      expect.stringMatching(/not a span record: .*TraceId: invalid_format/),
    ]));
    expect(logs.join('\n')).not.toContain(MALFORMED_MARKER);
    const dead = await readTopic(brokers, deadLetterTopic, 2);
    expect(dead.map((m) => m.headers['toolwatch-reason'])).toEqual(
      expect.arrayContaining([expect.stringMatching(/^not JSON/), expect.stringMatching(/^not a span record/)]),
    );
  });

  it('lets no planted secret into Kafka, ClickHouse, webhooks or logs', async () => {
    const { store, exporter } = demo.pipeline;
    const kafkaMessages = await readTopic(brokers, topic, exporter.stats.exported + 2);
    const spanRecords = kafkaMessages.filter((m) => !m.key?.startsWith('malformed-')).map((m) => SpanRecord.parse(JSON.parse(m.value)));
    expect(spanRecords).toHaveLength(exporter.stats.exported);
    const secretSpans = spanRecords.filter((r) => r.SpanAttributes['toolwatch.client.name'] === 'secret-handling-agent');
    expect(secretSpans.length).toBeGreaterThanOrEqual(4);
    // The scan ran in the server's process: the spans say what was found, not what it was.
    const findings = (tool: string, key: string) =>
      JSON.parse(secretSpans.find((r) => r.SpanAttributes['gen_ai.tool.name'] === tool)!.SpanAttributes[key] ?? '{}') as Record<string, number>;
    expect(findings('save_note', 'toolwatch.arguments.findings')).toMatchObject({ 'aws-access-key-id': 1 });
    expect(findings('read_file', 'toolwatch.result.findings')).toMatchObject({ 'aws-access-key-id': 1, 'github-token': 1 });

    const spansTable = await store.client.query({ query: 'SELECT * FROM otel_traces', format: 'JSONEachRow' });
    const alertsTable = await store.client.query({ query: 'SELECT * FROM toolwatch_alerts', format: 'JSONEachRow' });
    const places = {
      kafka: kafkaMessages.map((m) => `${m.key} ${m.value} ${JSON.stringify(m.headers)}`).join('\n'),
      clickhouse: (await spansTable.text()) + (await alertsTable.text()),
      webhooks: receiver.received.map((r) => `${JSON.stringify(r.headers)} ${r.body}`).join('\n'),
      logs: logs.join('\n'),
    };
    expect(places.clickhouse.length).toBeGreaterThan(10_000);
    const leaks = Object.entries(places as Record<string, string>).flatMap(([where, text]) =>
      Object.entries(DEMO_SECRETS)
        .filter(([, secret]) => text.includes(secret))
        .map(([name]) => `${name} in ${where}`),
    );
    expect(leaks).toEqual([]);
  });
});
