import { alphaForHalfLife, learn, newEwma, type Ewma } from './ewma.js';

export interface BaselineOptions {
  /** Observations before the baseline may judge: no alerts while learning. */
  warmUp: number;
  /** Half-life, in observations, of what the baseline remembers. */
  halfLife: number;
  /** Keys kept at most; the least recently used go first. */
  maxKeys: number;
  /** The floor of the spread on the log scale (0.25 ≈ ±28%), so that a perfectly regular
   * history does not make every small change infinitely surprising. */
  minLogSpread: number;
}

export interface Judgement {
  z: number;
  /** The learned normal value, in the scored unit (null while warming up). */
  baseline: number | null;
  warm: boolean;
}

/**
 * Learned baselines by key ((service, client), (service, tool)…), on a log scale: sizes and
 * rates are skewed, and log makes "ten times the usual" the same distance everywhere.
 * Judge, then learn; a point that raised an alert is not learned (`learn` is the caller's).
 */
export class BaselineTable {
  private readonly table = new Map<string, Ewma>();
  private readonly alpha: number;

  constructor(private readonly options: BaselineOptions) {
    this.alpha = alphaForHalfLife(options.halfLife);
  }

  /** Against the first of `keys` that has learned enough: the most specific baseline
   * (this client on this server) when there is one, else a wider one (this server). */
  judge(keys: string | readonly string[], value: number): Judgement {
    const list = typeof keys === 'string' ? [keys] : keys;
    let cold: Judgement = { z: 0, baseline: null, warm: false };
    for (const key of list) {
      const judged = this.judgeOne(key, value);
      if (judged.warm) return judged;
      if (cold.baseline === null) cold = judged;
    }
    return cold;
  }

  private judgeOne(key: string, value: number): Judgement {
    const b = this.table.get(key);
    const x = Math.log1p(Math.max(0, value));
    if (!b || b.count < this.options.warmUp) return { z: 0, baseline: b && b.count > 0 ? Math.expm1(b.mean) : null, warm: false };
    const z = (x - b.mean) / Math.max(Math.sqrt(b.variance), this.options.minLogSpread);
    return { z, baseline: Math.expm1(b.mean), warm: true };
  }

  learn(keys: string | readonly string[], value: number): void {
    for (const key of typeof keys === 'string' ? [keys] : keys) this.learnOne(key, value);
  }

  private learnOne(key: string, value: number): void {
    let b = this.table.get(key);
    if (b) this.table.delete(key); // re-insert: Map order is the LRU order
    else b = newEwma();
    learn(b, Math.log1p(Math.max(0, value)), this.alpha);
    this.table.set(key, b);
    if (this.table.size > this.options.maxKeys) this.table.delete(this.table.keys().next().value!);
  }

  /** Learns into the keys that are still warming up only. When a point was judged (and
   * flagged) against a wider fallback, the client's own baseline must still learn it, or a
   * client that is simply unlike the others would be judged by them for ever. */
  learnCold(keys: readonly string[], value: number): void {
    for (const key of keys) if (this.count(key) < this.options.warmUp) this.learnOne(key, value);
  }

  count(key: string): number {
    return this.table.get(key)?.count ?? 0;
  }

  toJSON(): Record<string, Ewma> {
    return Object.fromEntries(this.table);
  }

  restore(saved: Record<string, Ewma>): void {
    this.table.clear();
    for (const [k, v] of Object.entries(saved)) this.table.set(k, { ...v });
  }
}
