import { TABLES, WRITE_SETTINGS, type AlertRecord, type OutboxRow } from '@toolwatch/schemas';
import type { Backlog, BacklogEntry, Outcome } from '../sinks/backlog.js';
import type { ClickHouseStore } from './clickhouse-store.js';

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
  const at = (Date.now() / 1000).toFixed(3);
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
const now = () => (Date.now() / 1000).toFixed(3);

/**
 * One sink's view of the durable outbox in ClickHouse: what is pending in the partitions
 * this instance owns, oldest first. Answers go to `toolwatch_outbox_acks`; a 410 to
 * `toolwatch_sink_status`, so that a restart does not call the endpoint again.
 */
export class OutboxBacklog implements Backlog<OutboxEntry> {
  /** Answers not yet in ClickHouse: kept out of `next` until they are. */
  private readonly unflushed = new Map<string, AckRow>();
  private readonly db: string;

  constructor(
    private readonly store: ClickHouseStore,
    readonly sink: string,
    private readonly group: string,
    private readonly share: () => OutboxShare,
  ) {
    this.db = store.databaseName;
  }

  async next(limit: number): Promise<OutboxEntry[]> {
    const share = this.share();
    if (share !== 'all' && share.partitions.length === 0) return [];
    const owned = share === 'all' ? '' : 'AND Topic = {topic:String} AND Partition IN {partitions:Array(UInt32)}';
    // Aliases apart from the column names: ClickHouse would read an alias in WHERE.
    const rows = await this.store.query<{ AlertId: string; Revision: number; RaisedIn: string; RaisedAt: number; Json: string }>(
      `SELECT AlertId, Revision, argMin(Topic, (Offset, Position)) AS RaisedIn, argMin(Partition, (Offset, Position)) AS RaisedAt,
              any(Alert) AS Json, min((Offset, Position)) AS Place
       FROM ${this.db}.${TABLES.outbox}
       WHERE Sink = {sink:String} AND ConsumerGroup = {group:String} ${owned}
         AND (AlertId, Revision) NOT IN (SELECT AlertId, Revision FROM ${this.db}.${TABLES.outboxAcks} WHERE Sink = {sink:String})
         AND concat(AlertId, '.', toString(Revision)) NOT IN {unflushed:Array(String)}
       GROUP BY AlertId, Revision
       ORDER BY Place, AlertId, Revision
       LIMIT {limit:UInt32}`,
      {
        sink: this.sink,
        group: this.group,
        topic: share === 'all' ? '' : share.topic,
        partitions: share === 'all' ? [] : [...share.partitions],
        unflushed: [...this.unflushed.keys()],
        limit,
      },
    );
    return rows.map((r) => ({
      alert: JSON.parse(r.Json) as AlertRecord,
      topic: r.RaisedIn,
      partition: Number(r.RaisedAt),
      key: keyOf(r.AlertId, Number(r.Revision)),
    }));
  }

  owns(entry: OutboxEntry): boolean {
    const share = this.share();
    return share === 'all' || (share.topic === entry.topic && share.partitions.includes(entry.partition));
  }

  settle(entry: OutboxEntry, outcome: Outcome, reason = ''): void {
    const { alert } = entry;
    this.unflushed.set(entry.key, { Sink: this.sink, AlertId: alert.id, Revision: alert.revision, Outcome: outcome, Reason: reason, At: now() });
  }

  async flush(): Promise<void> {
    if (this.unflushed.size === 0) return;
    const rows = [...this.unflushed.values()];
    await this.store.client.insert({ table: `${this.db}.${TABLES.outboxAcks}`, format: 'JSONEachRow', values: rows, clickhouse_settings: WRITE_SETTINGS });
    for (const row of rows) this.unflushed.delete(keyOf(row.AlertId, row.Revision));
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

/** Disables a sink (with the reason) or, with `undefined`, enables it again. */
export async function setSinkStatus(store: ClickHouseStore, sink: string, disabledBecause: string | undefined): Promise<void> {
  await store.client.insert({
    table: `${store.databaseName}.${TABLES.sinkStatus}`,
    format: 'JSONEachRow',
    values: [{ Sink: sink, Disabled: disabledBecause !== undefined, Reason: disabledBecause ?? '', At: now() }],
    clickhouse_settings: WRITE_SETTINGS,
  });
}
