import type { ReplayStats } from './replay.js';

/** Why lines were skipped: reasons with counts and the first line numbers, never content. */
export class InvalidLines {
  count = 0;
  private readonly reasons = new Map<string, { count: number; lines: number[] }>();

  add(line: number, reason: string): void {
    this.count += 1;
    // "not JSON (123 bytes)": one reason whatever the size.
    const key = reason.replace(/ \(\d+ bytes\)$/, '');
    let entry = this.reasons.get(key);
    if (!entry) this.reasons.set(key, (entry = { count: 0, lines: [] }));
    entry.count += 1;
    if (entry.lines.length < 3) entry.lines.push(line);
  }

  /** Most frequent first, then by reason text, so the summary itself is deterministic. */
  lines(max = 10): string[] {
    const sorted = [...this.reasons].sort(([a, x], [b, y]) => y.count - x.count || (a < b ? -1 : a > b ? 1 : 0));
    const out = sorted.slice(0, max).map(([reason, e]) => `  ${e.count} × ${reason} (line${e.lines.length > 1 ? 's' : ''} ${e.lines.join(', ')}${e.count > e.lines.length ? ', …' : ''})`);
    if (sorted.length > max) out.push(`  … ${sorted.length - max} more reasons`);
    return out;
  }
}

export function summaryLines(stats: ReplayStats, invalid: InvalidLines, bytes: number, ms: number): string[] {
  const n = (x: number) => x.toLocaleString('en-US');
  const rate = ms > 0 ? ` (${n(Math.round((stats.spans / ms) * 1000))} spans/s)` : '';
  const out = [
    `replay: ${n(stats.spans)} spans from ${n(bytes)} bytes in ${(ms / 1000).toFixed(1)} s${rate}, ${n(stats.sessions)} sessions`,
    `replay: ${n(stats.alerts)} alerts${stats.alerts ? ': ' + Object.entries(stats.alertsByRule).map(([rule, c]) => `${rule} ${n(c)}`).join(', ') : ''}`,
  ];
  if (invalid.count > 0) out.push(`replay: ${n(invalid.count)} invalid lines skipped:`, ...invalid.lines());
  if (stats.late > 0) out.push(`replay: ${n(stats.late)} spans arrived later than the reorder window allows and were scored out of order (widen --reorder-window)`);
  if (stats.forced > 0) out.push(`replay: ${n(stats.forced)} spans released before their window closed (too many held)`);
  return out;
}
