import { formatBytes } from '@toolwatch/detector';

/** Nanoseconds (a decimal string) to milliseconds; a JS number keeps ms exactly. */
export const nsToMs = (ns: string): number => {
  try {
    return Number(BigInt(ns || '0') / 1000n) / 1000;
  } catch {
    return 0;
  }
};

/** UTC with milliseconds: incident notes are written in UTC, whatever the reader's zone. */
export function utc(ms: number): string {
  if (!Number.isFinite(ms)) return '';
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', ' UTC');
}

export function clock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 23);
}

/** An offset from the session's start, as an analyst reads it: +1m 02.345s. */
export function offset(ms: number): string {
  const sign = ms < 0 ? '−' : '+';
  let rest = Math.abs(ms);
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const s = (rest / 1000).toFixed(3).padStart(6, '0');
  return h ? `${sign}${h}h ${String(m).padStart(2, '0')}m ${s}s` : m ? `${sign}${m}m ${s}s` : `${sign}${(rest / 1000).toFixed(3)}s`;
}

export function duration(ms: number): string {
  if (ms < 1) return `${(ms * 1000).toFixed(0)} µs`;
  if (ms < 1000) return `${ms.toFixed(ms < 10 ? 2 : 0)} ms`;
  return offset(ms).slice(1);
}

export const count = (n: number): string => (Number.isInteger(n) ? n.toLocaleString('en-US') : n.toLocaleString('en-US', { maximumFractionDigits: 2 }));


/** An evidence value in its unit: byte counts readable, everything else as a number. */
export function measure(value: number | null, unit: string): string {
  if (value === null) return '—';
  return /^bytes\b/.test(unit) ? `${formatBytes(value)} (${count(value)})` : count(value);
}

export function windowText(ms: number | null): string {
  return ms === null ? 'whole session' : duration(ms);
}
