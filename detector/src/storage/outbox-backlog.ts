import { TABLES, WRITE_SETTINGS, type AlertRecord, type OutboxRow } from '@toolwatch/schemas';
import type { Backlog, BacklogEntry, Outcome } from '../sinks/backlog.js';
import type { ClickHouseStore } from './clickhouse-store.js';

/** A DateTime64(3) value as ClickHouse reads it in JSON: seconds with milliseconds. */
const now = () => (Date.now() / 1000).toFixed(3);

/** Where alerts were raised: the partition whose owner delivers them, and the place in it. */
export interface OutboxOrigin {
  group: string;
  topic: string;
  partition: number;
  /** Orders a partition's alerts: its Kafka offset, or a counter that only grows. */
  offset: bigint;
}

/** The rows of a batch's alerts, for every sink, in the order they were raised. */
export function outboxRows(sinks: readonly string[], origin: OutboxOrigin, alerts: readonly AlertRecord[]): OutboxRow[] {
  if (sinks.length === 0 || alerts.length === 0) return [];
  const at = now();
  const rows: OutboxRow[] = [];
  alerts.forEach((alert, position) => {
    const json = JSON.stringify(alert);
    for (const sink of sinks) {
      rows.push({
        Sink: sink,
        ConsumerGroup: origin.group,
        Topic: origin.topic,
        Partition: origin.partition,
        Offset: origin.offset.toString(),
        Position: position,
        AlertId: alert.id,
        Revision: alert.revision,
        SessionKey: alert.sessionKey,
        EnqueuedAt: at,
        Alert: json,
      });
    }
  });
  return rows;
}

/** The partitions whose alerts this instance delivers: the consumer group's share, or
 * every partition when no group shares them out (one embedded detector). */
export type OutboxShare = { topic: string; partitions: readonly number[] } | 'all';

export interface OutboxEntry extends BacklogEntry {
  readonly topic: string;
  readonly partition: number;
  readonly key: string;
}

interface AckRow {
  Sink: string;
  AlertId: string;
  Revision: number;
  Outcome: Outcome;
  Reason: string;
  At: string;
}

const keyOf = (id: string, revision: number) => `${id}.${revision}`;

/** Answers saved this recently stay out of `next` even once saved: on a cluster, the
 * replica that answers the next read may not have them yet. */
const RECENT_MS = 5 * 60_000;
/** Reads look this far before the oldest row still pending: rows of a write that took a
 * while, or of an owner whose clock is behind. */
const MARGIN_MS = 10 * 60_000;
/** Held sessions named in the query itself (a URL parameter); the rest are left out here. */
const MAX_HELD_IN_QUERY = 100;

/**
 * One sink's view of the durable outbox in ClickHouse: what is pending in the partitions
 * this instance owns, a partition's oldest first, partitions in turn. Answers go to
 * `toolwatch_outbox_acks` as soon as they come (in the background, one insert at a time);
 * a 410 to `toolwatch_sink_status`, so that a restart does not call the endpoint again.
 */
export class OutboxBacklog implements Backlog<OutboxEntry> {
  /** Answers not yet in ClickHouse: kept out of `next` until they are. */
  private readonly unsaved = new Map<string, AckRow>();
  /** Answers saved, and when: kept out of `next` for RECENT_MS more. */
  private readonly saved = new Map<string, number>();
  private saving: Promise<void> | undefined;
  /** Every row enqueued before this (epoch ms) in the owned partitions has an answer:
   * reads start there (less MARGIN_MS) instead of at the start of the outbox's retention. */
  private settledBefore = 0;
  private shareRead = '';
  private readonly db: string;

  constructor(
    private readonly store: ClickHouseStore,
    readonly sink: string,
    private readonly group: string,
    private readonly share: () => OutboxShare,
  ) {
    this.db = store.databaseName;
  }

