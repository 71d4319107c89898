import { LruMap } from './lru-map.js';

/**
 * The last N values per key (a client's recent session totals), for judgements that a
 * mean and a variance describe badly: a client whose sessions are mostly small with an
 * occasional large export has a median and a maximum, and both matter. Plain data.
 */
type Summary = { count: number; median: number; max: number };

interface Entry {
  values: number[];
  // Judged on every span, changed once per session: summarised on change, not per read.
  summary: Summary | undefined;
}

export class RecentValues {
  private readonly table: LruMap<Entry>;

  constructor(
    private readonly keep: number,
    maxKeys: number,
  ) {
    this.table = new LruMap(maxKeys);
  }

  add(key: string, value: number): void {
    let entry = this.table.use(key);
    if (!entry) this.table.add(key, (entry = { values: [], summary: undefined }));
    entry.values.push(value);
    if (entry.values.length > this.keep) entry.values.shift();
    entry.summary = undefined;
  }

  /** Count, median and maximum of the first key with at least `min` values. */
  summary(keys: readonly string[], min: number): Summary | undefined {
    for (const key of keys) {
      const entry = this.table.peek(key);
      if (!entry || entry.values.length < min) continue;
      return (entry.summary ??= summarise(entry.values));
    }
    return undefined;
  }

  has(key: string, min: number): boolean {
    return (this.table.peek(key)?.values.length ?? 0) >= min;
  }

  toJSON(): Record<string, number[]> {
    return Object.fromEntries(this.table.entries().map(([k, e]) => [k, e.values]));
  }

  restore(saved: Record<string, number[]>): void {
    this.table.load(Object.entries(saved).map(([k, v]) => [k, { values: [...v], summary: undefined }]));
  }
}

function summarise(values: number[]): Summary {
  // A typed array sorts numbers natively, without a comparator call per comparison. What
  // it would order otherwise than `a - b` does (NaN, -0, a null read back from a snapshot)
  // keeps the comparator, so that the median and maximum stay what they were.
  const plain = values.every((v) => typeof v === 'number' && v === v && !Object.is(v, -0));
  const sorted = plain ? Float64Array.from(values).sort() : [...values].sort((a, b) => a - b);
  return { count: sorted.length, median: sorted[sorted.length >> 1]!, max: sorted[sorted.length - 1]! };
}
