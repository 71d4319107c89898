/**
 * Fake secrets and personal data for the redaction tests: realistic in shape (prefixes,
 * lengths, alphabets, Luhn and mod-97 check digits) and random in content, from a seeded
 * generator, so no real credential is ever written down and every run plants the same set.
 */

export type Rng = () => number;

/** mulberry32: small, seeded, good enough to fill a corpus. */
export function rng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
export const LOWER = 'abcdefghijklmnopqrstuvwxyz';
export const DIGITS = '0123456789';
export const ALNUM = UPPER + LOWER + DIGITS;
export const B64 = ALNUM + '+/';
export const B64URL = ALNUM + '-_';

export const pick = <T>(r: Rng, items: readonly T[]): T => items[Math.floor(r() * items.length)] as T;
export const chars = (r: Rng, alphabet: string, n: number): string => {
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[Math.floor(r() * alphabet.length)];
  return s;
};
/** Random but with at least one digit, upper and lower letter: a real token has them. */
export const token = (r: Rng, n: number, alphabet = ALNUM): string => {
  const s = chars(r, alphabet, n - 3);
  return s.slice(0, 3) + pick(r, [...DIGITS]) + s.slice(3, 9) + pick(r, [...UPPER]) + s.slice(9) + pick(r, [...LOWER]);
};

function luhnDigit(partial: string): string {
  let sum = 0;
  for (let i = 0; i < partial.length; i++) {
    let d = Number(partial[partial.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return String((10 - (sum % 10)) % 10);
}

export function cardNumber(r: Rng, brand: 'visa' | 'mastercard' | 'amex' | 'discover'): string {
  const prefix = { visa: '4', mastercard: pick(r, ['51', '52', '53', '54', '55', '2221', '2720']), amex: pick(r, ['34', '37']), discover: '6011' }[brand];
  const length = brand === 'amex' ? 15 : 16;
  const partial = prefix + chars(r, DIGITS, length - prefix.length - 1);
  return partial + luhnDigit(partial);
}

export function groupCard(number: string, sep: ' ' | '-' | ''): string {
  if (sep === '') return number;
  if (number.length === 15) return [number.slice(0, 4), number.slice(4, 10), number.slice(10)].join(sep);
  return number.match(/.{1,4}/g)?.join(sep) ?? number;
}

function mod97(digits: string): number {
  let rem = 0;
  for (const ch of digits) {
    const c = ch.charCodeAt(0);
    rem = c >= 65 ? (rem * 100 + (c - 55)) % 97 : (rem * 10 + (c - 48)) % 97;
  }
  return rem;
}

/** An IBAN with correct check digits for a made-up BBAN of the country's length. */
export function iban(r: Rng, country: 'DE' | 'GB' | 'FR' | 'NL' | 'ES'): string {
  const bban = {
    DE: () => chars(r, DIGITS, 18),
    GB: () => chars(r, UPPER, 4) + chars(r, DIGITS, 14),
    FR: () => chars(r, DIGITS, 23),
    NL: () => chars(r, UPPER, 4) + chars(r, DIGITS, 10),
    ES: () => chars(r, DIGITS, 20),
  }[country]();
  const check = String(98 - mod97(bban + country + '00')).padStart(2, '0');
  return country + check + bban;
}

export const groupIban = (value: string): string => value.match(/.{1,4}/g)?.join(' ') ?? value;

/** A PEM block shaped like a real RSA key (DER SEQUENCE header `MIIE…`, 64-column lines). */
export function pemKey(r: Rng, label: 'RSA PRIVATE KEY' | 'PRIVATE KEY' | 'EC PRIVATE KEY' | 'OPENSSH PRIVATE KEY'): string {
  const head = label === 'OPENSSH PRIVATE KEY' ? 'b3BlbnNzaC1rZXktdjEAAAAA' : 'MIIEowIBAAKCAQEA';
  const body = head + chars(r, B64, 1180);
  const lines = body.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----`;
}

const b64url = (s: string) => Buffer.from(s).toString('base64url');

export function jwt(r: Rng): string {
  const header = b64url(JSON.stringify({ alg: pick(r, ['HS256', 'RS256', 'ES256']), typ: 'JWT', kid: chars(r, ALNUM, 8) }));
  const payload = b64url(JSON.stringify({ sub: `user-${chars(r, DIGITS, 6)}`, iat: 1717000000 + Math.floor(r() * 1e6), scope: 'read write' }));
  return `${header}.${payload}.${chars(r, B64URL, 43)}`;
}

const FIRST = ['alice', 'bob', 'carol', 'dmitri', 'eve', 'farah', 'giulia', 'hiro', 'ines', 'jonas'];
const LAST = ['martin', 'okafor', 'schmidt', 'tanaka', 'garcia', 'nguyen', 'kowalski', 'silva'];
const DOMAINS = ['example.com', 'corp.example.org', 'mail.example.co.uk', 'example.net', 'dept.example.edu'];

export const email = (r: Rng): string =>
  `${pick(r, FIRST)}${pick(r, ['.', '_', '', '+work.'])}${pick(r, LAST)}${Math.floor(r() * 100)}@${pick(r, DOMAINS)}`;

export function phone(r: Rng): string {
  const d = (n: number) => chars(r, DIGITS, n);
  const nanp = () => `${pick(r, ['2', '3', '4', '5', '6', '7', '8', '9'])}${d(2)}`;
  return pick(r, [
    () => `+1 ${nanp()} ${nanp()} ${d(4)}`,
    () => `+1 (${nanp()}) ${nanp()}-${d(4)}`,
    () => `+1${nanp()}${nanp()}${d(4)}`,
    () => `+44 20 ${d(4)} ${d(4)}`,
    () => `+49 30 ${d(4)} ${d(4)}`,
    () => `+33 6 ${d(2)} ${d(2)} ${d(2)} ${d(2)}`,
    () => `+81-3-${d(4)}-${d(4)}`,
    () => `(${nanp()}) ${nanp()}-${d(4)}`,
    () => `${nanp()}-${nanp()}-${d(4)}`,
    () => `${nanp()}.${nanp()}.${d(4)}`,
    () => `020 ${d(4)} ${d(4)}`,
    () => `06 ${d(2)} ${d(2)} ${d(2)} ${d(2)}`,
    () => `030 ${d(8)}`,
  ])();
}

/** A password someone could choose: mixed, 10–16 characters. */
export const password = (r: Rng): string =>
  `${pick(r, ['Tr0ub4dor', 'S3cure', 'Winter', 'Blue-Horse', 'P@ssphrase', 'Kangaroo'])}${pick(r, ['!', '#', '$', '%', '&', '*'])}${chars(r, DIGITS + LOWER, 4 + Math.floor(r() * 4))}`;
