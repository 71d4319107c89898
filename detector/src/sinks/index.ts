import type { DetectorConfig } from '../config.js';
import type { AlertSink } from './alert-sink.js';
import { CefSyslogSink } from './cef-syslog.js';
import { ElasticSink } from './elastic.js';
import { OcsfHttpSink } from './ocsf.js';
import { PagerDutySink } from './pagerduty.js';
import type { SinkConfig } from './sink-config.js';
import { SlackSink } from './slack.js';
import { SplunkHecSink } from './splunk-hec.js';
import { StandardWebhookSink } from './standard-webhook.js';

/** The sink for one `sinks` entry. A new sink kind is one line here. */
export function createSink(config: SinkConfig): AlertSink {
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
  return [...config.webhooks.map((w) => new StandardWebhookSink(w)), ...config.sinks.map(createSink)];
}
