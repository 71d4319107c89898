import { randomUUID } from 'node:crypto';
import { decodeSpanRecord, type AlertRecord, type SessionScoreRecord, type SpanRecord } from '@toolwatch/schemas';
import type { DetectorConfig, RulesConfig } from './config.js';
import { DetectionEngine } from './engine.js';
import { nsToMs } from './session.js';
import type { AlertSink } from './sinks/alert-sink.js';
import { DeliveryQueue, type DeliveryOptions } from './sinks/delivery-queue.js';
import { OutboxBacklog, outboxRows, type OutboxShare } from './storage/outbox-backlog.js';
import type { SourceBatch, SpanSource } from './sources/span-source.js';
import type { ClickHouseStore } from './storage/clickhouse-store.js';
import { seedFromHistory, type Seed } from './storage/history-seed.js';
import { WriteBatcher, type WriteBatcherOptions } from './storage/write-batcher.js';
import { StateStore, type PartitionKey } from './storage/state-store.js';

export type LogLevel = 'info' | 'warn' | 'error';
export type Logger = (level: LogLevel, message: string) => void;

export interface DetectorServiceOptions {
  source: SpanSource;
  store: ClickHouseStore;
  rules: RulesConfig;
  sinks?: AlertSink[];
  delivery?: DeliveryOptions;
  log?: Logger;
  /** Called for each new alert after it is stored (the demo prints them). */
  onAlert?: (alert: AlertRecord) => void;
  /** State partitioned like the topic, and when to save each partition's: only a source
   * with a consumer group (Kafka) has offsets that outlive the process, so only it saves.
   * Without it (or `false`), one engine scores every partition and nothing is saved. */
  state?: Partial<DetectorConfig['state']> | false;
  /** How batches are grouped into ClickHouse inserts. */
  write?: WriteBatcherOptions;
  /** An engine with no saved state first learns from the spans already in ClickHouse:
   * up to `maxSpans` of the last `days` days (`false` or 0 days: start cold). */
  seed?: { days: number; maxSpans: number } | false;
}

export interface DetectorStats {
  consumed: number;
  invalid: number;
  spansWritten: number;
  alerts: number;
  /** Messages read again only to rebuild a partition's state after another owner. */
  replayed: number;
}

/** One partition's engine and where it stands in the partition's offsets. */
interface Partition {
  key: PartitionKey;
  engine: DetectionEngine;
  /** The offset expected next: a batch that starts elsewhere had another owner or a retry. */
  next: bigint;
  /** The last offset the engine has seen: anything up to it is in its state, and written. */
  seen: bigint;
  /** Offsets below this were written by an earlier owner: read for state only. */
  replayUntil: bigint;
  batchesSinceSave: number;
  savedAtMs: number;
}

const OUTBOX_POLL_MS = 60_000;

const max = (a: bigint, b: bigint) => (a > b ? a : b);

/** Event time drives when sessions end: a span from far in the future would end every
 * session, and then every session at once as soon as it arrived. Not scored, dead-lettered. */
const MAX_AHEAD_MS = 86_400_000;
function notTooLate(decoded: ReturnType<typeof decodeSpanRecord>): ReturnType<typeof decodeSpanRecord> {
  // Whole ms against whole ms: the same answer as comparing nanoseconds, without BigInts.
  if (!decoded.ok || nsToMs(decoded.value.Timestamp) <= Date.now() + MAX_AHEAD_MS) return decoded;
  return { ok: false, reason: 'Timestamp more than a day ahead of this clock' };
}

/**
 * Source → decode → score → ClickHouse → alert sinks. A batch counts as handled (and its
 * offsets commit) only after its spans and alerts are in ClickHouse; delivery to the sinks
 * runs behind, from their queues. A message that cannot be read is counted, logged with
 * its reason and dead-lettered; it never stops the stream.
 *
 * With the `state` option, state is partitioned like the topic: Kafka keys messages by session, so one engine per
 * partition sees whole sessions. A partition's engine is saved every so often and on stop;
 * a new owner loads it and, when the previous owner went further than its last save,
 * re-reads the topic from there for state only: the same state, no span written twice,
 * no alert delivered twice.
 */
