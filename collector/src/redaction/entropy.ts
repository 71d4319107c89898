/** Shannon entropy in bits per character, H = −Σ p·log2 p: random tokens score high,
 * words and repeated characters low. */
export function shannonEntropy(s: string): number {
  const n = s.length;
  if (n === 0) return 0;
  counts.fill(0);
  let others: Map<number, number> | undefined;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 128) counts[c] = (counts[c] as number) + 1;
    else (others ??= new Map()).set(c, (others.get(c) ?? 0) + 1);
  }
  let h = 0;
  for (let c = 0; c < 128; c++) {
    const k = counts[c] as number;
    if (k > 0) h -= (k / n) * Math.log2(k / n);
  }
  for (const k of others?.values() ?? []) h -= (k / n) * Math.log2(k / n);
  return h;
}

const counts = new Uint32Array(128);

/** How many of lower, upper, digit, other a value mixes. */
export function charClasses(s: string): number {
  let lower = 0, upper = 0, digit = 0, other = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 97 && c <= 122) lower = 1;
    else if (c >= 65 && c <= 90) upper = 1;
    else if (c >= 48 && c <= 57) digit = 1;
    else other = 1;
  }
  return lower + upper + digit + other;
}

export const hasDigit = (s: string): boolean => /\d/.test(s);

// ${VAR}, {{var}}, <password>, $VAR, %VAR%, process.env.X, ****, xxxx: a reference to a
// secret or a hole for one, not the secret.
const TEMPLATE = /\$\{|\{\{|^<[^>]*>$|^\$[A-Za-z_]\w*$|^%[A-Za-z_]\w*%$|process\.env|os\.environ|^\*+$|^x+$|^(.)\1+$/i;
export const isTemplate = (value: string): boolean => TEMPLATE.test(value);
