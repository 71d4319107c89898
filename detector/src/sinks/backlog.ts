import type { AlertRecord } from '@toolwatch/schemas';

export interface BacklogEntry {
  readonly alert: AlertRecord;
}

/** What became of an alert at one sink: only these leave the backlog. */
export type Outcome = 'delivered' | 'failed';

/**
 * Where a sink's undelivered alerts wait, in the order they must go out. The durable outbox
 * (ClickHouse, storage/outbox-backlog.ts) survives restarts and is shared out by partition
 * between detector instances; the in-memory one here serves callers without a store.
 */
export interface Backlog<E extends BacklogEntry = BacklogEntry> {
  /** The oldest pending entries, in delivery order, left in place until settled; none of
   * the sessions in `held` (their oldest alert waits for a retry). */
  next(limit: number, held?: readonly string[]): Promise<E[]>;
  /** False once the entry is another instance's to deliver (its partition moved). */
  owns(entry: E): boolean;
  settle(entry: E, outcome: Outcome, reason?: string): void;
  /** Makes what was settled durable (the outbox starts as soon as `settle` is called);
   * until then `next` leaves settled entries out. */
  flush(): Promise<void>;
  /** Why the sink was disabled (a 410), if it was: it stays disabled across restarts. */
  disabledReason(): Promise<string | undefined>;
  disable(reason: string): Promise<void>;
  /** Entries given up when the queue closes: the durable backlog keeps them for next time. */
  abandon(): number;
}

/** A bounded FIFO in memory: a restart loses what it holds. */
export class MemoryBacklog implements Backlog {
  private readonly queue: BacklogEntry[] = [];
  private disabled: string | undefined;

  constructor(private readonly maxQueued = 10_000) {}

  /** Adds an alert; returns how many of the oldest were dropped to stay within bounds. */
  push(alert: AlertRecord): number {
    this.queue.push({ alert });
    const over = Math.max(0, this.queue.length - this.maxQueued);
    this.queue.splice(0, over);
    return over;
  }

  get size(): number {
    return this.queue.length;
  }

  async next(limit: number, held: readonly string[] = []): Promise<BacklogEntry[]> {
    const skip = new Set(held);
    return this.queue.filter((e) => !skip.has(e.alert.sessionKey)).slice(0, limit);
  }

  owns(): boolean {
    return true;
  }

  settle(entry: BacklogEntry): void {
    const i = this.queue.indexOf(entry);
    if (i >= 0) this.queue.splice(i, 1);
  }

  async flush(): Promise<void> {}

  async disabledReason(): Promise<string | undefined> {
    return this.disabled;
  }

  async disable(reason: string): Promise<void> {
    this.disabled = reason;
  }

  abandon(): number {
    return this.queue.splice(0).length;
  }
}
