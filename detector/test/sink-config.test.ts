import { randomBytes } from 'node:crypto';
import { CefSyslogSink, ElasticSink, OcsfHttpSink, PagerDutySink, SlackSink, SplunkHecSink, StandardWebhookSink, createSinks, parseDetectorConfig } from '@toolwatch/detector';
import { describe, expect, it } from 'vitest';

const secret = () => `whsec_${randomBytes(32).toString('base64')}`;
const SECRETS = ['hec-token-5ecret', 'es-api-key-5ecret', 'R0UT1NGK3Y5ECRET0000000000000001', 'T0KEN-IN-SLACK-PATH', 'ocsf-bearer-5ecret'];

const everySink = () => [
  { type: 'webhook', url: 'https://siem.example/hooks/abc', secret: [secret(), secret()] },
  { type: 'splunk-hec', url: 'https://splunk.example:8088', token: SECRETS[0] },
  { type: 'elastic', url: 'https://es.example:9200', apiKey: SECRETS[1], opType: 'create' },
  { type: 'ocsf', url: 'https://collector.example/ocsf', headers: { authorization: `Bearer ${SECRETS[4]}` } },
  { type: 'cef-syslog', host: 'syslog.example', port: 6514, protocol: 'tcp' },
  { type: 'pagerduty', routingKey: SECRETS[2] },
  { type: 'slack', url: `https://hooks.slack.com/services/T0/B0/${SECRETS[3]}` },
];

describe('sinks configuration', () => {
  it('builds one sink per entry of sinks, after the older webhooks list', () => {
    const config = parseDetectorConfig({ webhooks: [{ url: 'https://old.example/hook', secret: secret() }], sinks: everySink() });
    const sinks = createSinks(config);
    expect(sinks.map((s) => s.constructor)).toEqual([StandardWebhookSink, StandardWebhookSink, SplunkHecSink, ElasticSink, OcsfHttpSink, CefSyslogSink, PagerDutySink, SlackSink]);
    expect(sinks.map((s) => s.name)).toEqual([
      'webhook https://old.example',
      'webhook https://siem.example',
      'splunk-hec https://splunk.example:8088',
      'elastic https://es.example:9200',
      'ocsf https://collector.example',
      'syslog-cef tcp://syslog.example:6514',
      'pagerduty https://events.pagerduty.com',
      'slack https://hooks.slack.com',
    ]);
  });

  it('fills each type’s defaults', () => {
    const { sinks } = parseDetectorConfig({ sinks: everySink() });
    expect(sinks[1]).toMatchObject({ source: 'toolwatch', sourcetype: 'toolwatch:alert', ackTimeoutMs: 30_000, timeoutMs: 15_000 });
    expect(sinks[2]).toMatchObject({ index: 'toolwatch-alerts', opType: 'create' });
    expect(sinks[4]).toMatchObject({ framing: 'octet-counting', facility: 4, appName: 'toolwatch' });
    expect(sinks[5]).toMatchObject({ url: 'https://events.pagerduty.com/v2/enqueue' });
    expect(sinks[6]).toMatchObject({ minIntervalMs: 1_000 });
    expect(parseDetectorConfig({}).sinks).toEqual([]);
  });

  it('names a misspelt key or an unknown type, and never echoes a secret', () => {
    expect(() => parseDetectorConfig({ sinks: [{ type: 'splunk-hec', url: 'https://s.example', token: 't', indx: 'x' }] })).toThrow(/unknown key: sinks\.0\.indx/);
    expect(() => parseDetectorConfig({ sinks: [{ type: 'splunk', url: 'https://s.example' }] })).toThrow(/sinks\.0\.type/);
    const messages: string[] = [];
    for (const bad of [
      { type: 'pagerduty', routingKey: 'hunter2-not-a-routing-key' },
      { type: 'webhook', url: 'https://h.example', secret: ['whsec_short-hunter2'] },
      { type: 'slack', url: 'hooks.slack.com/services/hunter2' },
    ])
      try {
        parseDetectorConfig({ sinks: [bad] });
      } catch (err) {
        messages.push((err as Error).message);
      }
    expect(messages).toHaveLength(3);
    for (const message of messages) expect(message).not.toContain('hunter2');
  });
});
