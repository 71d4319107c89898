import type { FindingCounts, RedactedText } from '../redaction/api.js';

/** The redaction module's `redactText`, as the receiver uses it. */
export type TextRedactor = (text: string) => RedactedText;

/**
 * The redaction module's `redactText`, loaded on first use, so that a host that injects
 * its own redactor (tests, other rules) never loads the default rules.
 */
export async function loadDefaultRedactor(): Promise<TextRedactor> {
  const { redactText } = await import('../redaction/index.js');
  return (text) => redactText(text);
}

const CACHE_LIMIT = 4096;

/**
 * Redacts the strings of one request and counts what it found. Repeated values (a method
 * name, a service's resource attributes) are common in a batch, so a request's results are
 * cached; counts are added per use, as each span carries its own findings.
 */
export class RedactionScope {
  private readonly cache = new Map<string, RedactedText>();

  constructor(private readonly redact: TextRedactor) {}

  /** Redacts `text`, adding its findings to `into`. */
  text(text: string, into: FindingCounts): string {
    if (text === '') return text;
    let result = this.cache.get(text);
    if (!result) {
      result = this.redact(text);
      if (this.cache.size < CACHE_LIMIT && text.length <= 1024) this.cache.set(text, result);
    }
    addCounts(into, result.findings);
    return result.text;
  }

  /** True when redaction finds nothing in `text`. */
  clean(text: string): boolean {
    return this.text(text, {}) === text;
  }
}

export function addCounts(into: FindingCounts, from: FindingCounts): void {
  for (const [rule, n] of Object.entries(from)) {
    if (Number.isSafeInteger(n) && n > 0) into[rule] = (into[rule] ?? 0) + n;
  }
}

/** `toolwatch.redaction.findings` as it came from upstream, if it is a well-formed count
 * map; anything else is dropped, since a free-form value there would go out unscanned. */
export function parseFindings(raw: string | undefined, scope: RedactionScope): FindingCounts {
  if (!raw) return {};
  try {
    const parsed = JSON.parse(raw) as unknown;
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return {};
    const out: FindingCounts = {};
    for (const [rule, n] of Object.entries(parsed)) {
      if (/^[A-Za-z0-9_.:/-]{1,64}$/.test(rule) && typeof n === 'number' && scope.clean(rule)) addCounts(out, { [rule]: n });
    }
    return out;
  } catch {
    return {};
  }
}

export function formatFindings(counts: FindingCounts): string {
  return JSON.stringify(Object.fromEntries(Object.entries(counts).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
}