  async next(limit: number, held: readonly string[] = []): Promise<OutboxEntry[]> {
    const share = this.share();
    const shareKey = share === 'all' ? 'all' : `${share.topic}:${share.partitions.join(',')}`;
    if (shareKey !== this.shareRead) [this.shareRead, this.settledBefore] = [shareKey, 0]; // new partitions: from the start
    if (share !== 'all' && share.partitions.length === 0) return [];
    const owned = share === 'all' ? '' : 'AND Topic = {topic:String} AND Partition IN {partitions:Array(UInt32)}';
    const from = this.settledBefore === 0 ? 0 : this.settledBefore - MARGIN_MS;
    const readAt = Date.now();
    // Aliases apart from the column names: ClickHouse would read an alias in WHERE.
    const rows = await this.store.query<{ AlertId: string; Revision: number; RaisedIn: string; RaisedAt: number; Json: string; Oldest: string }>(
      `SELECT AlertId, Revision, RaisedIn, RaisedAt, Json,
              row_number() OVER (PARTITION BY RaisedIn, RaisedAt ORDER BY Place) AS Turn,
              toUnixTimestamp64Milli(min(FirstEnqueued) OVER ()) AS Oldest
       FROM (
         SELECT AlertId, Revision, argMin(Topic, (Offset, Position)) AS RaisedIn, argMin(Partition, (Offset, Position)) AS RaisedAt,
                any(Alert) AS Json, min((Offset, Position)) AS Place, min(EnqueuedAt) AS FirstEnqueued
         FROM ${this.db}.${TABLES.outbox}
         WHERE Sink = {sink:String} AND ConsumerGroup = {group:String} ${owned}
           AND EnqueuedAt >= fromUnixTimestamp64Milli({from:Int64})
           AND (AlertId, Revision) NOT IN (
             SELECT AlertId, Revision FROM ${this.db}.${TABLES.outboxAcks}
             WHERE Sink = {sink:String} AND At >= fromUnixTimestamp64Milli({from:Int64}))
           AND SessionKey NOT IN {held:Array(String)}
         GROUP BY AlertId, Revision)
       ORDER BY Turn, FirstEnqueued, Place
       LIMIT {limit:UInt32}`,
      {
        sink: this.sink,
        group: this.group,
        topic: share === 'all' ? '' : share.topic,
        partitions: share === 'all' ? [] : [...share.partitions],
        from: Math.max(0, from),
        held: held.slice(0, MAX_HELD_IN_QUERY),
        limit,
      },
    );
    // Held sessions were left out of the read, so it cannot say what is settled.
    if (held.length === 0 && this.unsaved.size === 0) this.settledBefore = rows.length === 0 ? readAt : Number(rows[0]!.Oldest);
    this.forgetOldAnswers();
    // Answers in flight, or saved but maybe not yet on the replica that answered, are left
    // out here: sent as parameters, thousands of keys would pass the server's limit on a
    // URL field (128 KiB) and every later read would fail.
    const skip = new Set(held);
    const entries: OutboxEntry[] = [];
    for (const r of rows) {
      const key = keyOf(r.AlertId, Number(r.Revision));
      if (this.unsaved.has(key) || this.saved.has(key)) continue;
      const alert = JSON.parse(r.Json) as AlertRecord;
      if (skip.has(alert.sessionKey)) continue;
      entries.push({ alert, topic: r.RaisedIn, partition: Number(r.RaisedAt), key });
    }
    return entries;
  }

  owns(entry: OutboxEntry): boolean {
    const share = this.share();
    return share === 'all' || (share.topic === entry.topic && share.partitions.includes(entry.partition));
  }

  settle(entry: OutboxEntry, outcome: Outcome, reason = ''): void {
    const { alert } = entry;
    this.unsaved.set(entry.key, { Sink: this.sink, AlertId: alert.id, Revision: alert.revision, Outcome: outcome, Reason: reason, At: now() });
    // Saved at once: an answer that waits for the rest of the page is an alert sent again
    // if this process dies meanwhile. A failure here is reported by `flush`.
    this.saving ??= this.save()
      .catch(() => {})
      .finally(() => (this.saving = undefined));
  }

  async flush(): Promise<void> {
    await this.saving;
    await this.save();
    this.forgetOldAnswers();
  }

  private forgetOldAnswers(): void {
    const old = Date.now() - RECENT_MS;
    for (const [key, at] of this.saved) {
      if (at >= old) break; // in the order they were saved
      this.saved.delete(key);
    }
  }

  private async save(): Promise<void> {
    while (this.unsaved.size > 0) {
      const rows = [...this.unsaved.values()];
      await this.store.writeOutboxAcks(rows as unknown as Record<string, unknown>[]);
      const at = Date.now();
      for (const row of rows) {
        const key = keyOf(row.AlertId, row.Revision);
        if (this.unsaved.get(key) === row) this.unsaved.delete(key);
        this.saved.delete(key); // kept in the order saved, for forgetOldAnswers
        this.saved.set(key, at);
      }
    }
  }

  async disabledReason(): Promise<string | undefined> {
    return (await sinkStatus(this.store, this.sink))?.reason;
  }

  async disable(reason: string): Promise<void> {
    await setSinkStatus(this.store, this.sink, reason);
  }

  /** Nothing is given up: what is pending waits in ClickHouse for the next start. */
  abandon(): number {
    return 0;
  }
}

/** Whether a sink is disabled, and why. */
export async function sinkStatus(store: ClickHouseStore, sink: string): Promise<{ reason: string } | undefined> {
  const [row] = await store.query<{ Disabled: boolean; Reason: string }>(
    `SELECT Disabled, Reason FROM ${store.databaseName}.${TABLES.sinkStatus} WHERE Sink = {sink:String} ORDER BY At DESC LIMIT 1`,
    { sink },
  );
  return row?.Disabled ? { reason: row.Reason } : undefined;
}

/** Every disabled sink and why, in one read. */
export async function disabledSinks(store: ClickHouseStore): Promise<Map<string, string>> {
  const rows = await store.query<{ Sink: string; Disabled: boolean; Reason: string }>(
    `SELECT Sink, argMax(Disabled, At) AS Disabled, argMax(Reason, At) AS Reason FROM ${store.databaseName}.${TABLES.sinkStatus} GROUP BY Sink`,
  );
  return new Map(rows.filter((r) => r.Disabled).map((r) => [r.Sink, r.Reason]));
}

/** Disables a sink (with the reason) or, with `undefined`, enables it again. */
export async function setSinkStatus(store: ClickHouseStore, sink: string, disabledBecause: string | undefined): Promise<void> {
  // The server's clock, not this one's: the newest row wins, whoever wrote it.
  await store.client.command({
    query: `INSERT INTO ${store.databaseName}.${TABLES.sinkStatus} (Sink, Disabled, Reason, At) SELECT {sink:String}, {disabled:Bool}, {reason:String}, now64(3)`,
    query_params: { sink, disabled: disabledBecause !== undefined, reason: disabledBecause ?? '' },
    clickhouse_settings: WRITE_SETTINGS,
  });
}
