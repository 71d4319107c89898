/**
 * The last N values per key (a client's recent session totals), for judgements that a
 * mean and a variance describe badly: a client whose sessions are mostly small with an
 * occasional large export has a median and a maximum, and both matter. Plain data.
 */
type Summary = { count: number; median: number; max: number };

export class RecentValues {
  private table = new Map<string, number[]>();
  // Judged on every span, changed once per session: sort on change, not on every read.
  private summaries = new Map<string, Summary>();

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
    this.summaries.delete(key);
    if (this.table.size > this.maxKeys) {
      const oldest = this.table.keys().next().value!;
      this.table.delete(oldest);
      this.summaries.delete(oldest);
    }
  }

  /** Count, median and maximum of the first key with at least `min` values. */
  summary(keys: readonly string[], min: number): Summary | undefined {
    for (const key of keys) {
      const values = this.table.get(key);
      if (!values || values.length < min) continue;
      let summary = this.summaries.get(key);
      if (!summary) {
        const sorted = [...values].sort((a, b) => a - b);
        summary = { count: sorted.length, median: sorted[Math.floor(sorted.length / 2)]!, max: sorted.at(-1)! };
        this.summaries.set(key, summary);
      }
      return summary;
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
    this.summaries.clear();
  }
}
