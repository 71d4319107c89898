import { Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';
import type { KeyedRecord, RecordTransport } from './record-transport.js';

export interface KafkaTransportOptions {
  brokers: string[];
  topic?: string;
  clientId?: string;
  /** Where kafkajs's own warnings go; silent by default, the server's output is not ours. */
  log?: (line: string) => void;
}

export const DEFAULT_SPAN_TOPIC = 'toolwatch.spans';

/** Span records to a Kafka topic, keyed by session key; acks from all in-sync replicas. */
export class KafkaTransport implements RecordTransport {
  readonly name = 'kafka';
  readonly topic: string;
  private readonly producer: Producer;
  private connecting: Promise<void> | undefined;

  constructor(options: KafkaTransportOptions) {
    this.topic = options.topic ?? DEFAULT_SPAN_TOPIC;
    const log = options.log;
    const kafka = new Kafka({
      clientId: options.clientId ?? 'toolwatch-collector',
      brokers: options.brokers,
      logLevel: log ? logLevel.WARN : logLevel.NOTHING,
      logCreator: () => (entry) => log?.(`kafka ${entry.namespace}: ${entry.log.message}`),
    });
    this.producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: true });
  }

  async send(records: KeyedRecord[]): Promise<void> {
    if (records.length === 0) return;
    this.connecting ??= this.producer.connect().catch((err: unknown) => {
      this.connecting = undefined; // try again on the next batch
      throw err;
    });
    await this.connecting;
    await this.producer.send({ topic: this.topic, acks: -1, messages: records });
  }

  async close(): Promise<void> {
    if (this.connecting) await this.producer.disconnect();
  }
}
