import { Kafka, logLevel, Partitioners, type Admin, type Consumer, type ConsumerConfig, type Producer } from 'kafkajs';
import type { DetectorConfig } from '../config.js';
import type { SourceBatch, SourceMessage, SpanSource } from './span-source.js';

type KafkaConfig = NonNullable<DetectorConfig['kafka']>;

/** kafkajs consumer settings, and how many partitions' batches are handled at once. */
export type KafkaConsumerOverrides = Partial<ConsumerConfig> & { partitionsConsumedConcurrently?: number };

/**
 * A kafkajs consumer group on the span topic; offsets commit after the batch is handled.
 * Batches of different partitions are handled at once, so that one partition's batch is
 * scored while another's insert runs (the detector groups them into one insert); each
 * batch still commits only after its own write, before kafkajs rejoins the group.
 */
export class KafkaSpanSource implements SpanSource {
  readonly name = 'kafka';
  /** The partitions of the span topic this member holds, as of its last group join. */
  assignment: number[] = [];
  private readonly concurrency: number;
  private readonly consumer: Consumer;
  private readonly producer: Producer;
  private readonly admin: Admin;
  private producerReady: Promise<void> | undefined;
  private adminReady: Promise<void> | undefined;
  private readonly rebalanced: (() => void)[] = [];

  constructor(
    private readonly config: KafkaConfig,
    log?: (line: string) => void,
    /** kafkajs consumer settings over ours (tests shorten the session time-out). */
    { partitionsConsumedConcurrently, ...consumerOverrides }: KafkaConsumerOverrides = {},
  ) {
    const kafka = new Kafka({
      clientId: 'toolwatch-detector',
      brokers: config.brokers,
      logLevel: log ? logLevel.WARN : logLevel.NOTHING,
      logCreator: () => (entry) => log?.(`kafka ${entry.namespace}: ${entry.log.message}`),
    });
    // A span record is about a kilobyte: kafkajs's 1 MB per partition would cap a batch
    // below a thousand spans, and every batch costs a fetch round and a commit.
    this.consumer = kafka.consumer({
      groupId: config.groupId,
      allowAutoTopicCreation: true,
      maxBytesPerPartition: 8 << 20,
      maxBytes: 32 << 20,
      ...consumerOverrides,
    });
    this.concurrency = partitionsConsumedConcurrently ?? 8;
    this.consumer.on(this.consumer.events.GROUP_JOIN, ({ payload }) => {
      this.assignment = [...(payload.memberAssignment[config.topic] ?? [])].sort((a, b) => a - b);
      for (const listener of this.rebalanced) listener();
    });
    this.producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: true });
    this.admin = kafka.admin();
  }

  async start(onBatch: (batch: SourceBatch) => Promise<void>): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.config.topic, fromBeginning: this.config.fromBeginning });
    await this.consumer.run({
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.concurrency,
      eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }) => {
        if (!isRunning() || isStale() || batch.messages.length === 0) return;
        await onBatch({
          topic: batch.topic,
          partition: batch.partition,
          messages: batch.messages.map((m) => ({ key: m.key?.toString() ?? null, value: m.value ?? Buffer.alloc(0), offset: m.offset })),
        });
        // The handler sought elsewhere (to rebuild state): this batch is not done.
        if (isStale()) return;
        resolveOffset(batch.lastOffset());
        await commitOffsetsIfNecessary();
        await heartbeat();
      },
    });
  }

  get group(): string {
    return this.config.groupId;
  }

  owned(): { topic: string; partitions: readonly number[] } {
    return { topic: this.config.topic, partitions: this.assignment };
  }

  onRebalance(listener: () => void): void {
    this.rebalanced.push(listener);
  }

  seek(topic: string, partition: number, offset: string): void {
    this.consumer.seek({ topic, partition, offset });
  }

  async deadLetter(batch: SourceBatch, message: SourceMessage, reason: string): Promise<void> {
    this.producerReady ??= this.producer.connect();
    await this.producerReady;
    await this.producer.send({
      topic: this.config.deadLetterTopic,
      messages: [
        {
          key: message.key,
          value: message.value,
          headers: {
            'toolwatch-reason': reason,
            'toolwatch-source': `${batch.topic}/${batch.partition}/${message.offset}`,
          },
        },
      ],
    });
  }

  async idle(timeoutMs = 60_000): Promise<void> {
    this.adminReady ??= this.admin.connect();
    await this.adminReady;
    const { topic, groupId } = this.config;
    const ends = new Map((await this.admin.fetchTopicOffsets(topic)).map((p) => [p.partition, BigInt(p.high)]));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const [committed] = await this.admin.fetchOffsets({ groupId, topics: [topic] });
      const lag = (committed?.partitions ?? []).reduce((sum, p) => {
        const end = ends.get(p.partition) ?? 0n;
        const at = BigInt(p.offset) < 0n ? 0n : BigInt(p.offset);
        return sum + (end > at ? end - at : 0n);
      }, 0n);
      if (lag === 0n && committed && committed.partitions.length >= ends.size) return;
      if (Date.now() > deadline) throw new Error(`consumer group ${groupId} still ${lag} messages behind on ${topic}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
    this.assignment = [];
    if (this.producerReady) await this.producer.disconnect();
    if (this.adminReady) await this.admin.disconnect();
  }
}