export class DetectorService {
  readonly stats: DetectorStats = { consumed: 0, invalid: 0, spansWritten: 0, alerts: 0, replayed: 0 };
  readonly deliveries: DeliveryQueue[];
  private readonly partitions = new Map<string, Partition>();
  private readonly written = new Map<string, bigint>();
  /** Alerts and session scores raised by a batch whose write failed, by source partition,
   * until a write succeeds: the engine has moved on and will not raise them again when the
   * batch comes back (only a source that cannot seek back keeps its engine), and a session
   * that ended in it does not end again. Keyed apart from the engines because one engine
   * may serve batches of several partitions at once. */
  private readonly unwritten = new Map<string, { alerts: AlertRecord[]; scores: SessionScoreRecord[] }>();
  private readonly writer: WriteBatcher;
  /** Kafka offsets name the same messages across restarts; a source without a group
   * (the embedded queue) counts from 0 again, and a token of an earlier run would make
   * ClickHouse drop new spans as a retry of old ones. */
  private readonly tokenScope: string;
  private readonly partitioned: boolean;
  private readonly state: StateStore | undefined;
  private readonly saveEveryBatches: number;
  private readonly saveEveryMs: number;
  private readonly log: Logger;
  /** Each sink's key in the outbox. */
  private readonly sinkIds: string[];
  /** Reads the outbox now and then without new alerts: a sink enabled again from outside,
   * rows of a partition whose rebalance went unnoticed. */
  private outboxTimer: NodeJS.Timeout | undefined;
  /** Orders the alerts of a source without offsets that outlive the process. */
  private lastSequence = 0n;
  /** Learned once per process, shared by every engine that starts without saved state. */
  private seeded: Promise<Seed | undefined> | undefined;

  constructor(private readonly options: DetectorServiceOptions) {
    this.log = options.log ?? (() => {});
    this.writer = new WriteBatcher(options.store, options.write);
    this.tokenScope = options.source.group === undefined ? `${randomUUID()}:` : '';
    const state = options.state || undefined;
    this.partitioned = state !== undefined;
    this.state = state && options.source.group !== undefined ? new StateStore(options.store) : undefined;
    this.saveEveryBatches = (state && state.saveEveryBatches) || 50;
    this.saveEveryMs = (state && state.saveEveryMs) || 10_000;
    const sinks = options.sinks ?? [];
    this.sinkIds = sinks.map((sink) => sink.id ?? sink.name);
    const twice = this.sinkIds.find((id, i) => this.sinkIds.indexOf(id) !== i);
    if (twice !== undefined) throw new Error(`two alert sinks are both named "${twice}" in the outbox: give one of them a name`);
    const { source } = options;
    const share = (): OutboxShare => (source.group !== undefined && source.owned ? source.owned() : 'all');
    this.deliveries = sinks.map(
      (sink, i) =>
        new DeliveryQueue(sink, {
          log: (level, m) => this.log(level, m),
          ...options.delivery,
          backlog: new OutboxBacklog(options.store, this.sinkIds[i]!, source.group ?? '', share),
        }),
    );
  }

  /** Sends what is pending in the outbox: new alerts, or a partition's after a rebalance. */
  private wakeDeliveries(): void {
    for (const queue of this.deliveries) queue.wake();
  }

  /** Where a batch's alerts go in their partition's delivery order. */
  private outboxPlace(lastOffset: string): bigint {
    if (this.options.source.group !== undefined) return BigInt(lastOffset);
    // The embedded queue counts offsets from 0 in every process: a clock that only grows
    // puts this run's alerts after those a previous run left pending.
    const now = BigInt(Date.now()) * 1000n;
    this.lastSequence = now > this.lastSequence ? now : this.lastSequence + 1n;
    return this.lastSequence;
  }

  async start(): Promise<void> {
    // Before joining the group: learning from history can outlast a consumer's session
    // timeout, and inside a batch it would cost a rebalance.
    await this.history();
    this.options.source.onRebalance?.(() => this.wakeDeliveries());
    await this.options.source.start((batch) => this.handle(batch));
    this.wakeDeliveries(); // what a previous run left pending
    if (this.deliveries.length > 0) this.outboxTimer = setInterval(() => this.wakeDeliveries(), OUTBOX_POLL_MS).unref();
  }

  private partitionId(batch: SourceBatch): string {
    return this.partitioned ? `${batch.topic}:${batch.partition}` : '*';
  }

  private get canReplay(): boolean {
    return this.state !== undefined && this.options.source.seek !== undefined;
  }

