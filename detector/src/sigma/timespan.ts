/** Milliseconds as a Sigma timespan (`number + lowercase letter`: s, m, h, d) in the
 * largest unit that holds it exactly; Sigma has no milliseconds, so those round up. */
export function sigmaTimespan(ms: number): string {
  if (!(ms > 0)) throw new Error(`not a positive time span: ${ms} ms`);
  const seconds = Math.ceil(ms / 1000);
  for (const [unit, size] of [['d', 86_400], ['h', 3_600], ['m', 60]] as const) {
    if (seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}
