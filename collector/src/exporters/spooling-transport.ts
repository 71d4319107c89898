import { join } from 'node:path';
import type { KeyedRecord, RecordTransport } from './record-transport.js';
import { Spool, SpoolLockedError, type SpoolBatch, type SpoolPosition } from './spool.js';

export type DropReason = 'spool_full' | 'corrupt' | 'memory_full' | 'closed';

export interface SpoolingStats {
  /** Records the inner transport took as they came. */
  sent: number;
  /** Records written to the disk spool. */
  spooled: number;
  /** Records the inner transport took from the disk spool. */
  replayed: number;
  /** Records lost, by reason: the spool at its size cap dropped its oldest segment
   * (`spool_full`), an unreadable spool line (`corrupt`), memory full with no disk spool
   * to go to (`memory_full`), still undelivered at close with no disk spool (`closed`). */
  dropped: Record<DropReason, number>;
  /** Sends of the inner transport that failed or did not settle in time. */
  failedSends: number;
}

export interface SpoolingOptions {
  /** Spool directory. The spool lives in a numbered slot below it (`0`, `1`, …), one per
   * live process, so that servers started side by side do not share one; a restart takes
   * the first free slot and replays what it holds. Without `dir`, memory only. */
  dir?: string;
  /** Bytes the disk spool may hold (default 64 MiB); then its oldest segments are dropped. */
  maxBytes?: number;
  segmentBytes?: number;
  sync?: 'always' | 'segment';
  /** Records held in memory (default 5000) before they go to disk, or, with no disk, are
   * dropped oldest first. */
  maxMemoryRecords?: number;
  /** A send not delivered within this time (default 1000 ms) is spooled, and resolves. */
  handoffMs?: number;
  /** Records per send to the inner transport (default 500). */
  batchSize?: number;
  /** Backoff between failed sends: from `retryMinMs` (250), doubling up to `retryMaxMs` (5000). */
  retryMinMs?: number;
  retryMaxMs?: number;
  /** An inner send still unsettled after this (default 30 s) is given up on. The inner
   * transport must bound its own sends well below this (KafkaTransport does). */
  maxSendMs?: number;
  /** How long `close` keeps delivering before it leaves the rest on disk (default 2000 ms). */
  closeTimeoutMs?: number;
  /** Told of inner send failures and disk errors; never thrown. */
  onError?: (err: unknown) => void;
}

type SpooledRange = { start: SpoolPosition; end: SpoolPosition };

const SLOTS = 8;
const SPOOL_RETRY_MS = 30_000;

/**
 * Wraps a record transport so that an outage of what is behind it (Kafka) neither loses
 * records nor slows the caller. Records go through a bounded memory queue to the inner
 * transport, one send at a time; whatever is not delivered within `handoffMs`, or while
 * the inner transport fails, goes to an append-only disk spool, and `send` resolves once
 * its records are delivered or on disk. The spool is delivered in order before anything
 * newer, from one send to the next and across restarts; delivery is at least once (a send
 * that timed out may still have landed), and span ids tell duplicates apart downstream.
 */
export class SpoolingTransport implements RecordTransport {
  readonly name: string;
  readonly stats: SpoolingStats = {
    sent: 0,
    spooled: 0,
    replayed: 0,
    dropped: { spool_full: 0, corrupt: 0, memory_full: 0, closed: 0 },
    failedSends: 0,
  };
  private readonly opts: Required<Omit<SpoolingOptions, 'dir' | 'segmentBytes' | 'sync'>>;
  private memory: KeyedRecord[] = [];
  /** Records that ever left the head of `memory`: sends resolve by this count. */
  private headSeq = 0;
  private waiters: Array<{ upTo: number; resolve: () => void }> = [];
  /** Head records of `memory` in an inner send, not yet on disk. */
  private inFlight = 0;
  private inFlightSpooled: SpooledRange | undefined;
  private handoffAt = Infinity;
  /** The in-flight records went to disk (or, with no disk, their senders were released):
   * whatever comes after them goes the same way. */
  private handedOff = false;
  private phase: 'starting' | 'idle' | 'memory' | 'replay' | 'backoff' = 'starting';
  private spool: Spool | undefined;
  private spoolRetryAt = 0;
  private backoff = 0;
  private retryAt = 0;
  private wakeup: (() => void) | undefined;
  private woken = false;
  private closing = false;
  private closeBy = Infinity;
  private closed: Promise<void> | undefined;
  private idleWaiters: Array<() => void> = [];
  private readonly loop: Promise<void>;

  constructor(
    private readonly inner: RecordTransport,
    private readonly options: SpoolingOptions = {},
  ) {
    this.name = `${inner.name}+spool`;
    this.opts = {
      maxBytes: options.maxBytes ?? 64 << 20,
      maxMemoryRecords: options.maxMemoryRecords ?? 5000,
      handoffMs: options.handoffMs ?? 1000,
      batchSize: options.batchSize ?? 500,
      retryMinMs: options.retryMinMs ?? 250,
      retryMaxMs: options.retryMaxMs ?? 5000,
      maxSendMs: options.maxSendMs ?? 30_000,
      closeTimeoutMs: options.closeTimeoutMs ?? 2000,
      onError: options.onError ?? (() => {}),
    };
    this.loop = this.run();
  }