  private async handle(batch: SourceBatch): Promise<void> {
    if (batch.messages.length === 0) return;
    const id = this.partitionId(batch);
    const first = BigInt(batch.messages[0]!.offset);
    let p = this.partitions.get(id);
    if (p && first !== p.next && this.canReplay) {
      // Another instance owned the partition meanwhile, or this batch failed before: this
      // engine does not stand where the batch starts. Rebuild it from the saved state.
      this.drop(id, p);
      p = undefined;
    }
    p ??= await this.open(batch, first, this.written.get(id) ?? -1n);
    if (!p) return; // sought back to rebuild state: the batches come again from there
    try {
      await this.process(p, batch);
    } catch (err) {
      // The engine has seen spans that were not written: rebuild it when the batch comes back.
      if (this.canReplay) this.drop(id, p);
      throw err;
    }
  }

  private drop(id: string, p: Partition): void {
    this.partitions.delete(id);
    this.unwritten.delete(id); // the rebuilt engine raises them again
    // A batch that comes back (its commit lost to a rebalance, say) was written by us: what
    // this instance wrote is not written again, whatever the group's committed offset says.
    this.written.set(id, max(this.written.get(id) ?? -1n, p.next));
  }

  /** The partition's engine, restored from its saved state; undefined if the source was
   * sent back to re-read what the previous owner processed after its last save. `written`:
   * offsets below it this instance wrote itself. */
  private async open(batch: SourceBatch, first: bigint, written: bigint): Promise<Partition | undefined> {
    const key: PartitionKey = { group: this.options.source.group ?? '', topic: batch.topic, partition: batch.partition };
    const id = this.partitionId(batch);
    const engine = new DetectionEngine(this.options.rules, undefined, { scores: true });
    const partition = (seen: bigint, replayUntil: bigint): Partition => {
      const p: Partition = { key, engine, next: seen + 1n, seen, replayUntil, batchesSinceSave: 0, savedAtMs: Date.now() };
      this.partitions.set(id, p);
      return p;
    };
    const saved = this.state ? await this.state.load(key) : undefined;
    if (!saved) await this.seed(engine);
    if (!this.partitioned) return partition(-1n, 0n); // offsets of every partition: none skipped
    if (!this.state) return partition(first - 1n, first);
    if (!saved) {
      // Saved at once, empty: a later owner then rebuilds from here, not from nothing.
      await this.state.save(key, { snapshot: engine.snapshot(), offset: first - 1n, committed: first });
      return partition(first - 1n, first);
    }
    if (!engine.restore(saved.snapshot)) {
      this.log('warn', `${id}: saved state of version ${saved.snapshot.version} not restored; baselines from history instead`);
      await this.seed(engine);
    }
    // The batch starts at the group's committed offset: everything before it was written.
    const replayUntil = max(max(first, saved.committed), written);
    const from = saved.offset + 1n;
    if (from < first && this.options.source.seek) {
      // The seek commits `from`: the row says how far the spans were written, should this
      // instance die in the middle of the replay.
      if (replayUntil > saved.committed) await this.state.save(key, { ...saved, committed: replayUntil });
      this.log('info', `${id}: state at offset ${saved.offset}, rebuilding from ${from} to ${replayUntil}`);
      this.options.source.seek(batch.topic, batch.partition, from.toString());
      partition(saved.offset, replayUntil);
      return undefined;
    }
    if (from < first) this.log('warn', `${id}: state at offset ${saved.offset} but the stream at ${first}; the source cannot re-read the gap`);
    return partition(saved.offset, replayUntil);
  }

