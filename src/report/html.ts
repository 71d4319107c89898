/**
 * HTML built from tagged templates that escape every interpolated value unless it is
 * already `Html`. Tool names, titles, session keys and rule ids come from spans, which an
 * attacker can shape; escaping by default means a forgotten call is safe, not a hole.
 */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Text for an element or a quoted attribute. Control characters and bidirectional
 * overrides are shown as code points: a tool name that reorders or hides the text around
 * it would mislead the analyst reading the page.
 */
export function escapeText(value: unknown): string {
  return String(value)
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => `⟨U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}⟩`)
    .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd')
    .replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

export type Part = Html | string | number | null | undefined | false | readonly Part[];

function render(part: Part): string {
  if (part === null || part === undefined || part === false) return '';
  if (part instanceof Html) return part.text;
  if (Array.isArray(part)) return (part as readonly Part[]).map(render).join('');
  return escapeText(part);
}

export function html(strings: TemplateStringsArray, ...parts: Part[]): Html {
  let out = strings[0]!;
  parts.forEach((part, i) => (out += render(part) + strings[i + 1]!));
  return new Html(out);
}

/** An in-page anchor from our own numbering or a span/alert id: hex and digits only, so
 * nothing from a span can turn a link into a `javascript:` URL. */
export function anchor(prefix: 'call' | 'alert', id: string | number): string {
  const safe = String(id).replace(/[^0-9a-zA-Z_-]/g, '');
  return `${prefix}-${safe}`;
}
