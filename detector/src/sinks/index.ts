import type { DetectorConfig } from '../config.js';
import type { AlertSink } from './alert-sink.js';
import { StandardWebhookSink } from './standard-webhook.js';

/** The alert sinks a configuration asks for. A new sink kind is one line here. */
export function createSinks(config: DetectorConfig): AlertSink[] {
  return [...config.webhooks.map((w) => new StandardWebhookSink(w))];
}
