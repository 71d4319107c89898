import { cardBrandAllows, IBAN_LENGTHS, ibanValid, luhnValid } from './checksums.js';
import type { Rule, Span } from './rule.js';

/**
 * Personal data. Digits have no keyword, so each rule has a cheap trigger regex, and the
 * matchers are hand-written scanners with hard length limits: shape, then checksum.
 */

const isDigit = (c: number) => c >= 48 && c <= 57;
const isUpper = (c: number) => c >= 65 && c <= 90;
const isAlnum = (c: number) => isDigit(c) || isUpper(c) || (c >= 97 && c <= 122);
const isWord = (c: number) => isAlnum(c) || c === 95;

/** The character before `i` is part of a word, so nothing can start at `i` — unless it is
 * the letter of a JSON escape (`\n4111…`), which ends the word before it. */
function wordBefore(text: string, i: number): boolean {
  const c = text.charCodeAt(i - 1);
  if (!isWord(c)) return false;
  return !((c === 110 || c === 114 || c === 116) && text.charCodeAt(i - 2) === 92 && text.charCodeAt(i - 3) !== 92);
}
const NOT_AFTER = (chars: string) => String.raw`(?:(?<![\w${chars}])|(?<=(?<!\\)\\[nrt]))`;

// ── e-mail ──────────────────────────────────────────────────────────────────────────────

const isLocalChar = (c: number) => isAlnum(c) || c === 46 || c === 95 || c === 37 || c === 43 || c === 45; // . _ % + -
const DOMAIN = /(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.){1,8}([A-Za-z]{2,24})(?![A-Za-z0-9-]|\.[A-Za-z0-9])/y;
// icon@2x.png, bundle@3.js: file names, not addresses.
const FILE_TLDS = new Set(['png', 'jpg', 'jpeg', 'gif', 'svg', 'webp', 'ico', 'bmp', 'js', 'mjs', 'cjs', 'ts', 'json', 'css', 'map', 'lock', 'yml', 'yaml', 'txt']);

