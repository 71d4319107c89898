import type { AlertRecord } from '@toolwatch/schemas';
import { DeliveryError, type AlertSink } from './alert-sink.js';

export interface DeliveryOptions {
  /** Wait before each retry (before jitter); its length bounds the attempts. The Standard
   * Webhooks schedule starts 5 s, 5 min, 30 min, 2 h… */
  retryDelaysMs?: number[];
  /** Alerts waiting per sink at most; beyond it the oldest is dropped and counted. */
  maxQueued?: number;
  log?: (level: 'info' | 'warn', message: string) => void;
}

export interface DeliveryStats {
  delivered: number;
  failed: number;
  dropped: number;
  queued: number;
}

const DEFAULT_DELAYS = [5_000, 300_000, 1_800_000, 7_200_000];

/**
 * Sends alerts to one sink, one at a time in the order they came (so a session's alerts
 * arrive in order), retrying with jittered backoff. In memory: the durable outbox that
 * survives a restart replaces it later; ClickHouse holds every alert meanwhile.
 */
export class DeliveryQueue {
  readonly stats: DeliveryStats = { delivered: 0, failed: 0, dropped: 0, queued: 0 };
  private readonly queue: AlertRecord[] = [];
  private running: Promise<void> | undefined;
  private disabled = false;
  private closed = false;
  private wake: (() => void) | undefined;
  private readonly delays: number[];

  constructor(
    readonly sink: AlertSink,
    private readonly options: DeliveryOptions = {},
  ) {
    this.delays = options.retryDelaysMs ?? DEFAULT_DELAYS;
  }

  enqueue(alert: AlertRecord): void {
    if (this.disabled || this.closed) {
      this.stats.dropped += 1;
      return;
    }
    this.queue.push(alert);
    if (this.queue.length > (this.options.maxQueued ?? 10_000)) {
      this.queue.shift();
      this.stats.dropped += 1;
    }
    this.stats.queued = this.queue.length;
    this.running ??= this.run().finally(() => (this.running = undefined));
  }

  /** Resolves when everything queued has been delivered or given up, or after `timeoutMs`. */
  async drain(timeoutMs = 30_000): Promise<void> {
    const deadline = new Promise<void>((r) => setTimeout(r, timeoutMs).unref());
    await Promise.race([this.running ?? Promise.resolve(), deadline]);
  }

  /** Stops retrying; what is still queued is counted as dropped. */
  async close(): Promise<void> {
    this.closed = true;
    this.wake?.();
    await this.running;
    this.stats.dropped += this.queue.length;
    this.queue.length = 0;
    this.stats.queued = 0;
    await this.sink.close?.();
  }

  private async run(): Promise<void> {
    while (this.queue.length > 0 && !this.closed && !this.disabled) {
      const alert = this.queue[0]!;
      const ok = await this.attempt(alert);
      this.queue.shift();
      this.stats.queued = this.queue.length;
      if (ok) this.stats.delivered += 1;
      else this.stats.failed += 1;
    }
  }

  private async attempt(alert: AlertRecord): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.sink.deliver(alert);
        return true;
      } catch (err) {
        const e = err instanceof DeliveryError ? err : new DeliveryError(`${this.sink.name}: ${(err as Error).message}`, true);
        if (e.disable) {
          this.disabled = true;
          this.options.log?.('warn', `${e.message}; ${this.queue.length} queued alerts dropped`);
          this.stats.dropped += this.queue.length - 1;
          this.queue.length = 1;
          return false;
        }
        const delay = this.delays[attempt];
        if (!e.retryable || delay === undefined || this.closed) {
          this.options.log?.('warn', `alert ${alert.id.slice(0, 12)} not delivered: ${e.message}`);
          return false;
        }
        const wait = Math.max(e.retryAfterMs ?? 0, delay * (0.8 + Math.random() * 0.4));
        this.options.log?.('info', `${e.message}; retry ${attempt + 1}/${this.delays.length} in ${Math.round(wait)} ms`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, wait);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = undefined;
      }
    }
  }
}
