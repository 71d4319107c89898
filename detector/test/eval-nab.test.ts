import { describe, expect, it } from 'vitest';
import { NAB_PROFILES, nabScore, scaledSigmoid, scoreFile, type NabFile } from '../src/eval/index.js';

const { standard, reward_low_FP: lowFp, reward_low_FN: lowFn } = NAB_PROFILES;
/** One session of 10 spans whose episode starts at span 4. */
const session = (detections: number[]): NabFile => ({ rows: 10, windows: [{ start: 4, end: 9 }], detections });
const benign = (detections: number[]): NabFile => ({ rows: 10, windows: [], detections });

describe('NAB scaled sigmoid', () => {
  it('has the values of numenta/NAB', () => {
    expect(scaledSigmoid(-1)).toBeCloseTo(0.98661, 5);
    expect(scaledSigmoid(-0.5)).toBeCloseTo(0.84828, 5);
    expect(scaledSigmoid(0)).toBe(0);
    expect(scaledSigmoid(1)).toBeCloseTo(-0.98661, 5);
    expect(scaledSigmoid(3)).toBe(-1);
  });

  it('has the profiles of config/profiles.json', () => {
    expect(standard).toEqual({ tp: 1, fp: 0.11, fn: 1 });
    expect(lowFp).toEqual({ tp: 1, fp: 0.22, fn: 1 });
    expect(lowFn).toEqual({ tp: 1, fp: 0.11, fn: 2 });
  });
});

describe('NAB score', () => {
  it('is 100 for the perfect detector and 0 for the null one', () => {
    const files = [session([4]), { rows: 30, windows: [{ start: 20, end: 29 }], detections: [20] }, benign([])];
    expect(nabScore(files, standard)).toMatchObject({ raw: 2, perfect: 2, null: -2, normalised: 100 });
    const none = files.map((f) => ({ ...f, detections: [] }));
    expect(nabScore(none, standard).normalised).toBe(0);
    expect(nabScore(none, lowFn)).toMatchObject({ null: -4, normalised: 0 });
  });

  it('pays an early detection more than a late one, and only the first in a window', () => {
    const early = nabScore([session([6])], standard).normalised!;
    const late = nabScore([session([9])], standard).normalised!;
    // Span 6 of [4, 9]: y = −(9 − 6 + 1)/6; span 9: y = −1/6; each divided by σ(−1).
    expect(early).toBeCloseTo(97.19, 2);
    expect(late).toBeCloseTo(69.97, 2);
    expect(early).toBeGreaterThan(late);
    expect(late).toBeGreaterThan(0);
    expect(nabScore([session([4, 5, 9])], standard).normalised).toBe(100);
  });

  it('lowers the score for each false positive, twice as much in the low-FP profile', () => {
    expect(scoreFile(session([1, 4]), standard)).toBeCloseTo(0.89, 10);
    expect(nabScore([session([1, 4])], standard).normalised).toBeCloseTo(94.5, 10);
    expect(nabScore([session([4]), benign([3])], standard).normalised).toBeCloseTo(94.5, 10);
    expect(nabScore([session([4]), benign([3])], lowFp).normalised).toBeCloseTo(89, 10);
    expect(nabScore([session([4]), benign([3, 7])], standard).normalised).toBeCloseTo(89, 10);
  });

  it('charges a false positive that trails a window by its distance, as NAB does', () => {
    const file = (d: number): NabFile => ({ rows: 40, windows: [{ start: 2, end: 6 }], detections: [2, d] });
    // Two spans past a window of five: y = 2/4.
    expect(scoreFile(file(8), standard)).toBeCloseTo(1 + 0.11 * scaledSigmoid(0.5), 10);
    expect(scoreFile(file(30), standard)).toBeCloseTo(1 - 0.11, 10);
    expect(scoreFile(file(8), standard)).toBeGreaterThan(scoreFile(file(30), standard));
  });

  it('weighs a file by its share, and has no normalised score without a window', () => {
    expect(scoreFile({ ...benign([1, 2]), weight: 0.5 }, standard)).toBeCloseTo(-0.11, 10);
    expect(nabScore([benign([1])], standard).normalised).toBeNull();
  });
});
