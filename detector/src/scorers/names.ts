/** Confusable characters folded together: `read_fi1e` and `read_file` are one name to a
 * model reading a tool list, and so they are here. */
const CONFUSABLE: Record<string, string> = { '0': 'o', '1': 'l', i: 'l', '3': 'e', '5': 's', '-': '_', '.': '_' };

export function foldName(name: string): string {
  let out = '';
  for (const ch of name.toLowerCase().normalize('NFKC')) out += CONFUSABLE[ch] ?? ch;
  return out;
}

/** True when two different names would read alike: equal once folded, or one edit apart
 * (a letter added, dropped, changed or two swapped) for names long enough to matter. */
export function looksAlike(a: string, b: string): boolean {
  if (a === b) return false;
  const x = foldName(a);
  const y = foldName(b);
  if (x === y) return true;
  if (Math.min(x.length, y.length) < 5 || Math.abs(x.length - y.length) > 1) return false;
  return editDistanceAtMostOne(x, y);
}

function editDistanceAtMostOne(x: string, y: string): boolean {
  let i = 0;
  while (i < x.length && i < y.length && x[i] === y[i]) i++;
  if (i === x.length || i === y.length) return true;
  const swapped = x[i] === y[i + 1] && x[i + 1] === y[i] && x.slice(i + 2) === y.slice(i + 2);
  return swapped || x.slice(i + 1) === y.slice(i + 1) || x.slice(i) === y.slice(i + 1) || x.slice(i + 1) === y.slice(i);
}
