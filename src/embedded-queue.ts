import type { KeyedRecord, RecordTransport } from '@toolwatch/collector';
import type { SourceBatch, SourceMessage, SpanSource } from '@toolwatch/detector';

export interface EmbeddedQueueOptions {
  /** Records held at most; a full queue refuses a batch, as a broker that is away would. */
  maxRecords?: number;
  maxBatch?: number;
  /** Wait before a batch whose handler failed is handed over again. */
  retryDelayMs?: number;
  log?: (message: string) => void;
}

/**
 * The Kafka hop, in process, for the embedded pipeline: the collector's side is a record
 * transport and the detector's side a span source, with Kafka's contract — a batch stays
 * queued until its handler resolves, and is handed over again if it throws.
 */
export class EmbeddedQueue implements RecordTransport, SpanSource {
  readonly name = 'embedded';
  readonly deadLetters: { message: SourceMessage; reason: string }[] = [];
  private readonly queue: SourceMessage[] = [];
  private nextOffset = 0;
  private handler: ((batch: SourceBatch) => Promise<void>) | undefined;
  private pumping: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly options: EmbeddedQueueOptions = {}) {}

  get depth(): number {
    return this.queue.length;
  }

  async send(records: KeyedRecord[]): Promise<void> {
    if (this.queue.length + records.length > (this.options.maxRecords ?? 100_000)) {
      throw new Error(`embedded queue full (${this.queue.length} records)`);
    }
    for (const r of records) this.queue.push({ key: r.key, value: r.value, offset: String(this.nextOffset++) });
    this.pump();
  }

  async close(): Promise<void> {}

  async start(onBatch: (batch: SourceBatch) => Promise<void>): Promise<void> {
    this.handler = onBatch;
    this.stopped = false;
    this.pump();
  }

  async deadLetter(_batch: SourceBatch, message: SourceMessage, reason: string): Promise<void> {
    this.deadLetters.push({ message, reason });
    if (this.deadLetters.length > 1000) this.deadLetters.shift();
  }

  /** Resolves when every record sent so far has been handled. */
  async idle(_timeoutMs?: number): Promise<void> {
    while (this.pumping) await this.pumping;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.pumping;
  }

  private pump(): void {
    if (this.pumping || !this.handler || this.stopped || this.queue.length === 0) return;
    this.pumping = this.drain().finally(() => {
      this.pumping = undefined;
      this.pump();
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0 && this.handler && !this.stopped) {
      const messages = this.queue.slice(0, this.options.maxBatch ?? 1000);
      try {
        await this.handler({ topic: 'embedded', partition: 0, messages });
        this.queue.splice(0, messages.length);
      } catch (err) {
        this.options.log?.(`batch at offset ${messages[0]!.offset} failed, retrying: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, this.options.retryDelayMs ?? 1000));
      }
    }
  }
}
