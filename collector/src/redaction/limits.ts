/** The byte cap: what a hostile payload can cost is bounded by what we agree to scan. */

export const DEFAULT_MAX_BYTES = 256 * 1024;
export const TRUNCATED = '[TRUNCATED]';

export function maxBytesOf(options?: { maxBytes?: number }): number {
  const max = options?.maxBytes;
  return max === undefined || !Number.isFinite(max) ? DEFAULT_MAX_BYTES : Math.max(0, Math.floor(max));
}

/** UTF-8 length without encoding. */
export function utf8Length(s: string): number {
  if (s.length > 64) return Buffer.byteLength(s, 'utf8');
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** The longest prefix (in UTF-16 units) whose UTF-8 form fits in `maxBytes`, never
 * splitting a surrogate pair. */
export function utf8Prefix(s: string, maxBytes: number): number {
  if (s.length * 3 <= maxBytes) return s.length;
  if (s.length <= maxBytes && utf8Length(s) <= maxBytes) return s.length;
  let bytes = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const pair = c >= 0xd800 && c <= 0xdbff && i + 1 < s.length;
    const n = c < 0x80 ? 1 : c < 0x800 ? 2 : pair ? 4 : 3;
    if (bytes + n > maxBytes) return i;
    bytes += n;
    if (pair) i++;
  }
  return s.length;
}

const isBreak = (c: number) =>
  c === 32 || c === 9 || c === 10 || c === 13 || c === 0 || c === 34 || c === 39 || c === 44 || c === 59 ||
  c === 60 || c === 62 || c === 40 || c === 41 || c === 91 || c === 93 || c === 123 || c === 125;
const isDigitish = (c: number) => (c >= 48 && c <= 57) || c === 32 || c === 45 || c === 46 || c === 40 || c === 41 || c === 43;

/**
 * Where to cut a scanned prefix so that no half of a secret survives: a token cut in two
 * no longer matches its rule, so the cut moves back to the last delimiter (within 1 KiB)
 * and before any trailing run of digits (half a card or phone number).
 */
export function safeCut(text: string, cut: number): number {
  const floor = Math.max(0, cut - 1024);
  let i = cut;
  while (i > floor && !isBreak(text.charCodeAt(i - 1))) i--;
  let j = i;
  const stop = Math.max(0, i - 64);
  while (j > stop && isDigitish(text.charCodeAt(j - 1))) j--;
  while (j < i && text.charCodeAt(j) === 32) j++;
  return /\d/.test(text.slice(j, i)) ? j : i;
}
