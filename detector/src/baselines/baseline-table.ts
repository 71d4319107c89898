import { alphaForHalfLife, learn, newEwma, type Ewma } from './ewma.js';
import { LruMap } from './lru-map.js';

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
  readonly z: number;
  /** The learned normal value, in the scored unit (null while warming up). */
  readonly baseline: number | null;
  readonly warm: boolean;
}

/**
 * Learned baselines by key ((service, client), (service, tool)…), on a log scale: sizes and
 * rates are skewed, and log makes "ten times the usual" the same distance everywhere.
 * Judge, then learn; a point that raised an alert is not learned (`learn` is the caller's).
 */
export class BaselineTable {
  private readonly table: LruMap<Ewma>;
  private readonly alpha: number;

  constructor(private readonly options: BaselineOptions) {
    this.alpha = alphaForHalfLife(options.halfLife);
    this.table = new LruMap(options.maxKeys);
  }

  /** Against the first of `keys` that has learned enough: the most specific baseline
   * (this client on this server) when there is one, else a wider one (this server). */
  judge(keys: string | readonly string[], value: number): Judgement {
    if (typeof keys === 'string') return this.judgeOne(keys, value);
    let cold = UNKNOWN;
    for (const key of keys) {
      const judged = this.judgeOne(key, value);
      if (judged.warm) return judged;
      if (cold.baseline === null) cold = judged;
    }
    return cold;
  }

  private judgeOne(key: string, value: number): Judgement {
    const b = this.table.peek(key);
    if (!b || b.count === 0) return UNKNOWN;
    if (b.count < this.options.warmUp) return { z: 0, baseline: Math.expm1(b.mean), warm: false };
    const x = Math.log1p(Math.max(0, value));
    const z = (x - b.mean) / Math.max(Math.sqrt(b.variance), this.options.minLogSpread);
    return { z, baseline: Math.expm1(b.mean), warm: true };
  }

  learn(keys: string | readonly string[], value: number): void {
    if (typeof keys === 'string') this.learnOne(keys, value);
    else for (const key of keys) this.learnOne(key, value);
  }

  private learnOne(key: string, value: number): void {
    let b = this.table.use(key);
    if (!b) this.table.add(key, (b = newEwma()));
    learn(b, Math.log1p(Math.max(0, value)), this.alpha);
  }

  /** Learns into the keys that are still warming up only. When a point was judged (and
   * flagged) against a wider fallback, the client's own baseline must still learn it, or a
   * client that is simply unlike the others would be judged by them for ever. */
  learnCold(keys: readonly string[], value: number): void {
    for (const key of keys) if (this.count(key) < this.options.warmUp) this.learnOne(key, value);
  }

  count(key: string): number {
    return this.table.peek(key)?.count ?? 0;
  }

  toJSON(): Record<string, Ewma> {
    return Object.fromEntries(this.table.entries());
  }

  restore(saved: Record<string, Ewma>): void {
    this.table.load(Object.entries(saved).map(([k, v]) => [k, { ...v }]));
  }
}

/** Nothing learned under any key: shared, as most judgements of a new key are this one. */
const UNKNOWN: Judgement = Object.freeze({ z: 0, baseline: null, warm: false });
