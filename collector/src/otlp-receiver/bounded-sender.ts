import type { KeyedRecord, RecordTransport } from '../exporters/record-transport.js';

export type SendOutcome = { ok: true } | { ok: false; reason: 'full' | 'failed' | 'timeout'; message: string };

export interface BoundedSenderOptions {
  /** Records queued or being sent, at most; a batch that does not fit is refused. */
  maxInFlightRecords: number;
  /** Transport sends at once (KafkaTransport refuses more than a few). */
  maxConcurrentSends: number;
  /** Records per transport send, at most (one request's batch is never split). */
  maxBatchRecords: number;
  /** A batch not acknowledged by then is answered as failed. */
  sendTimeoutMs: number;
}

interface Entry {
  records: KeyedRecord[];
  settle: (outcome: SendOutcome) => void;
}

/**
 * The receiver's only buffer: records waiting for, or in, a transport send. Requests that
 * arrive together share a send (Kafka does better with fewer, larger batches, and takes
 * only a few sends at once), and each request learns the outcome of its own records. The
 * bound is on records: a batch that does not fit is refused at once — the client keeps it
 * and retries after the Retry-After the receiver answers — so memory stays bounded however
 * fast clients send and however slow Kafka is.
 */
export class BoundedSender {
  private readonly queue: Entry[] = [];
  private inFlight = 0;
  private sends = 0;
  private readonly settled = new Set<Promise<void>>();

  constructor(
    private readonly transport: RecordTransport,
    private readonly options: BoundedSenderOptions,
  ) {}

  get inFlightRecords(): number {
    return this.inFlight;
  }

  /** Resolves once the transport acknowledged the records (or refused, or timed out): a
   * client hears that its spans were accepted only once they are in Kafka. */
  send(records: KeyedRecord[]): Promise<SendOutcome> {
    // One batch larger than the whole bound still passes when nothing else is in flight;
    // otherwise it could never be accepted at all.
    if (this.inFlight > 0 && this.inFlight + records.length > this.options.maxInFlightRecords) {
      return Promise.resolve({ ok: false, reason: 'full', message: `${this.inFlight} records in flight` });
    }
    this.inFlight += records.length;
    return new Promise<SendOutcome>((resolve) => {
      let done = false;
      const entry: Entry = {
        records,
        settle: (outcome) => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          resolve(outcome);
        },
      };
      const timer = setTimeout(() => {
        // Still queued: it leaves the queue and its place. Already sending: its records
        // keep their place until the transport settles, since they are still in memory
        // and may still be delivered.
        const at = this.queue.indexOf(entry);
        if (at >= 0) {
          this.queue.splice(at, 1);
          this.inFlight -= records.length;
        }
        entry.settle({ ok: false, reason: 'timeout', message: `${this.transport.name} did not acknowledge within ${this.options.sendTimeoutMs} ms` });
      }, this.options.sendTimeoutMs);
      this.queue.push(entry);
      this.pump();
    });
  }

  /** Resolves when every record handed over so far has been acknowledged or refused. */
  async drain(): Promise<void> {
    while (this.queue.length > 0 || this.settled.size > 0) {
      if (this.settled.size === 0) this.pump();
      await Promise.all(this.settled);
    }
  }

  private pump(): void {
    while (this.sends < this.options.maxConcurrentSends && this.queue.length > 0) {
      const batch: Entry[] = [this.queue.shift()!];
      let count = batch[0]!.records.length;
      while (this.queue.length > 0 && count + this.queue[0]!.records.length <= this.options.maxBatchRecords) {
        const next = this.queue.shift()!;
        count += next.records.length;
        batch.push(next);
      }
      this.start(batch, count);
    }
  }

  private start(batch: Entry[], count: number): void {
    this.sends++;
    const records = batch.length === 1 ? batch[0]!.records : batch.flatMap((e) => e.records);
    const sending = sendSafely(this.transport, records).then(
      (): SendOutcome => ({ ok: true }),
      (err: unknown): SendOutcome => ({ ok: false, reason: 'failed', message: `${this.transport.name}: ${(err as Error)?.message ?? String(err)}` }),
    );
    const settled = sending.then((outcome) => {
      this.sends--;
      this.inFlight -= count;
      this.settled.delete(settled);
      for (const entry of batch) entry.settle(outcome);
      this.pump();
    });
    this.settled.add(settled);
  }
}

/** A transport that throws instead of rejecting is still a failed send, not a crash. */
function sendSafely(transport: RecordTransport, records: KeyedRecord[]): Promise<void> {
  try {
    return transport.send(records);
  } catch (err) {
    return Promise.reject(err);
  }
}
