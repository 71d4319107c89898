import type { Matcher, Rule } from './rule.js';

/**
 * Paths of files that hold credentials. Naming one is not a leak, but an agent reading
 * them is how environment scraping starts (SAFE-MCP T1503), and the detector, which never
 * sees values, learns of it only through this finding.
 */
const SENSITIVE = [
  '.env',
  'id_rsa',
  'id_dsa',
  'id_ecdsa',
  'id_ed25519',
  '/etc/passwd',
  '/etc/shadow',
  '/etc/sudoers',
  '.aws/credentials',
  '.aws/config',
  '.aws\\credentials',
  '.ssh/',
  '.ssh\\',
  '.npmrc',
  '.pypirc',
  '.netrc',
  '.git-credentials',
  '.kube/config',
  '.docker/config.json',
  '.config/gcloud',
] as const;

const WORD = /[A-Za-z0-9_]/;
// `.env` may carry a suffix (.env.local, .env.production); nothing else may follow a name.
const ENV_SUFFIX = /^\.[a-z]{2,12}/;
const PATH_CHAR = /[^\s"'`<>|,;()[\]{}\u0000-\u001f]/;

/** The whole path token around a keyword, when the keyword stands as a path part: not
 * `process.env`, not `my_id_rsa_parser`. */
const pathAround: Matcher = (text, at, after) => {
  const keyword = text.slice(at, after).toLowerCase();
  const before = at > 0 ? text[at - 1]! : '';
  // A name must start a path part: after a separator, a quote, a space or the start.
  if (!keyword.startsWith('/') && before !== '' && (WORD.test(before) || before === '.' || before === '-')) return null;
  let end = after;
  if (!keyword.endsWith('/') && !keyword.endsWith('\\')) {
    if (keyword === '.env') {
      const suffix = ENV_SUFFIX.exec(text.slice(end, end + 13));
      if (suffix) end += suffix[0].length;
    }
    const next = text[end] ?? '';
    if (WORD.test(next) || next === '-') return null;
  }
  let start = at;
  while (start > 0 && PATH_CHAR.test(text[start - 1]!) && at - start < 256) start--;
  while (end < text.length && PATH_CHAR.test(text[end]!) && end - after < 256) end++;
  return { start, end };
};

export const PATH_RULES: readonly Rule[] = [
  {
    id: 'sensitive-path',
    kind: 'path',
    priority: 5,
    description: 'A path to a credentials file: .env, SSH private keys, /etc/passwd and /etc/shadow, cloud and package-registry credentials',
    detectors: [{ keywords: SENSITIVE, match: pathAround }],
  },
];
