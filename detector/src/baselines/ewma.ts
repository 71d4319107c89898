/**
 * Exponentially weighted mean and variance of one quantity, scored before it learns
 * (stdlib incr/ewvariance: d = x − m; m += a·d; v = (1 − a)(v + a·d²)). Plain data, so a
 * baseline serialises as it is and survives a restart.
 */
export interface Ewma {
  mean: number;
  variance: number;
  /** Observations learned so far: the warm-up counts these. */
  count: number;
}

export const newEwma = (): Ewma => ({ mean: 0, variance: 0, count: 0 });

/** Smoothing factor for a half-life of `h` observations. */
export const alphaForHalfLife = (h: number): number => 1 - 2 ** (-1 / h);

/** z of `x` against what the baseline has learned; 0 while it has learned nothing. */
export function zScore(b: Ewma, x: number, epsilon = 1e-6): number {
  if (b.count === 0) return 0;
  return (x - b.mean) / Math.sqrt(b.variance + epsilon);
}

export function learn(b: Ewma, x: number, alpha: number): void {
  if (b.count === 0) {
    b.mean = x;
    b.variance = 0;
  } else {
    const d = x - b.mean;
    b.mean += alpha * d;
    b.variance = (1 - alpha) * (b.variance + alpha * d * d);
  }
  b.count += 1;
}