  /** The slot directory in use, once the spool is open. */
  get spoolDir(): string | undefined {
    return this.spool?.dir;
  }

  /** Records waiting in memory and bytes waiting on disk. */
  get backlog(): { memoryRecords: number; spoolBytes: number } {
    return { memoryRecords: this.memory.length, spoolBytes: this.spool?.pendingBytes ?? 0 };
  }

  send(records: KeyedRecord[]): Promise<void> {
    if (this.closing) return Promise.reject(new Error(`${this.name}: closed`));
    if (records.length === 0) return Promise.resolve();
    // Memory is spilled as it fills; this only trips when the disk cannot keep up.
    if (this.memory.length >= 2 * this.opts.maxMemoryRecords) {
      this.stats.dropped.memory_full += records.length;
      return Promise.reject(new Error(`${this.name}: memory full, ${records.length} records dropped`));
    }
    for (const record of records) this.memory.push(record);
    const upTo = this.headSeq + this.memory.length;
    const accepted = new Promise<void>((resolve) => this.waiters.push({ upTo, resolve }));
    this.wake();
    return accepted;
  }

  /** Resolves when nothing is waiting in memory or on disk, or once closed. */
  whenIdle(): Promise<void> {
    if ((this.phase === 'idle' && this.drained()) || this.closed) return this.closed ?? Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Delivers for up to `closeTimeoutMs`, spools the rest, and closes the inner transport. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      this.closing = true;
      this.closeBy = Date.now() + this.opts.closeTimeoutMs;
      this.wake();
      await this.loop;
      await this.spool?.close().catch((err: unknown) => this.report(err));
      await within(this.inner.close(), this.opts.closeTimeoutMs).catch((err: unknown) => this.report(err));
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    })();
    return this.closed;
  }

  private async run(): Promise<void> {
    await this.usableSpool(); // replay what a predecessor left, before anything new
    for (;;) {
      const now = Date.now();
      // Closing while the inner transport is away: the disk keeps the rest for next time.
      if (this.closing && (this.drained() || now >= this.closeBy || (this.retryAt > now && this.spool))) break;
      try {
        if (this.drained()) {
          this.phase = 'idle';
          for (const resolve of this.idleWaiters.splice(0)) resolve();
          await this.sleep(Infinity);
        } else if (this.retryAt > now) {
          this.phase = 'backoff';
          await this.housekeeping();
          await this.sleep(Math.min(this.retryAt, this.closeBy) - Date.now());
        } else if (this.spool && !this.spool.empty) {
          await this.replayOne(this.spool);
        } else {
          await this.sendOne();
        }
      } catch (err) {
        // A bug or a disk fault in one step must not end delivery for good.
        this.report(err);
        this.failed();
      }
    }
    await this.spill().catch((err: unknown) => this.report(err));
    if (this.memory.length > 0) {
      this.stats.dropped.closed += this.memory.length;
      this.memory = [];
    }
    this.resolveAll();
  }

  /** Delivers the oldest spooled records. */
  private async replayOne(spool: Spool): Promise<void> {
    this.phase = 'replay';
    await this.housekeeping(); // what is in memory is newer: it goes behind the spool
    const batch: SpoolBatch = await spool.read(this.opts.batchSize);
    if (batch.records.length === 0) {
      await spool.commit(batch); // nothing but unreadable lines
      return;
    }
    if (await this.attempt(batch.records)) {
      // The cursor moves in memory even if it cannot be saved; a restart would replay more.
      await spool.commit(batch).catch((err: unknown) => this.report(err));
      this.stats.replayed += batch.records.length;
      this.succeeded();
    } else {
      spool.release();
      this.failed();
    }
  }

  /** Delivers the oldest records in memory (the spool is empty). */
  private async sendOne(): Promise<void> {
    this.phase = 'memory';
    const n = Math.min(this.memory.length, this.opts.batchSize);
    this.inFlight = n;
    this.inFlightSpooled = undefined;
    this.handedOff = false;
    this.handoffAt = Date.now() + this.opts.handoffMs;
    const ok = await this.attempt(this.memory.slice(0, n));
    // Set by a spill during the attempt (which control-flow analysis does not see).
    const spooled = this.inFlightSpooled as SpooledRange | undefined;
    this.inFlight = 0;
    this.inFlightSpooled = undefined;
    this.handedOff = false;
    this.handoffAt = Infinity;
    if (ok) {
      this.stats.sent += n;
      // Delivered after all, late: not to be replayed.
      if (spooled) await this.spool?.skip(spooled.start, spooled.end).catch((err: unknown) => this.report(err));
      else this.take(n);
      this.succeeded();
    } else {
      this.failed();
      if (!spooled) await this.spill();
    }
  }

  /** One inner send, while keeping memory bounded and callers unblocked. */
  private async attempt(records: KeyedRecord[]): Promise<boolean> {
    const started = Date.now();
    let result: boolean | undefined;
    void Promise.resolve()
      .then(() => this.inner.send(records))
      .then(
        () => (result = true),
        (err: unknown) => {
          this.report(err);
          result = false;
        },
      )
      .finally(() => this.wake());
    for (;;) {
      await this.housekeeping();
      if (result !== undefined) return result;
      const giveUpAt = Math.min(started + this.opts.maxSendMs, this.closing ? this.closeBy : Infinity);
      if (Date.now() >= giveUpAt) {
        // Left running: a late success only means a duplicate.
        this.report(new Error(`${this.inner.name}: send did not settle within ${Date.now() - started} ms`));
        return false;
      }
      await this.sleep(Math.min(giveUpAt, this.handedOff ? Infinity : this.handoffAt) - Date.now());
    }
  }

  private async housekeeping(): Promise<void> {
    if (this.mustSpill()) await this.spill();
  }

  private mustSpill(): boolean {
    if (this.memory.length === 0) return false;
    if (this.memory.length - this.inFlight > this.opts.maxMemoryRecords) return true;
    if (this.phase === 'replay' || this.phase === 'backoff') return true;
    return this.handedOff || Date.now() >= this.handoffAt;
  }

  /** Moves everything in memory to the disk spool, in order; with no disk, the records
   * stay in memory (bounded) and their senders are released. */
  private async spill(): Promise<void> {
    if (this.memory.length === 0) return;
    const spool = await this.usableSpool();
    if (spool) {
      try {
        if (this.inFlight > 0) {
          // The in-flight records are the oldest: they go first, and their place is kept
          // in case their send succeeds late.
          this.inFlightSpooled = await spool.append(this.memory.slice(0, this.inFlight));
          this.stats.spooled += this.inFlight;
          this.take(this.inFlight);
          this.inFlight = 0;
        }
        if (this.phase === 'memory') this.handedOff = true;
        while (this.memory.length > 0) {
          const n = Math.min(this.memory.length, this.opts.batchSize);
          await spool.append(this.memory.slice(0, n));
          this.stats.spooled += n;
          this.take(n);
        }
        return;
      } catch (err) {
        this.report(err);
        this.spoolRetryAt = Date.now() + SPOOL_RETRY_MS;
      }
    }
    if (this.phase === 'memory') this.handedOff = true;
    this.resolveAll();
    const excess = this.memory.length - this.inFlight - this.opts.maxMemoryRecords;
    if (excess > 0) {
      this.memory.splice(this.inFlight, excess); // the oldest that are not in flight
      this.stats.dropped.memory_full += excess;
    }
  }

  private async usableSpool(): Promise<Spool | undefined> {
    if (Date.now() < this.spoolRetryAt) return undefined;
    if (this.spool || !this.options.dir) return this.spool;
    let locked = 0;
    for (let slot = 0; slot < SLOTS; slot++) {
      try {
        this.spool = await Spool.open(join(this.options.dir, String(slot)), {
          maxBytes: this.opts.maxBytes,
          segmentBytes: this.options.segmentBytes,
          sync: this.options.sync,
          onDrop: (reason, records) => (this.stats.dropped[reason] += records),
        });
        return this.spool;
      } catch (err) {
        if (!(err instanceof SpoolLockedError)) {
          this.report(err);
          break;
        }
        locked++;
      }
    }
    if (locked === SLOTS) this.report(new Error(`${this.name}: all ${SLOTS} spool slots are in use`));
    this.spoolRetryAt = Date.now() + SPOOL_RETRY_MS;
    return undefined;
  }

  /** The first `n` records of memory are delivered or on disk. */
  private take(n: number): void {
    this.memory.splice(0, n);
    this.headSeq += n;
    while (this.waiters[0] && this.waiters[0].upTo <= this.headSeq) this.waiters.shift()!.resolve();
  }

  private resolveAll(): void {
    for (const waiter of this.waiters.splice(0)) waiter.resolve();
  }

  private drained(): boolean {
    return this.memory.length === 0 && (!this.spool || this.spool.empty);
  }

  private succeeded(): void {
    this.backoff = 0;
    this.retryAt = 0;
  }

  private failed(): void {
    this.stats.failedSends++;
    this.backoff = Math.min(this.opts.retryMaxMs, this.backoff ? this.backoff * 2 : this.opts.retryMinMs);
    this.retryAt = Date.now() + this.backoff * (0.8 + Math.random() * 0.4);
  }

  /** Waits `ms` or until woken by a send, a settled inner send or close. */
  private sleep(ms: number): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        clearTimeout(timer);
        this.wakeup = undefined;
        resolve();
      };
      if (ms < Infinity) timer = setTimeout(done, Math.max(0, ms)).unref();
      this.wakeup = done;
    });
  }

  private wake(): void {
    if (this.wakeup) this.wakeup();
    else this.woken = true;
  }

  private report(err: unknown): void {
    try {
      this.opts.onError(err);
    } catch {
      // a faulty error handler must not stop delivery
    }
  }
}

function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms).unref()));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
