import { createHash } from 'node:crypto';
import type { DetectorConfig } from '../config.js';
import type { AlertSink } from './alert-sink.js';
import { CefSyslogSink } from './cef-syslog.js';
import { ElasticSink } from './elastic.js';
import { OcsfHttpSink } from './ocsf.js';
import { PagerDutySink } from './pagerduty.js';
import { SinkConfig } from './sink-config.js';
import { SlackSink } from './slack.js';
import { SplunkHecSink } from './splunk-hec.js';
import { StandardWebhookSink } from './standard-webhook.js';

/** The sink for one `sinks` entry, keyed in the outbox by its `name` or its destination. */
export function createSink(config: SinkConfig): AlertSink {
  return Object.assign(sinkOf(config), { id: config.name ?? defaultSinkId(config) });
}

/** The type and a hash of where alerts go (a URL may hold a token; the hash does not show it). */
function defaultSinkId(config: SinkConfig): string {
  const destination =
    config.type === 'cef-syslog' ? `${config.protocol}://${config.host}:${config.port}` : config.type === 'pagerduty' ? `${config.url}#${config.routingKey}` : config.url;
  return `${config.type}-${createHash('sha256').update(destination).digest('hex').slice(0, 12)}`;
}

/** A new sink kind is one line here. */
function sinkOf(config: SinkConfig): AlertSink {
  switch (config.type) {
    case 'webhook': return new StandardWebhookSink(config);
    case 'splunk-hec': return new SplunkHecSink(config);
    case 'elastic': return new ElasticSink(config);
    case 'ocsf': return new OcsfHttpSink(config);
    case 'cef-syslog': return new CefSyslogSink(config);
    case 'pagerduty': return new PagerDutySink(config);
    case 'slack': return new SlackSink(config);
  }
}

/** The alert sinks a configuration asks for: `webhooks` (the older key) and `sinks`. */
export function createSinks(config: DetectorConfig): AlertSink[] {
  return [...config.webhooks.map((w) => createSink(SinkConfig.parse({ ...w, type: 'webhook' }))), ...config.sinks.map(createSink)];
}
