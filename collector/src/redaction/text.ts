import type { RedactedText, RedactionFinding, RedactionOptions, TextScan } from './api.js';
import { countFindings, detect, resolve } from './engine.js';
import { maxBytesOf, safeCut, TRUNCATED, utf8Prefix } from './limits.js';

export function scanText(text: string, options?: RedactionOptions): TextScan {
  const cut = utf8Prefix(text, maxBytesOf(options));
  const truncated = cut < text.length;
  return { findings: resolve(detect(truncated ? text.slice(0, cut) : text)), truncated };
}

export function redactText(text: string, options?: RedactionOptions): RedactedText {
  const cut = utf8Prefix(text, maxBytesOf(options));
  const truncated = cut < text.length;
  const findings = resolve(detect(truncated ? text.slice(0, cut) : text));
  const keep = truncated ? safeCut(text, cut) : text.length;
  const redacted = applyRedactions(text, findings, keep);
  return { text: truncated ? redacted + TRUNCATED : redacted, findings: countFindings(findings), truncated };
}

export const placeholder = (rule: string) => `[REDACTED:${rule}]`;

/** `text[0, keep)` with every finding replaced by its placeholder. */
export function applyRedactions(text: string, findings: readonly RedactionFinding[], keep = text.length): string {
  if (findings.length === 0) return keep === text.length ? text : text.slice(0, keep);
  let out = '';
  let pos = 0;
  for (const f of findings) {
    if (f.start >= keep) break;
    out += text.slice(pos, f.start) + placeholder(f.rule);
    pos = Math.min(f.end, keep);
  }
  return out + text.slice(pos, keep);
}
