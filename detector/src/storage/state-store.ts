import { TABLES, WRITE_SETTINGS } from '@toolwatch/schemas';
import type { EngineSnapshot } from '../engine.js';
import type { ClickHouseStore } from './clickhouse-store.js';

/** Where a partition's state is kept: one row per (consumer group, topic, partition). */
export interface PartitionKey {
  group: string;
  topic: string;
  partition: number;
}

export interface SavedState {
  snapshot: EngineSnapshot;
  /** The last offset the snapshot has seen; -1 before any. */
  offset: bigint;
  /** Offsets below this had their spans and alerts written by an owner: a new owner replays
   * them for state only. Kept here because a kafkajs seek commits the offset it seeks to,
   * so the group's committed offset cannot say it after a crash in the middle of a replay. */
  committed: bigint;
}

/** Detector engine snapshots in `toolwatch_detector_state` (ReplacingMergeTree on offset). */
export class StateStore {
  private readonly table: string;

  constructor(private readonly store: ClickHouseStore) {
    this.table = `${store.databaseName}.${TABLES.detectorState}`;
  }

  async load(key: PartitionKey): Promise<SavedState | undefined> {
    // The newest row, whether or not the merge has run: FINAL would do, this reads less.
    const [row] = await this.store.query<{ Offset: string; Committed: string; Snapshot: string }>(
      `SELECT Offset, Committed, Snapshot FROM ${this.table}
       WHERE ConsumerGroup = {group:String} AND Topic = {topic:String} AND Partition = {partition:UInt32}
       ORDER BY Offset DESC, Committed DESC LIMIT 1`,
      { ...key },
    );
    if (!row) return undefined;
    return { snapshot: JSON.parse(row.Snapshot) as EngineSnapshot, offset: BigInt(row.Offset), committed: BigInt(row.Committed) };
  }

  async save(key: PartitionKey, state: SavedState): Promise<void> {
    await this.store.client.insert({
      table: this.table,
      format: 'JSONEachRow',
      values: [
        {
          ConsumerGroup: key.group,
          Topic: key.topic,
          Partition: key.partition,
          Offset: state.offset.toString(),
          Committed: state.committed.toString(),
          SavedAt: (Date.now() / 1000).toFixed(3),
          Snapshot: JSON.stringify(state.snapshot),
        },
      ],
      clickhouse_settings: WRITE_SETTINGS,
    });
  }
}
