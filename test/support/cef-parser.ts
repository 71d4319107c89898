/**
 * A CEF reader as a SIEM's would be, written from the format's rules (not from our writer):
 * seven header fields split on unescaped `|` (`\|` and `\\` unescaped), then `key=value`
 * pairs, a key being the word before an unescaped `=` after a space, values unescaping
 * `\=`, `\\`, `\n` and `\r`.
 */
export interface CefRecord {
  version: string;
  vendor: string;
  product: string;
  deviceVersion: string;
  signatureId: string;
  name: string;
  severity: string;
  extension: Record<string, string>;
}

export function parseCef(line: string): CefRecord {
  if (!line.startsWith('CEF:')) throw new Error(`not a CEF line: ${line.slice(0, 40)}`);
  const fields: string[] = [];
  let current = '';
  let i = 4;
  for (; i < line.length && fields.length < 7; i++) {
    const c = line[i]!;
    if (c === '\\' && (line[i + 1] === '|' || line[i + 1] === '\\')) {
      current += line[++i];
    } else if (c === '|') {
      fields.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  if (fields.length < 7) throw new Error('a CEF header has seven fields');
  const [version, vendor, product, deviceVersion, signatureId, name, severity] = fields as [string, string, string, string, string, string, string];
  return { version, vendor, product, deviceVersion, signatureId, name, severity, extension: parseExtension(line.slice(i)) };
}

function parseExtension(text: string): Record<string, string> {
  const keys = [...text.matchAll(/(?:^| )([A-Za-z0-9_]+)=/g)];
  const out: Record<string, string> = {};
  keys.forEach((m, n) => {
    const start = m.index! + m[0].length;
    const end = n + 1 < keys.length ? keys[n + 1]!.index! : text.length;
    out[m[1]!] = text.slice(start, end).replace(/\\([\\=nr])/g, (_, e: string) => (e === 'n' ? '\n' : e === 'r' ? '\r' : e));
  });
  return out;
}
