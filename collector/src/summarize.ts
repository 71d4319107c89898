import { createHash } from 'node:crypto';
import canonicalizeModule from 'canonicalize';

// canonicalize is CommonJS (`module.exports = fn`) but types itself as an ES default export.
const canonicalize = canonicalizeModule as unknown as (input: unknown) => string | undefined;

/**
 * What a span may say about a value without carrying it: its size, a hash that shows
 * repeats, and the names of its keys. These are computed in the server's process, so the
 * value itself never has to leave it.
 */

export function jsonBytes(value: unknown): number {
  if (value === undefined) return 0;
  try {
    return Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
  } catch {
    return 0; // circular or BigInt: the transport would fail on it too
  }
}

/** SHA-256 of the RFC 8785 (JCS) canonical form: equal arguments hash equal, whatever the
 * key order the client sent. */
export function canonicalHash(value: unknown): string {
  let canonical: string | undefined;
  try {
    canonical = canonicalize(value ?? null);
  } catch {
    canonical = undefined;
  }
  return createHash('sha256').update(canonical ?? '').digest('hex');
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_.$-]{0,63}$/;
const MAX_KEYS = 64;

/** Sorted top-level key names. A key that is not a short identifier becomes `?`: a client
 * can put anything in a key, a token included. */
export function keyShape(value: unknown): string[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [];
  const keys = Object.keys(value).sort();
  const shaped = keys.slice(0, MAX_KEYS).map((k) => (IDENTIFIER.test(k) && !looksLikeToken(k) ? k : '?'));
  if (keys.length > MAX_KEYS) shaped.push(`…${keys.length - MAX_KEYS}`);
  return shaped;
}

// A long run of letters and digits with both cases and a digit reads as a token, not a name.
function looksLikeToken(key: string): boolean {
  return key.length >= 16 && /[a-z]/.test(key) && /[A-Z]/.test(key) && /\d/.test(key) && !/[_.-]/.test(key);
}

/** Bounds a string taken from the client (a tool name, an id) before it becomes an
 * attribute: a span must stay small whatever a client sends. */
export function bounded(value: string, max = 128): string {
  return value.length <= max ? value : `${value.slice(0, max)}…`;
}
