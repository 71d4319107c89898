/**
 * A YAML writer for the provisioning files: plain data only (objects, arrays, strings,
 * numbers, booleans). Strings are written in double quotes with JSON escapes, which YAML
 * reads the same, except multi-line ones (SQL), which read better as literal blocks.
 */
export function toYaml(value: unknown): string {
  // Through JSON first: builders leave marker functions and undefined fields behind.
  return `${block(JSON.parse(JSON.stringify(value)), 0).replace(/^\n/, '')}\n`;
}

const pad = (n: number) => ' '.repeat(n);

function scalar(v: unknown, indent: number): string {
  if (typeof v === 'string') {
    if (v.includes('\n') && !/[^\S\n]\n|\s$/.test(v)) return `|-\n${v.split('\n').map((l) => (l ? pad(indent) + l : '')).join('\n')}`;
    return JSON.stringify(v);
  }
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v === null) return 'null';
  throw new Error(`cannot write ${typeof v} as YAML`);
}

function block(v: unknown, indent: number): string {
  if (Array.isArray(v)) {
    if (v.length === 0) return ' []';
    return v.map((item) => `\n${pad(indent)}-${isNode(item) && !Array.isArray(item) ? inline(item as Record<string, unknown>, indent + 2) : block(item, indent + 2)}`).join('');
  }
  if (isNode(v)) {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
    if (entries.length === 0) return ' {}';
    return entries.map(([k, x]) => `\n${pad(indent)}${key(k)}:${block(x, indent + 2)}`).join('');
  }
  return ` ${scalar(v, indent)}`;
}

/** An object inside a list starts on the dash's line. */
function inline(obj: Record<string, unknown>, indent: number): string {
  const text = block(obj, indent);
  return text === ' {}' ? text : ` ${text.slice(1 + indent)}`;
}

const isNode = (v: unknown) => typeof v === 'object' && v !== null;
const key = (k: string) => (/^[A-Za-z_][\w.-]*$/.test(k) ? k : JSON.stringify(k));
