import type { AlertRecord, OutboxRow, SessionScoreRecord, SpanRecord } from '@toolwatch/schemas';
import type { ClickHouseStore } from './clickhouse-store.js';

export interface WriteBatcherOptions {
  /** Spans per insert at most; more batches than that wait for the next insert. */
  maxRows?: number;
  /** Attempts of the same insert (same rows, same token) before its batches fail. */
  attempts?: number;
  retryDelayMs?: number;
}

/** What one source batch writes: its spans, the alerts and scores they raised, and the
 * alerts' outbox rows (one per sink). */
export interface BatchWrite {
  records: SpanRecord[];
  alerts: AlertRecord[];
  scores: SessionScoreRecord[];
  outbox: OutboxRow[];
}

interface Pending extends BatchWrite {
  token: string;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit for the detector's writes. Every ClickHouse insert makes a part, and a part
 * costs tens of milliseconds whatever its size, so one insert at a time goes out, carrying
 * every batch that was handed over while the previous one ran. Each batch's promise settles
 * with the insert that carried it: its offsets may commit only then.
 *
 * A failed insert is tried again as it was, rows and deduplication token alike: had it
 * landed after all (a timeout, say), ClickHouse drops the copy. Batches handed back to the
 * source and delivered again would group differently, under another token.
 */
export class WriteBatcher {
  private queue: Pending[] = [];
  private running: Promise<void> | undefined;
  private readonly maxRows: number;
  private readonly attempts: number;
  private readonly retryDelayMs: number;

  constructor(
    private readonly store: ClickHouseStore,
    options: WriteBatcherOptions = {},
  ) {
    this.maxRows = options.maxRows ?? 50_000;
    this.attempts = Math.max(1, options.attempts ?? 3);
    this.retryDelayMs = options.retryDelayMs ?? 200;
  }

  /** `token` names the batch (topic, partition, offsets) for insert deduplication. */
  write(token: string, batch: BatchWrite): Promise<void> {
    if (batch.records.length === 0 && batch.alerts.length === 0 && batch.scores.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.queue.push({ ...batch, token, resolve, reject });
      this.run();
    });
  }

  private run(): void {
    if (this.running || this.queue.length === 0) return;
    this.running = this.flush().finally(() => {
      this.running = undefined;
      this.run();
    });
  }

  private async flush(): Promise<void> {
    let rows = this.queue[0]!.records.length;
    let n = 1;
    while (n < this.queue.length && rows + this.queue[n]!.records.length <= this.maxRows) rows += this.queue[n++]!.records.length;
    const group = this.queue.splice(0, n);
    const records = group.length === 1 ? group[0]!.records : group.flatMap((g) => g.records);
    const alerts = group.flatMap((g) => g.alerts);
    const scores = group.flatMap((g) => g.scores);
    const outbox = group.flatMap((g) => g.outbox);
    const token = group.filter((g) => g.records.length > 0).map((g) => g.token).join(',');
    for (let attempt = 1; ; attempt++) {
      try {
        await this.store.writeSpans(records, token);
        // Alerts have deterministic ids in a ReplacingMergeTree: a second copy collapses.
        await this.store.writeAlerts(alerts);
        // Scores replace each other by revision: a second copy collapses too.
        await this.store.writeScores(scores);
        // Last: a row here is a promise to deliver, made once the alert it names is stored.
        await this.store.writeOutbox(outbox);
        for (const g of group) g.resolve();
        return;
      } catch (err) {
        if (attempt >= this.attempts) {
          for (const g of group) g.reject(err);
          return;
        }
        await new Promise((r) => setTimeout(r, this.retryDelayMs * attempt));
      }
    }
  }
}
