import type { AlertRecord } from '@toolwatch/schemas';
import { DeliveryError, type AlertSink } from './alert-sink.js';
import { MemoryBacklog, type Backlog, type BacklogEntry, type Outcome } from './backlog.js';

export interface DeliveryOptions {
  /** Wait before each retry (before jitter); its length bounds the attempts. */
  retryDelaysMs?: number[];
  /** Alerts waiting per sink at most, in memory; beyond it the oldest is dropped and
   * counted. The durable outbox has no such bound. */
  maxQueued?: number;
  log?: (level: 'info' | 'warn', message: string) => void;
}

export interface DeliveryStats {
  delivered: number;
  failed: number;
  dropped: number;
  queued: number;
}

/** Standard Webhooks' schedule after the first attempt: 5 s, 5 min, 30 min, 2 h, 5 h,
 * 10 h, 14 h, 20 h, 24 h (about three days; the outbox keeps an alert for seven). */
export const DEFAULT_RETRY_DELAYS_MS = [5, 300, 1_800, 7_200, 18_000, 36_000, 50_400, 72_000, 86_400].map((s) => s * 1_000);

/** Entries read from the backlog at a time. */
const PAGE = 100;
/** Wait after the backlog itself failed (ClickHouse away) before reading it again. */
const BACKLOG_RETRY_MS = 1_000;

type Attempt = Outcome | 'disabled' | 'interrupted';

/**
 * Sends one sink its alerts, one at a time in the backlog's order (so a session's alerts
 * arrive in order), retrying with jittered backoff. While one alert waits for a retry the
 * rest wait behind it: order over throughput, and a receiver that is down fails them all
 * alike. The backlog is the durable outbox in the detector service (`wake` says that new
 * rows may be there), or memory (`enqueue`).
 */
export class DeliveryQueue {
  readonly stats: DeliveryStats = { delivered: 0, failed: 0, dropped: 0, queued: 0 };
  private running: Promise<void> | undefined;
  /** Something may have been added since the backlog was last read. */
  private dirty = false;
  private disabled: string | undefined;
  private checkedDisabled = false;
  private closed = false;
  private interrupt: (() => void) | undefined;
  private readonly delays: number[];
  private readonly backlog: Backlog;

  constructor(
    readonly sink: AlertSink,
    private readonly options: DeliveryOptions & { backlog?: Backlog } = {},
  ) {
    this.delays = options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
    this.backlog = options.backlog ?? new MemoryBacklog(options.maxQueued);
  }

  /** Queues an alert in memory (only for a queue without a durable backlog). */
  enqueue(alert: AlertRecord): void {
    if (!(this.backlog instanceof MemoryBacklog)) throw new Error('enqueue is for the in-memory backlog; write the outbox and wake() instead');
    if (this.disabled || this.closed) {
      this.stats.dropped += 1;
      return;
    }
    this.stats.dropped += this.backlog.push(alert);
    this.stats.queued = this.backlog.size;
    this.wake();
  }

  /** New alerts may be pending: read the backlog again. */
  wake(): void {
    if (this.closed) return;
    this.dirty = true;
    this.running ??= this.run().finally(() => (this.running = undefined));
  }

  /** Resolves when the backlog has been found empty (or its sink disabled), or after `timeoutMs`. */
  async drain(timeoutMs = 30_000): Promise<void> {
    const deadline = new Promise<void>((r) => setTimeout(r, timeoutMs).unref());
    await Promise.race([this.running ?? Promise.resolve(), deadline]);
  }

  /**
   * Stops: an alert waiting for a retry is not tried again. The in-memory backlog's alerts
   * are counted dropped; the outbox keeps them for the next start. `flush: false` leaves
   * the latest answers unrecorded, as a crash would.
   */
  async close({ flush = true }: { flush?: boolean } = {}): Promise<void> {
    this.closed = true;
    this.interrupt?.();
    await this.running;
    if (flush) await this.flush();
    this.stats.dropped += this.backlog.abandon();
    this.stats.queued = 0;
    await this.sink.close?.();
  }

  private async run(): Promise<void> {
    if (!this.checkedDisabled || this.disabled) {
      // Read again while disabled: `toolwatch outbox --enable` lifts it from outside.
      const was = this.disabled;
      this.disabled = await this.backlog.disabledReason().catch(() => was);
      if (this.disabled && (!was || !this.checkedDisabled)) {
        this.options.log?.('warn', `${this.sink.name} is disabled (${this.disabled}): its alerts wait in the outbox until it is enabled again`);
      }
      if (was && !this.disabled) this.options.log?.('info', `${this.sink.name} enabled again: delivering what waited`);
      this.checkedDisabled = true;
    }
    while (!this.closed && !this.disabled) {
      this.dirty = false;
      let entries: BacklogEntry[];
      try {
        entries = await this.backlog.next(PAGE);
      } catch (err) {
        this.options.log?.('warn', `${this.sink.name}: outbox not read (${(err as Error).message}); again in ${BACKLOG_RETRY_MS} ms`);
        await this.sleep(BACKLOG_RETRY_MS);
        this.dirty = true;
        continue;
      }
      this.stats.queued = entries.length;
      if (entries.length === 0 && !this.dirty) return;
      for (const entry of entries) {
        if (this.closed || this.disabled) break;
        if (!this.backlog.owns(entry)) continue;
        const result = await this.attempt(entry.alert);
        if (result === 'interrupted') break;
        if (result === 'disabled') {
          this.stats.failed += 1;
          this.backlog.settle(entry, 'failed', this.disabled);
          this.stats.dropped += this.backlog.abandon();
          await this.backlog.disable(this.disabled!).catch((err: unknown) => this.options.log?.('warn', `${this.sink.name}: disabled state not saved: ${(err as Error).message}`));
          break;
        }
        this.backlog.settle(entry, result);
        this.stats[result] += 1;
        this.stats.queued -= 1;
      }
      await this.flush();
    }
  }

  /** Records the answers; on failure they stay in memory (and out of `next`) for the next try. */
  private async flush(): Promise<void> {
    await this.backlog.flush().catch((err: unknown) => this.options.log?.('warn', `${this.sink.name}: delivery outcomes not saved yet: ${(err as Error).message}`));
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.interrupt = () => {
        clearTimeout(timer);
        resolve();
      };
    }).finally(() => (this.interrupt = undefined));
  }

  private async attempt(alert: AlertRecord): Promise<Attempt> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.sink.deliver(alert);
        return 'delivered';
      } catch (err) {
        const e = err instanceof DeliveryError ? err : new DeliveryError(`${this.sink.name}: ${(err as Error).message}`, true);
        if (e.disable) {
          this.disabled = e.message;
          this.options.log?.('warn', `${e.message}; no more alerts go there until it is enabled again`);
          return 'disabled';
        }
        const delay = this.delays[attempt];
        if (this.closed) return 'interrupted';
        if (!e.retryable || delay === undefined) {
          this.options.log?.('warn', `alert ${alert.id.slice(0, 12)} not delivered: ${e.message}`);
          return 'failed';
        }
        const wait = Math.max(e.retryAfterMs ?? 0, delay * (0.8 + Math.random() * 0.4));
        this.options.log?.('info', `${e.message}; retry ${attempt + 1}/${this.delays.length} in ${Math.round(wait)} ms`);
        await this.sleep(wait);
        if (this.closed) return 'interrupted';
      }
    }
  }
}
