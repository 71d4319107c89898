import type { AlertRecord } from '@toolwatch/schemas';
import { DeliveryError, type AlertSink } from './alert-sink.js';
import { MemoryBacklog, type Backlog, type BacklogEntry } from './backlog.js';

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

/** One attempt's answer. */
type Attempt =
  | { kind: 'delivered' }
  | { kind: 'rejected'; reason: string }
  | { kind: 'retry'; reason: string; retryAfterMs?: number }
  | { kind: 'disabled'; reason: string };

/** A session whose oldest alert failed and waits for its next attempt; its later alerts
 * wait behind it, other sessions' do not. */
interface Lane {
  attempts: number;
  until: number;
}

/**
 * Sends one sink its alerts in the backlog's order, one at a time, retrying with jittered
 * backoff. Order is kept per session: an alert that fails holds back its own session's
 * later alerts, not other sessions'. Two failures in a row (or a Retry-After) say that the
 * receiver, not an alert, is the trouble: the whole sink pauses, and the next attempt
 * after the pause is the probe. The backlog is the durable outbox in the detector
 * service (`wake` says that new rows may be there), or memory (`enqueue`).
 */
export class DeliveryQueue {
  readonly stats: DeliveryStats = { delivered: 0, failed: 0, dropped: 0, queued: 0 };
  private running: Promise<void> | undefined;
  /** Something may have been added since the backlog was last read. */
  private dirty = false;
  private disabled: string | undefined;
  private checkedDisabled = false;
  private closed = false;
  /** Stopped as a crash would: the answer of an attempt under way is not recorded. */
  private crashed = false;
  private readonly lanes = new Map<string, Lane>();
  private pausedUntil = 0;
  private pauses = 0;
  /** Retryable failures since the receiver last answered (2xx or a 4xx): two mean it is down. */
  private failuresInRow = 0;
  /** Ends the current wait; `wake` ends only a wait for work, not a pause. */
  private interrupt: ((byWake: boolean) => void) | undefined;
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
    this.interrupt?.(true);
    this.running ??= this.run().finally(() => (this.running = undefined));
  }

  /** Resolves when the backlog has been found empty with no retry due (or its sink
   * disabled), or after `timeoutMs`. */
  async drain(timeoutMs = 30_000): Promise<void> {
    const deadline = new Promise<void>((r) => setTimeout(r, timeoutMs).unref());
    await Promise.race([this.running ?? Promise.resolve(), deadline]);
  }

  /**
   * Stops: an alert waiting for a retry is not tried again. The in-memory backlog's alerts
   * are counted dropped; the outbox keeps them for the next start. `flush: false` stops as
   * a crash would: the answer to an attempt under way, and answers not yet saved, are lost.
   */
  async close({ flush = true }: { flush?: boolean } = {}): Promise<void> {
    this.closed = true;
    this.crashed = !flush;
    this.interrupt?.(false);
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
      if (this.pausedUntil > Date.now()) {
        await this.sleep(this.pausedUntil - Date.now(), false);
        continue;
      }
      this.dirty = false;
      const now = Date.now();
      const held = [...this.lanes].filter(([, lane]) => lane.until > now).map(([session]) => session);
      let entries: BacklogEntry[];
      try {
        entries = await this.backlog.next(PAGE, held);
      } catch (err) {
        this.options.log?.('warn', `${this.sink.name}: outbox not read (${(err as Error).message}); again in ${BACKLOG_RETRY_MS} ms`);
        await this.sleep(BACKLOG_RETRY_MS, false);
        this.dirty = true;
        continue;
      }
      this.stats.queued = entries.length;
      if (entries.length === 0) {
        if (this.dirty) continue;
        // Sessions whose retry was due took part in the read and have nothing left here
        // (delivered by another owner, or moved away with their partition).
        for (const [session, lane] of this.lanes) if (lane.until <= now) this.lanes.delete(session);
        const due = Math.min(...[...this.lanes.values()].map((lane) => lane.until));
        if (!Number.isFinite(due)) return;
        await this.sleep(due - Date.now(), true);
        continue;
      }
      await this.deliverPage(entries);
      if (this.crashed) return;
      await this.flush();
    }
  }

  private async deliverPage(entries: BacklogEntry[]): Promise<void> {
    for (const entry of entries) {
      if (this.closed || this.disabled || this.pausedUntil > Date.now()) return;
      const session = entry.alert.sessionKey;
      if (!this.backlog.owns(entry)) {
        this.lanes.delete(session); // its partition moved: the new owner sends it, and retries it afresh
        continue;
      }
      const lane = this.lanes.get(session);
      if (lane && lane.until > Date.now()) continue; // an earlier alert of its session waits
      const result = await this.attempt(entry.alert);
      if (this.crashed) return;
      this.stats.queued -= 1;
      if (result.kind === 'delivered') {
        this.backlog.settle(entry, 'delivered');
        this.stats.delivered += 1;
        this.lanes.delete(session);
        this.failuresInRow = 0;
        this.pauses = 0;
        // The receiver answers: sessions held by its outage may go after the first delay.
        const soon = Date.now() + this.delays[0]!;
        for (const held of this.lanes.values()) held.until = Math.min(held.until, soon);
      } else if (result.kind === 'rejected') {
        this.options.log?.('warn', `alert ${entry.alert.id.slice(0, 12)} not delivered: ${result.reason}`);
        this.backlog.settle(entry, 'failed', result.reason);
        this.stats.failed += 1;
        this.lanes.delete(session);
        this.failuresInRow = 0; // it answered: up, if not pleased
      } else if (result.kind === 'disabled') {
        // Left pending, like every alert behind it: enabled again, the sink gets them all.
        this.disabled = result.reason;
        this.options.log?.('warn', `${result.reason}; no more alerts go there until it is enabled again (toolwatch outbox --enable)`);
        this.stats.dropped += this.backlog.abandon();
        await this.backlog.disable(result.reason).catch((err: unknown) => this.options.log?.('warn', `${this.sink.name}: disabled state not saved: ${(err as Error).message}`));
        return;
      } else {
        const attempts = (lane?.attempts ?? 0) + 1;
        if (attempts > this.delays.length) {
          this.options.log?.('warn', `alert ${entry.alert.id.slice(0, 12)} not delivered after ${attempts} attempts: ${result.reason}`);
          this.backlog.settle(entry, 'failed', result.reason);
          this.stats.failed += 1;
          this.lanes.delete(session);
          continue;
        }
        const wait = this.backoff(this.delays[attempts - 1]!, result.retryAfterMs);
        this.lanes.set(session, { attempts, until: Date.now() + wait });
        this.options.log?.('info', `${result.reason}; retry ${attempts}/${this.delays.length} of alert ${entry.alert.id.slice(0, 12)} in ${Math.round(wait)} ms`);
        this.failuresInRow += 1;
        if (this.failuresInRow >= 2 || result.retryAfterMs !== undefined) {
          this.pauses = Math.min(this.pauses + 1, this.delays.length);
          this.pausedUntil = Date.now() + this.backoff(this.delays[this.pauses - 1]!, result.retryAfterMs);
          this.options.log?.('info', `${this.sink.name}: paused for ${Math.round(this.pausedUntil - Date.now())} ms`);
          return;
        }
      }
    }
  }

  private backoff(delay: number, retryAfterMs: number | undefined): number {
    return Math.max(retryAfterMs ?? 0, delay * (0.8 + Math.random() * 0.4));
  }

  /** Records the answers; on failure they stay in memory (and out of `next`) for the next try. */
  private async flush(): Promise<void> {
    await this.backlog.flush().catch((err: unknown) => this.options.log?.('warn', `${this.sink.name}: delivery outcomes not saved yet: ${(err as Error).message}`));
  }

  /** Waits `ms`; a `wake` ends the wait early only if `forWork`, a close always does. */
  private sleep(ms: number, forWork: boolean): Promise<void> {
    if (ms <= 0 || this.closed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.interrupt = (byWake) => {
        if (byWake && !forWork) return;
        clearTimeout(timer);
        resolve();
      };
    }).finally(() => (this.interrupt = undefined));
  }

  private async attempt(alert: AlertRecord): Promise<Attempt> {
    try {
      await this.sink.deliver(alert);
      return { kind: 'delivered' };
    } catch (err) {
      const e = err instanceof DeliveryError ? err : new DeliveryError(`${this.sink.name}: ${(err as Error).message}`, true);
      if (e.disable) return { kind: 'disabled', reason: e.message };
      if (!e.retryable) return { kind: 'rejected', reason: e.message };
      return { kind: 'retry', reason: e.message, retryAfterMs: e.retryAfterMs };
    }
  }
}
