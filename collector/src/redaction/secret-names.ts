import { charClasses, hasDigit, isTemplate, shannonEntropy } from './entropy.js';

/**
 * The generic rules: a value assigned to a name that says "secret". The same names and
 * value checks serve text (`api_key = …`, `"password": "…"`) and JSON values walked by key.
 */

export type NamedRule = 'generic-secret' | 'password-assignment' | 'http-auth-header';

const withSeparators = (a: string, b: string) => [`${a}_${b}`, `${a}-${b}`, `${a}${b}`];

/** Names whose value is a token or key. Lower case; matched case-insensitively. */
export const SECRET_NAME_WORDS: readonly string[] = [
  'secret',
  'token',
  'credential',
  ...['api', 'access', 'account', 'private', 'auth', 'signing', 'master', 'encryption', 'session', 'client'].flatMap((p) =>
    withSeparators(p, 'key'),
  ),
];

export const PASSWORD_NAME_WORDS: readonly string[] = ['password', 'passwd', 'passphrase', 'pwd'];

// What follows the word when the value is about the secret, not the secret:
// token_endpoint, secret_name, password_hint, max_tokens_count, api_key_id.
const NOT_A_VALUE_SUFFIX =
  /(?:url|uri|endpoint|path|file|filename|name|type|types|id|ids|arn|count|length|len|size|limit|min|max|ttl|expiry|expires|expires_?at|expires_?in|header|field|param|prefix|hint|label|format|kind|mode|version|usage|policy|prompt|reset|changed|updated|required|strength|rules|less|location|store|manager|ref|message|msg|text|description|error|title|help)$/;

/** Headers whose whole value is a credential. */
const HEADER_NAMES = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-auth-token']);

const SECRET_NAME = new RegExp(`(${[...PASSWORD_NAME_WORDS, ...SECRET_NAME_WORDS].join('|')})`, 'g');

/** Which generic rule a key name calls for, if any. `suffix` is what follows the word. */
// Key names repeat across values ("id", "name", "content"): remember the verdicts.
const verdicts = new Map<string, NamedRule | null>();
const MAX_VERDICTS = 4096;

export function classifyName(name: string): NamedRule | undefined {
  if (name.length > 96) return undefined;
  let verdict = verdicts.get(name);
  if (verdict === undefined) {
    if (verdicts.size >= MAX_VERDICTS) verdicts.clear();
    verdict = classifyUncached(name) ?? null;
    verdicts.set(name, verdict);
  }
  return verdict ?? undefined;
}

function classifyUncached(name: string): NamedRule | undefined {
  const lower = name.toLowerCase();
  if (HEADER_NAMES.has(lower)) return 'http-auth-header';
  let last: RegExpExecArray | null = null;
  SECRET_NAME.lastIndex = 0;
  for (let m = SECRET_NAME.exec(lower); m !== null; m = SECRET_NAME.exec(lower)) last = m;
  if (last === null) return undefined;
  const word = last[1] ?? '';
  const suffix = lower.slice(last.index + word.length).replace(/["'\s]/g, '');
  if (suffix.length > 0 && NOT_A_VALUE_SUFFIX.test(suffix)) return undefined;
  return PASSWORD_NAME_WORDS.includes(word) ? 'password-assignment' : 'generic-secret';
}

/** Nothing to redact when the name is only about the word ("tokenizer", "secretary"). */
export function suffixDisqualifies(suffix: string): boolean {
  return suffix.length > 0 && NOT_A_VALUE_SUFFIX.test(suffix.toLowerCase());
}

// Words a form or schema puts where a password goes.
const PASSWORD_PLACEHOLDERS = new Set([
  'required', 'optional', 'string', 'none', 'null', 'undefined', 'true', 'false', 'hidden', 'redacted', 'masked',
  'password', 'secret', 'example', 'placeholder', 'your_password', 'your-password', 'yourpassword', 'changeit', 'notset',
]);

const URL_OR_PATH = /^(?:[a-z][a-z0-9+.-]*:\/\/|\/|\.\.?\/|~\/)/i;
// user.password, config.get, self.secret: code, not a value; so is a type annotation
// (`password: Uint8Array`).
const DOTTED_IDENTIFIER = /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+$/;
// A bare value that starts like a property access (`result.groups?.password`) is code.
const CODE_EXPRESSION = /^[A-Za-z_$][\w$]*(?:\?\.|!\.|\.)[A-Za-z_$]/;
// "[A-Za-z0-9._~+/-]+=*", "\\d{4}": a pattern, not a value.
const REGEX_SOURCE = /\[[^\]]*-[^\]]*\][*+?{]|\\[dwsbDWSB]/;
const TYPE_NAME = /^(?:Big)?(?:Uint|Int|Float)(?:8|16|32|64)(?:Clamped)?Array$/;

/**
 * Whether the value assigned to a secret-ish name is itself a secret. Entropy floors:
 * 3.5 bits per char for tokens (random base62 scores ~5.5, English words ~3), 2.5 for
 * passwords, which people choose. `quoted` values may be anything; a bare value needs a
 * digit or a symbol, since bare words after `=` are mostly code (`password = getPassword`).
 */
export function isSecretValue(rule: NamedRule, value: string, quoted: boolean): boolean {
  const v = value.trim();
  if (!quoted && !hasDigit(v) && !/[!@#%^&*~?+]/.test(v)) return false;
  if (isTemplate(v) || URL_OR_PATH.test(v) || DOTTED_IDENTIFIER.test(v) || TYPE_NAME.test(v) || REGEX_SOURCE.test(v)) return false;
  if (!quoted && CODE_EXPRESSION.test(v)) return false;
  if (rule === 'http-auth-header') return isCredential(v);
  if (rule === 'password-assignment') {
    if (v.length < 6 || v.length > 256) return false;
    if (PASSWORD_PLACEHOLDERS.has(v.toLowerCase())) return false;
    return shannonEntropy(v) >= 2.5;
  }
  if (v.length < 12 || v.length > 4096 || /\s/.test(v)) return false;
  // A word like "Unauthorized" has twelve distinct letters; a token that short has a digit.
  if (charClasses(v) < 2 || (v.length < 32 && !hasDigit(v))) return false;
  return shannonEntropy(v) >= 3.5;
}

/** An Authorization header's credential (after any scheme word): random enough, and not
 * the name of a variable that holds one (`Authorization: this.authHeader`). */
export function isCredential(value: string): boolean {
  const v = value.trim();
  if (v.length < 8 || isTemplate(v) || DOTTED_IDENTIFIER.test(v) || CODE_EXPRESSION.test(v)) return false;
  if (!hasDigit(v) && !/[+/=]/.test(v) && v.length < 32) return false;
  return shannonEntropy(v) >= 3;
}