  private async process(p: Partition, batch: SourceBatch): Promise<void> {
    const records: SpanRecord[] = [];
    // The engine has moved on once it has seen these spans, and will not raise their alerts
    // again when a failed batch comes back: alerts stay here until a write succeeds.
    const source = `${batch.topic}:${batch.partition}`;
    const held = this.unwritten.get(source);
    const alerts = [...(held?.alerts ?? [])];
    for (const message of batch.messages) {
      const offset = BigInt(message.offset);
      if (offset <= p.seen) continue; // in the saved state already, and written
      const replay = offset < p.replayUntil;
      if (replay) this.stats.replayed += 1;
      else this.stats.consumed += 1;
      const decoded = notTooLate(decodeSpanRecord(message.value));
      if (decoded.ok) {
        const raised = p.engine.process(decoded.value);
        if (replay) {
          p.engine.drainScores(); // the previous owner wrote these spans, alerts and scores
          continue;
        }
        records.push(decoded.value);
        alerts.push(...raised);
        continue;
      }
      if (replay) continue;
      this.stats.invalid += 1;
      this.log('warn', `skipped message ${batch.topic}/${batch.partition}@${message.offset}: ${decoded.reason}`);
      await this.options.source.deadLetter(batch, message, decoded.reason).catch((err: unknown) => {
        this.log('error', `dead-letter failed for ${batch.topic}/${batch.partition}@${message.offset}: ${(err as Error).message}`);
      });
    }
    const scores = [...(held?.scores ?? []), ...p.engine.drainScores()];
    this.unwritten.set(source, { alerts, scores });

    const first = batch.messages[0]!.offset;
    const last = batch.messages.at(-1)!.offset;
    const origin = { group: this.options.source.group ?? '', topic: batch.topic, partition: batch.partition, offset: this.outboxPlace(last) };
    const outbox = outboxRows(this.sinkIds, origin, alerts);
    await this.writer.write(`${this.tokenScope}${source}:${first}-${last}`, { records, alerts, scores, outbox });
    this.unwritten.delete(source);
    if (this.partitioned) {
      // One engine for all partitions has no offsets of its own to keep.
      p.seen = max(p.seen, BigInt(last));
      p.next = BigInt(last) + 1n;
    }
    this.stats.spansWritten += records.length;
    for (const alert of alerts) if (alert.status === 'open') this.stats.alerts += 1;

    for (const alert of alerts) this.options.onAlert?.(alert);
    if (alerts.length > 0) this.wakeDeliveries();

    p.batchesSinceSave += 1;
    if (p.batchesSinceSave >= this.saveEveryBatches || Date.now() - p.savedAtMs >= this.saveEveryMs) await this.save(p);
  }

  /** Restores the baselines learned from history into a new engine (see `seed`). */
  private async seed(engine: DetectionEngine): Promise<void> {
    const seed = await this.history();
    if (seed && seed.spans > 0) engine.restoreScorers(seed.scorers);
  }

  private history(): Promise<Seed | undefined> {
    const options = this.options.seed;
    if (!options || options.days <= 0 || options.maxSpans <= 0) return Promise.resolve(undefined);
    return (this.seeded ??= (async () => {
      const started = Date.now();
      try {
        const seed = await seedFromHistory(this.options.store, this.options.rules, { sinceMs: Date.now() - options.days * 86_400_000, maxSpans: options.maxSpans });
        if (seed.spans > 0) this.log('info', `baselines learned from ${seed.spans} spans of history in ${((Date.now() - started) / 1000).toFixed(1)} s`);
        return seed;
      } catch (err) {
        // Cold baselines only mean a longer warm-up: never a reason not to score.
        this.log('warn', `baselines not seeded from history: ${(err as Error).message}`);
        return undefined;
      }
    })());
  }

  private async save(p: Partition): Promise<void> {
    if (!this.state) return;
    await this.state.save(p.key, { snapshot: p.engine.snapshot(), offset: p.seen, committed: max(p.seen + 1n, p.replayUntil) });
    p.batchesSinceSave = 0;
    p.savedAtMs = Date.now();
  }

  /** Saves every partition's state now. A partition since given to another instance is
   * saved too, harmlessly: the newest offset wins, and this one is older or the same. */
  async saveState(): Promise<void> {
    for (const p of this.partitions.values()) await this.save(p);
  }

  /** Stops consuming, saves the state, gives the sinks `drainMs` to deliver what is
   * queued, then closes. */
  async stop(drainMs = 10_000): Promise<void> {
    clearInterval(this.outboxTimer);
    await this.options.source.stop();
    await this.saveState().catch((err: unknown) => this.log('error', `state not saved: ${(err as Error).message}`));
    await Promise.all(this.deliveries.map((q) => q.drain(drainMs)));
    await Promise.all(this.deliveries.map((q) => q.close()));
  }

  /** Stops as a crash would: no state saved, nothing drained, the latest delivery answers
   * not recorded. */
  async kill(): Promise<void> {
    clearInterval(this.outboxTimer);
    await this.options.source.stop();
    await Promise.all(this.deliveries.map((q) => q.close({ flush: false })));
  }
}
