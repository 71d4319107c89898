/** One message as it came off the span stream. */
export interface SourceMessage {
  key: string | null;
  value: Buffer | string;
  offset: string;
}

export interface SourceBatch {
  topic: string;
  partition: number;
  messages: SourceMessage[];
}

/**
 * A stream of span records: Kafka in production, an in-process queue when embedded. The
 * source hands over a batch, and marks it done (commits the offsets) only when the
 * handler has resolved: what the handler has not written is delivered again.
 */
export interface SpanSource {
  readonly name: string;
  start(onBatch: (batch: SourceBatch) => Promise<void>): Promise<void>;
  /** Keeps a message that could not be read, with the reason, where it can be inspected. */
  deadLetter(batch: SourceBatch, message: SourceMessage, reason: string): Promise<void>;
  /** Resolves once everything in the stream when it was called has been handled and
   * committed (consumer lag zero), or rejects after `timeoutMs`. */
  idle(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
  /** Names whose offsets these are (the consumer group): a source that has none keeps no
   * offsets across restarts, and the detector saves no state for it. */
  readonly group?: string;
  /** Asks, from within the handler of a batch of this partition, for the stream to go on
   * from `offset`: the rest of the batch is neither marked done nor committed. */
  seek?(topic: string, partition: number, offset: string): void;
  /** The partitions this member holds now, when a consumer group shares them out: their
   * alerts are this member's to deliver. */
  owned?(): { topic: string; partitions: readonly number[] };
  /** Calls `listener` after each change of `owned()`. */
  onRebalance?(listener: () => void): void;
}
