import { Kafka, logLevel, Partitioners, type Admin, type Producer } from 'kafkajs';
import type { KeyedRecord, RecordTransport } from './record-transport.js';

export interface KafkaTransportOptions {
  brokers: string[];
  topic?: string;
  clientId?: string;
  /** Where kafkajs's own warnings go; silent by default, the server's output is not ours. */
  log?: (line: string) => void;
  /** Time to wait for any broker response (default 5000 ms; kafkajs's is 30 s). */
  requestTimeoutMs?: number;
  /** Time to open a connection (default 3000 ms). */
  connectionTimeoutMs?: number;
  /** Retries of a failed send inside kafkajs (default 2; kafkajs's is 5, with backoff up to
   * 30 s). With the defaults a send to a frozen broker settles within about 20 s. Behind a
   * SpoolingTransport use 0: the spool retries, and each retry inside kafkajs puts one more
   * copy of the batch in a frozen broker's socket, written when it wakes. */
  retries?: number;
  /** Sends in flight at most (default 4); more are refused at once, not queued. */
  maxInFlightSends?: number;
}

export const DEFAULT_SPAN_TOPIC = 'toolwatch.spans';

/**
 * Span records to a Kafka topic, keyed by session key; acks from all in-sync replicas.
 *
 * kafkajs's defaults suit a consumer, not an exporter: a frozen broker holds a send for
 * 30 s per request and six attempts, minutes in all, and every send kept waiting holds its
 * messages for its own retries. So requests time out in seconds, retries are few and
 * sends in flight are capped; what must survive longer belongs in a SpoolingTransport.
 */
export class KafkaTransport implements RecordTransport {
  readonly name = 'kafka';
  readonly topic: string;
  private readonly producer: Producer;
  private readonly requestTimeoutMs: number;
  private readonly maxInFlight: number;
  private inFlight = 0;
  private connecting: Promise<void> | undefined;
  private readonly kafka: Kafka;
  private admin: { client: Admin; connecting: Promise<void> } | undefined;
  /** The last send failed: ask the cluster whether it answers before sending data again. */
  private suspect = false;

  constructor(options: KafkaTransportOptions) {
    this.topic = options.topic ?? DEFAULT_SPAN_TOPIC;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 5000;
    this.maxInFlight = options.maxInFlightSends ?? 4;
    const log = options.log;
    const retry = { retries: options.retries ?? 2, initialRetryTime: 200, maxRetryTime: 2000 };
    const kafka = (this.kafka = new Kafka({
      clientId: options.clientId ?? 'toolwatch-collector',
      brokers: options.brokers,
      connectionTimeout: options.connectionTimeoutMs ?? 3000,
      requestTimeout: this.requestTimeoutMs,
      enforceRequestTimeout: true,
      retry,
      logLevel: log ? logLevel.WARN : logLevel.NOTHING,
      logCreator: () => (entry) => log?.(`kafka ${entry.namespace}: ${entry.log.message}`),
    }));
    this.producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: true, retry });
  }

  async send(records: KeyedRecord[]): Promise<void> {
    if (records.length === 0) return;
    if (this.inFlight >= this.maxInFlight) throw new Error(`kafka: ${this.inFlight} sends in flight, refusing more`);
    this.inFlight++;
    try {
      this.connecting ??= this.producer.connect().catch((err: unknown) => {
        this.connecting = undefined; // try again on the next batch
        throw err;
      });
      await this.connecting;
      // A frozen broker buffers what it is sent and writes it all when it wakes: probing
      // with a metadata request first keeps data from piling up there as duplicates.
      if (this.suspect) await this.probe();
      await this.producer.send({ topic: this.topic, acks: -1, timeout: this.requestTimeoutMs, messages: records });
      this.suspect = false;
    } catch (err) {
      this.suspect = true;
      throw err;
    } finally {
      this.inFlight--;
    }
  }

  async close(): Promise<void> {
    const admin = this.admin;
    this.admin = undefined;
    await Promise.all([this.connecting && this.producer.disconnect(), admin?.client.disconnect()]);
  }

  private async probe(): Promise<void> {
    this.admin ??= (() => {
      const client = this.kafka.admin({ retry: { retries: 0 } });
      return { client, connecting: client.connect() };
    })();
    const admin = this.admin;
    try {
      await admin.connecting;
      await admin.client.fetchTopicMetadata({ topics: [this.topic] });
    } catch (err) {
      // kafkajs's admin can stay 'not connected' after a broker comes back: start afresh.
      if (this.admin === admin) this.admin = undefined;
      void admin.client.disconnect().catch(() => {});
      throw err;
    }
  }
}
