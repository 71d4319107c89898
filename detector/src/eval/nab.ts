/**
 * NAB scoring (numenta/NAB, nab/sweeper.py and config/profiles.json), on sequences of
 * spans rather than time-series rows. A data file here is one session; its rows are the
 * session's spans in order; a window is a hostile episode, from its onset to the end of the
 * session; a detection is a span on which the detector raised at least one alert.
 */

export interface NabProfile {
  tp: number;
  fp: number;
  fn: number;
}

export const NAB_PROFILES = {
  standard: { tp: 1, fp: 0.11, fn: 1 },
  reward_low_FP: { tp: 1, fp: 0.22, fn: 1 },
  reward_low_FN: { tp: 1, fp: 0.11, fn: 2 },
} as const satisfies Record<string, NabProfile>;
export type NabProfileName = keyof typeof NAB_PROFILES;

export interface NabWindow {
  /** First and last row of the window, both included. */
  start: number;
  end: number;
}

export interface NabFile {
  rows: number;
  windows: readonly NabWindow[];
  /** Rows with a detection. */
  detections: readonly number[];
  /** How much of this file counts (1 unless a share of it is scored, see evaluate.ts). */
  weight?: number;
}

/** `2/(1 + e^(5y)) − 1`: 0.987 at a window's start (y = −1), 0 at its end, −1 far past it. */
export function scaledSigmoid(y: number): number {
  if (y >= 3) return -1;
  return 2 / (1 + Math.exp(5 * y)) - 1;
}

/** NAB divides a true positive by this, so that a detection on a window's first row
 * earns exactly A_TP and the perfect detector exactly the sum of A_TP. */
const MAX_TP = scaledSigmoid(-1);

/** Score of one file: the first detection in each window earns by how early it came (later
 * ones in the same window earn nothing more), a missed window costs A_FN, and each detection
 * outside every window costs A_FP, less when it trails a window closely. */
export function scoreFile(file: NabFile, profile: NabProfile): number {
  const windows = [...file.windows].sort((a, b) => a.start - b.start);
  const detections = [...new Set(file.detections)].sort((a, b) => a - b);
  let score = 0;
  for (const w of windows) {
    const first = detections.find((d) => d >= w.start && d <= w.end);
    if (first === undefined) {
      score -= profile.fn;
      continue;
    }
    const width = w.end - w.start + 1;
    score += (scaledSigmoid(-(w.end - first + 1) / width) * profile.tp) / MAX_TP;
  }
  for (const d of detections) {
    if (windows.some((w) => d >= w.start && d <= w.end)) continue;
    const before = windows.filter((w) => w.end < d).at(-1);
    if (!before) {
      score -= profile.fp;
      continue;
    }
    const width = before.end - before.start + 1;
    const y = width > 1 ? Math.abs(d - before.end) / (width - 1) : Number.POSITIVE_INFINITY;
    score += scaledSigmoid(y) * profile.fp;
  }
  return score * (file.weight ?? 1);
}

export interface NabResult {
  raw: number;
  perfect: number;
  null: number;
  /** `100·(S − S_null)/(S_perfect − S_null)`; null when there is no window to find. */
  normalised: number | null;
}

/** A corpus score, normalised between the null detector (0: never alerts, so every window
 * is a miss) and the perfect one (100: the first row of every window, nothing else). */
export function nabScore(files: readonly NabFile[], profile: NabProfile): NabResult {
  let raw = 0;
  let perfect = 0;
  let none = 0;
  for (const f of files) {
    raw += scoreFile(f, profile);
    perfect += scoreFile({ ...f, detections: f.windows.map((w) => w.start) }, profile);
    none += scoreFile({ ...f, detections: [] }, profile);
  }
  const normalised = perfect === none ? null : (100 * (raw - none)) / (perfect - none);
  return { raw, perfect, null: none, normalised };
}
