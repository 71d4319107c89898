/**
 * A YAML writer for the subset a Sigma rule uses: maps, lists, strings, numbers, booleans.
 * Key order is the object's, so the same rule always gives the same bytes. A string is
 * written plain only when YAML cannot read it as anything else; otherwise double-quoted
 * (JSON's escapes are valid YAML 1.2), or as a literal block when it spans lines.
 */
export type YamlValue = string | number | boolean | YamlValue[] | { [key: string]: YamlValue };

// Letters first, no `: ` or ` #`, no trailing space: nothing YAML could read otherwise.
const PLAIN = /^[A-Za-z_/](?:[A-Za-z0-9 _./|(),-]*[A-Za-z0-9_./|)-])?$/;
// YAML 1.1 readers (PyYAML, many SIEM importers) take these as booleans or null.
const RESERVED = /^(?:true|false|yes|no|on|off|y|n|null|~)$/i;

export function yamlScalar(value: string | number | boolean): string {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`cannot write ${value} in YAML`);
    return String(value);
  }
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return PLAIN.test(value) && !RESERVED.test(value) ? value : JSON.stringify(value);
}

const isMap = (v: YamlValue): v is { [key: string]: YamlValue } => typeof v === 'object' && !Array.isArray(v);
const isEmpty = (v: YamlValue) => (Array.isArray(v) ? v.length === 0 : isMap(v) && Object.keys(v).length === 0);

/** One YAML document (no `---`), ending in a newline. */
export function toYaml(value: { [key: string]: YamlValue }): string {
  return mapLines(value, '').join('\n') + '\n';
}

function mapLines(map: { [key: string]: YamlValue }, indent: string): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(map)) {
    const k = `${indent}${yamlScalar(key)}:`;
    if (isEmpty(value)) out.push(`${k} ${Array.isArray(value) ? '[]' : '{}'}`);
    else if (Array.isArray(value)) out.push(k, ...listLines(value, `${indent}  `));
    else if (isMap(value)) out.push(k, ...mapLines(value, `${indent}  `));
    else out.push(...scalarLines(k, value, `${indent}  `));
  }
  return out;
}

function listLines(list: YamlValue[], indent: string): string[] {
  const out: string[] = [];
  for (const item of list) {
    if (!Array.isArray(item) && !isMap(item)) {
      out.push(...scalarLines(`${indent}-`, item, `${indent}  `));
    } else if (isEmpty(item)) {
      out.push(`${indent}- ${Array.isArray(item) ? '[]' : '{}'}`);
    } else {
      // A map item: its first key on the dash's line, the rest aligned under it.
      const inner = Array.isArray(item) ? listLines(item, `${indent}  `) : mapLines(item, `${indent}  `);
      out.push(`${indent}- ${inner[0]!.trimStart()}`, ...inner.slice(1));
    }
  }
  return out;
}

function scalarLines(prefix: string, value: string | number | boolean, indent: string): string[] {
  // A literal block keeps a long description readable; only for text a block can hold
  // exactly (no leading space, no trailing spaces on a line, no control characters).
  if (typeof value === 'string' && value.includes('\n') && /^[^\s][^\x00-\x09\x0b-\x1f\x7f]*$/.test(value) && !/ \n| $/.test(value)) {
    const chomp = value.endsWith('\n') ? '' : '-';
    const body = value.replace(/\n$/, '').split('\n').map((l) => (l === '' ? '' : `${indent}${l}`));
    return [`${prefix} |${chomp}`, ...body];
  }
  return [`${prefix} ${yamlScalar(value)}`];
}