function matchEmail(text: string, at: number): Span | null {
  let start = at;
  while (start > 0 && at - start < 64 && isLocalChar(text.charCodeAt(start - 1))) start--;
  // `\nbob@…` in JSON text: the n belongs to the escape.
  if (text.charCodeAt(start - 1) === 92 && text.charCodeAt(start - 2) !== 92 && start < at && /[nrt]/.test(text[start] ?? '')) start++;
  while (start < at && !isAlnum(text.charCodeAt(start))) start++;
  if (start === at) return null;
  DOMAIN.lastIndex = at + 1;
  const m = DOMAIN.exec(text);
  if (m === null) return null;
  if (FILE_TLDS.has((m[1] ?? '').toLowerCase()) || /^\d+x\./i.test(m[0])) return null;
  const end = DOMAIN.lastIndex;
  // scheme://user:pass@host and ssh://git@host: the authority of a URL, not an address
  // (its password is the connection-string rule's). Checked last, and only a bounded way
  // back: a lastIndexOf over the whole text per `@` would make `a@a@a@…` quadratic.
  const before = text.slice(Math.max(0, at - 300), at);
  const scheme = before.lastIndexOf('://');
  if (scheme >= 0 && !/[\s\/"'<>]/.test(before.slice(scheme + 3))) return null;
  return { start, end };
}

// ── phone numbers ───────────────────────────────────────────────────────────────────────

/** +CC … : 8–15 digits (E.164) with single spaces, dots, hyphens or a bracketed group. */
function matchInternationalPhone(text: string, at: number): Span | null {
  if (wordBefore(text, at) || text.charCodeAt(at - 1) === 43) return null;
  const first = text.charCodeAt(at + 1);
  if (!(first >= 49 && first <= 57)) return null;
  let digits = 0;
  let end = at;
  let separators = 0;
  let open = false;
  const limit = Math.min(text.length, at + 40);
  for (let i = at + 1; i < limit; i++) {
    const c = text.charCodeAt(i);
    if (isDigit(c)) {
      if (++digits > 15) return null;
      end = i + 1;
      separators = 0;
    } else if (c === 32 || c === 45 || c === 46) {
      if (++separators > 1) break;
    } else if (c === 40 && !open) {
      open = true;
    } else if (c === 41 && open) {
      open = false;
    } else break;
  }
  if (digits < 8) return null;
  // +1234567890abc or 14.000001 are not phone numbers.
  const next = text.charCodeAt(end);
  if (isAlnum(next) || (next === 46 && isDigit(text.charCodeAt(end + 1)))) return null;
  return { start: at, end };
}

// (415) 555-0132, 415-555-0132, 415.555.0132, 415 555 0132, with an optional 1- in front.
const NANP = new RegExp(String.raw`${NOT_AFTER('+.\\/-')}(?:\([2-9]\d\d\) ?|[2-9]\d\d[-. ])[2-9]\d\d[-. ]\d{4}(?![\w-]|[.\/]\d)`, 'y');
// 020 7946 0958, 06 12 34 56 78, 030 12345678, 0171-1234567: a trunk 0, then groups. Not
// inside a byte dump (`<Buffer 3f 01 00 00 00 50>`): no digit pair right before or after.
const TRUNK = new RegExp(
  String.raw`${NOT_AFTER('+.\\/:-')}(?<![0-9][0-9a-fA-F] |[0-9a-fA-F][0-9] )0[1-9]\d{0,4}(?:[ -]\d{2,8}){1,4}(?![\w-]|[.\/:]\d| [0-9a-fA-F]{2}\b)`,
  'y',
);

function matchNationalPhone(text: string, at: number): Span | null {
  const c = text.charCodeAt(at);
  const start = c === 40 || isDigit(c) ? at : at + 1; // the trigger may include the char before
  if (text.charCodeAt(start) === 48) {
    TRUNK.lastIndex = start;
    const m = TRUNK.exec(text);
    if (m === null) return null;
    const digits = m[0].replace(/\D/g, '').length;
    return digits >= 9 && digits <= 12 ? { start, end: TRUNK.lastIndex } : null;
  }
  NANP.lastIndex = start;
  if (!NANP.test(text)) return null;
  const prefix = /(?:^|[^\w+.-])(\+?1[-. ])$/.exec(text.slice(Math.max(0, start - 4), start));
  return { start: start - (prefix?.[1]?.length ?? 0), end: NANP.lastIndex };
}

// ── payment cards ───────────────────────────────────────────────────────────────────────

/** 13–19 digits, contiguous or in groups split by one consistent space or hyphen, with a
 * known issuer prefix and a valid Luhn digit. A JSON number is scanned as its digits. */
function matchCard(text: string, at: number): Span | number | null {
  const before = text.charCodeAt(at - 1);
  if (wordBefore(text, at) || before === 46 || before === 45 || before === 43) return runEnd(text, at);
  // One pass: the digit count at the end of each group.
  const ends: number[] = [];
  const counts: number[] = [];
  let n = 0;
  let sep = -1;
  let i = at;
  const limit = Math.min(text.length, at + 40);
  for (; i < limit; i++) {
    const c = text.charCodeAt(i);
    if (isDigit(c)) n++;
    else if ((c === 32 || c === 45) && (sep === -1 || sep === c) && isDigit(text.charCodeAt(i + 1))) {
      sep = c;
      ends.push(i);
      counts.push(n);
    } else break;
  }
  ends.push(i);
  counts.push(n);
  const after = text.charCodeAt(i);
  if (sep === -1) {
    if (n < 13 || n > 19 || isAlnum(after) || (after === 46 && isDigit(text.charCodeAt(i + 1)))) return runEnd(text, at);
    const number = text.slice(at, i);
    return cardBrandAllows(number) && luhnValid(number) ? { start: at, end: i } : i;
  }
  // Grouped: more groups may follow the card (an expiry, a CVC); take the longest run of
  // whole groups that is one.
  for (let k = ends.length - 1; k >= 0; k--) {
    const count = counts[k] as number;
    const end = ends[k] as number;
    if (count < 13 || count > 19 || (end === i && isAlnum(after))) continue;
    const number = text.slice(at, end).replace(/[ -]/g, '');
    if (cardBrandAllows(number) && luhnValid(number)) return { start: at, end };
  }
  return runEnd(text, at);
}

/** Past the digit run at `at`, so the trigger does not try every digit of one number. */
function runEnd(text: string, at: number): number {
  let i = at;
  while (i < text.length && isDigit(text.charCodeAt(i))) i++;
  return i;
}

// ── IBAN ────────────────────────────────────────────────────────────────────────────────

/** Country code, check digits, then the BBAN in the country's length, plain or in groups
 * of four; mod-97 must hold. */
function matchIban(text: string, at: number): Span | null {
  if (wordBefore(text, at)) return null;
  const expected = IBAN_LENGTHS[text.slice(at, at + 2)];
  if (expected === undefined) return null;
  let compact = '';
  let i = at;
  const limit = Math.min(text.length, at + expected + Math.ceil(expected / 4) + 1);
  while (i < limit && compact.length < expected) {
    const c = text.charCodeAt(i);
    if (isDigit(c) || isUpper(c)) {
      compact += text[i];
      i++;
    } else if (c === 32 && compact.length % 4 === 0 && compact.length > 0) i++;
    else break;
  }
  if (compact.length !== expected || isAlnum(text.charCodeAt(i))) return null;
  return ibanValid(compact) ? { start: at, end: i } : null;
}

export const PII_RULES: readonly Rule[] = [
  {
    id: 'credit-card',
    kind: 'pii',
    priority: 25,
    description: 'Payment card number: 13–19 digits (grouped or not, or a JSON number), issuer prefix, Luhn check',
    detectors: [{ trigger: /\d\d\d\d[ -]?\d\d\d\d[ -]?\d\d/g, match: matchCard }],
  },
  {
    id: 'iban',
    kind: 'pii',
    priority: 25,
    description: 'IBAN: country code, country length, ISO 7064 mod-97 check',
    detectors: [{ trigger: /[A-Z][A-Z]\d\d/g, match: matchIban }],
  },
  {
    id: 'email',
    kind: 'pii',
    priority: 15,
    description: 'E-mail address',
    detectors: [{ keywords: ['@'], match: matchEmail }],
  },
  {
    id: 'phone-number',
    kind: 'pii',
    priority: 12,
    description: 'Phone number: international +CC (E.164, 8–15 digits) and national forms (NANP, trunk-0 European)',
    detectors: [
      { keywords: ['+'], match: matchInternationalPhone },
      { trigger: /\(\d\d\d\)|\d\d\d[-. ]\d\d\d[-. ]\d\d\d\d|(?:^|[\s"'(:>=,;\x00])0[1-9]\d?\d?\d?\d?[ -]\d\d/g, match: matchNationalPhone },
    ],
  },
];
