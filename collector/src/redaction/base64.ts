/**
 * Tool arguments and results carry base64 (file contents, encoded configs, Basic
 * credentials): a secret inside is invisible to a text scan. A string that is wholly base64
 * (or a data: URI) and decodes to text is scanned decoded too.
 */

export interface Base64Text {
  /** Length of a `data:…;base64,` header kept as is. */
  header: number;
  urlSafe: boolean;
  padded: boolean;
  decoded: string;
  /** The encoded string was longer than the decode limit: only its head was decoded. */
  partial: boolean;
}

const SHAPE = /^(data:[\w.+-]{1,64}\/[\w.+-]{1,64}(?:;[\w-]{1,32}=[\w.-]{1,64}){0,4};base64,)?(?:[A-Za-z0-9+/]{16,}|[A-Za-z0-9_-]{16,})={0,2}$/;
const MIN_LENGTH = 16;
const HEX_OR_UUID = /^[0-9a-fA-F-]+$/;

/** Length of the `data:…;base64,` header if `s` is base64-shaped, else -1. */
export function base64Shape(s: string): number {
  if (s.length < MIN_LENGTH) return -1;
  const m = SHAPE.exec(s);
  return m === null || HEX_OR_UUID.test(s) ? -1 : (m[1]?.length ?? 0);
}

/** The decoded text of a base64 string, if it is one and decodes to text; at most
 * `maxChars` of the encoded form are decoded. */
export function decodeBase64Text(s: string, maxChars: number): Base64Text | undefined {
  if (s.length < MIN_LENGTH || maxChars < MIN_LENGTH) return undefined;
  const m = SHAPE.exec(s);
  // Hex digests and UUIDs fit the alphabet but are not encoded text.
  if (m === null || HEX_OR_UUID.test(s)) return undefined;
  const header = m[1]?.length ?? 0;
  const body = s.slice(header);
  const padded = body.endsWith('=');
  const urlSafe = /[-_]/.test(body);
  const partial = body.length > maxChars;
  const take = partial ? body.slice(0, maxChars - (maxChars % 4)) : body;
  const bytes = Buffer.from(take, urlSafe ? 'base64url' : 'base64');
  if (bytes.length === 0 || !looksLikeText(bytes)) return undefined;
  return { header, urlSafe, padded, decoded: bytes.toString('utf8'), partial };
}

/** Mostly printable: an image or a hash decodes to control bytes. */
function looksLikeText(bytes: Buffer): boolean {
  let bad = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    if ((b < 32 && b !== 9 && b !== 10 && b !== 13) || b === 127) bad++;
  }
  if (bad > bytes.length * 0.05) return false;
  // High bytes must be valid UTF-8: count the replacement characters decoding produces.
  const text = bytes.toString('utf8');
  let replaced = 0;
  for (let i = text.indexOf('\uFFFD'); i !== -1; i = text.indexOf('\uFFFD', i + 1)) replaced++;
  return replaced <= text.length * 0.02;
}

/** Encodes redacted text back the way the original was encoded. */
export function encodeLike(original: Base64Text, text: string): string {
  const encoded = Buffer.from(text, 'utf8').toString(original.urlSafe ? 'base64url' : 'base64');
  if (original.urlSafe && original.padded) return encoded + '='.repeat((4 - (encoded.length % 4)) % 4);
  if (!original.urlSafe && !original.padded) return encoded.replace(/=+$/, '');
  return encoded;
}
