import { decodeSpanRecord, type AlertRecord, type SpanRecord } from '@toolwatch/schemas';
import type { RulesConfig } from './config.js';
import { DetectionEngine } from './engine.js';
import type { AlertSink } from './sinks/alert-sink.js';
import { DeliveryQueue, type DeliveryOptions } from './sinks/delivery-queue.js';
import type { SourceBatch, SpanSource } from './sources/span-source.js';
import type { ClickHouseStore } from './storage/clickhouse-store.js';

export type LogLevel = 'info' | 'warn' | 'error';
export type Logger = (level: LogLevel, message: string) => void;

export interface DetectorServiceOptions {
  source: SpanSource;
  store: ClickHouseStore;
  rules: RulesConfig;
  sinks?: AlertSink[];
  delivery?: DeliveryOptions;
  log?: Logger;
  /** Called for each new alert after it is stored (the demo prints them). */
  onAlert?: (alert: AlertRecord) => void;
}

export interface DetectorStats {
  consumed: number;
  invalid: number;
  spansWritten: number;
  alerts: number;
}

/**
 * Source → decode → score → ClickHouse → alert sinks. A batch counts as handled (and its
 * offsets commit) only after its spans and alerts are in ClickHouse; delivery to the sinks
 * runs behind, from their queues. A message that cannot be read is counted, logged with
 * its reason and dead-lettered; it never stops the stream.
 */
export class DetectorService {
  readonly stats: DetectorStats = { consumed: 0, invalid: 0, spansWritten: 0, alerts: 0 };
  readonly deliveries: DeliveryQueue[];
  private readonly engine: DetectionEngine;
  private readonly log: Logger;
  private unwritten: AlertRecord[] = [];

  constructor(private readonly options: DetectorServiceOptions) {
    this.log = options.log ?? (() => {});
    this.engine = new DetectionEngine(options.rules);
    this.deliveries = (options.sinks ?? []).map(
      (sink) => new DeliveryQueue(sink, { log: (level, m) => this.log(level, m), ...options.delivery }),
    );
  }

  async start(): Promise<void> {
    await this.options.source.start((batch) => this.handle(batch));
  }

  private async handle(batch: SourceBatch): Promise<void> {
    const records: SpanRecord[] = [];
    for (const message of batch.messages) {
      this.stats.consumed += 1;
      const decoded = decodeSpanRecord(message.value);
      if (decoded.ok) {
        records.push(decoded.value);
        continue;
      }
      this.stats.invalid += 1;
      this.log('warn', `skipped message ${batch.topic}/${batch.partition}@${message.offset}: ${decoded.reason}`);
      await this.options.source.deadLetter(batch, message, decoded.reason).catch((err: unknown) => {
        this.log('error', `dead-letter failed for ${batch.topic}/${batch.partition}@${message.offset}: ${(err as Error).message}`);
      });
    }
    // The engine has moved on once it has seen these spans, and will not raise their alerts
    // again when a failed batch comes back: alerts stay here until a write succeeds.
    const alerts = [...this.unwritten, ...records.flatMap((r) => this.engine.process(r))];
    this.unwritten = alerts;

    const first = batch.messages[0]?.offset;
    const last = batch.messages.at(-1)?.offset;
    await this.options.store.writeSpans(records, `${batch.topic}:${batch.partition}:${first}-${last}`);
    await this.options.store.writeAlerts(alerts);
    this.unwritten = [];
    this.stats.spansWritten += records.length;
    this.stats.alerts += alerts.length;

    for (const alert of alerts) {
      this.options.onAlert?.(alert);
      for (const queue of this.deliveries) queue.enqueue(alert);
    }
  }

  /** Stops consuming, gives the sinks `drainMs` to deliver what is queued, then closes. */
  async stop(drainMs = 10_000): Promise<void> {
    await this.options.source.stop();
    await Promise.all(this.deliveries.map((q) => q.drain(drainMs)));
    await Promise.all(this.deliveries.map((q) => q.close()));
  }
}
