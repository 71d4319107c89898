/**
 * The last N values per key (a client's recent session totals), for judgements that a
 * mean and a variance describe badly: a client whose sessions are mostly small with an
 * occasional large export has a median and a maximum, and both matter. Plain data.
 */
export class RecentValues {
  private table = new Map<string, number[]>();

  constructor(
    private readonly keep: number,
    private readonly maxKeys: number,
  ) {}

  add(key: string, value: number): void {
    let values = this.table.get(key);
    if (values) this.table.delete(key); // re-insert: Map order is the LRU order
    else values = [];
    values.push(value);
    if (values.length > this.keep) values.shift();
    this.table.set(key, values);
    if (this.table.size > this.maxKeys) this.table.delete(this.table.keys().next().value!);
  }

  /** Count, median and maximum of the first key with at least `min` values. */
  summary(keys: readonly string[], min: number): { count: number; median: number; max: number } | undefined {
    for (const key of keys) {
      const values = this.table.get(key);
      if (!values || values.length < min) continue;
      const sorted = [...values].sort((a, b) => a - b);
      return { count: sorted.length, median: sorted[Math.floor(sorted.length / 2)]!, max: sorted.at(-1)! };
    }
    return undefined;
  }

  has(key: string, min: number): boolean {
    return (this.table.get(key)?.length ?? 0) >= min;
  }

  toJSON(): Record<string, number[]> {
    return Object.fromEntries(this.table);
  }

  restore(saved: Record<string, number[]>): void {
    this.table = new Map(Object.entries(saved).map(([k, v]) => [k, [...v]]));
  }
}
