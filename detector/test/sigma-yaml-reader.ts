/**
 * A reader for the YAML subset that the Sigma writer emits (block maps and lists, plain,
 * double-quoted and literal-block scalars, `[]`, `{}`, `---` documents), written apart
 * from the writer so that a test reads the files back as a SIEM would, not as written.
 */
type Value = string | number | boolean | Value[] | { [k: string]: Value };

interface Line {
  indent: number;
  text: string;
  /** Index in the raw text's lines: literal blocks keep their blank lines. */
  at: number;
}

export function readYamlDocuments(text: string): Value[] {
  const docs = text.split(/^---\n/m).filter((d) => d.trim() !== '');
  return docs.map(readYaml);
}

export function readYaml(text: string): Value {
  const raw = text.split('\n');
  const lines: Line[] = raw
    .map((l, at) => ({ indent: l.length - l.trimStart().length, text: l.trimStart(), at }))
    .filter((l) => l.text !== '' && !l.text.startsWith('#'));
  const [value] = block(lines, 0, 0, raw);
  return value;
}

function scalar(text: string): Value {
  if (text.startsWith('"')) return JSON.parse(text) as string;
  if (text === '[]') return [];
  if (text === '{}') return {};
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  if (/^[!&*'{[>%@`]/.test(text) || /: |\s#/.test(text)) throw new Error(`unexpected plain scalar: ${text}`);
  return text;
}

function block(lines: Line[], i: number, indent: number, raw: string[]): [Value, number] {
  const first = lines[i]!;
  if (first.text.startsWith('- ') || first.text === '-') return list(lines, i, first.indent, raw);
  return map(lines, i, first.indent, raw);
}

function splitKey(text: string): [string, string] {
  if (text.startsWith('"')) {
    const end = JSON.stringify(JSON.parse(text.slice(0, text.indexOf('":') + 1))).length;
    return [JSON.parse(text.slice(0, end)) as string, text.slice(end + 1).trim()];
  }
  const at = text.indexOf(':');
  if (at < 0) throw new Error(`not a key: ${text}`);
  return [text.slice(0, at), text.slice(at + 1).trim()];
}

function map(lines: Line[], i: number, indent: number, raw: string[]): [Value, number] {
  const out: { [k: string]: Value } = {};
  while (i < lines.length && lines[i]!.indent === indent && !lines[i]!.text.startsWith('- ')) {
    const [key, rest] = splitKey(lines[i]!.text);
    if (key in out) throw new Error(`duplicate key ${key}`);
    [out[key], i] = value(lines, i, indent, rest, raw);
  }
  if (i < lines.length && lines[i]!.indent > indent) throw new Error(`bad indentation at: ${lines[i]!.text}`);
  return [out, i];
}

function list(lines: Line[], i: number, indent: number, raw: string[]): [Value, number] {
  const out: Value[] = [];
  while (i < lines.length && lines[i]!.indent === indent && lines[i]!.text.startsWith('- ')) {
    const rest = lines[i]!.text.slice(2);
    if (/^[A-Za-z_"][^:]*:( |$)/.test(rest) && !rest.startsWith('"') || /^"[^"]*":( |$)/.test(rest)) {
      // A map item: re-read its first line as a key at the item's indentation.
      const inner = [...lines];
      inner[i] = { indent: indent + 2, text: rest, at: lines[i]!.at };
      const [item, next] = map(inner, i, indent + 2, raw);
      out.push(item);
      i = next;
    } else {
      let item: Value;
      [item, i] = value(lines, i, indent, rest, raw);
      out.push(item);
    }
  }
  return [out, i];
}

function value(lines: Line[], i: number, indent: number, rest: string, raw: string[]): [Value, number] {
  if (rest === '') {
    const next = lines[i + 1];
    if (!next || next.indent < indent || (next.indent === indent && !next.text.startsWith('- '))) throw new Error(`empty value at: ${lines[i]!.text}`);
    return block(lines, i + 1, next.indent, raw);
  }
  if (rest === '|' || rest === '|-') {
    let j = i + 1;
    while (j < lines.length && lines[j]!.indent > indent) j++;
    const blockIndent = lines[i + 1]!.indent;
    const stop = j < lines.length ? lines[j]!.at : raw.length;
    const body = raw.slice(lines[i + 1]!.at, stop).map((l) => l.slice(blockIndent));
    while (body.length && body.at(-1) === '') body.pop();
    const textValue = body.join('\n') + (rest === '|' ? '\n' : '');
    return [textValue, j];
  }
  return [scalar(rest), i + 1];
}
