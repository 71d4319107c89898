import { hasDigit, isTemplate, shannonEntropy } from './entropy.js';
import { sticky, type Detector, type Rule, type Span } from './rule.js';
import { isCredential, isSecretValue, PASSWORD_NAME_WORDS, SECRET_NAME_WORDS, suffixDisqualifies, type NamedRule } from './secret-names.js';

/**
 * Credentials. Each pattern is anchored at its keyword and bounded, so no input makes a
 * regex backtrack far: a leading look-behind rejects a keyword in the middle of a longer
 * token at once, and every repetition has a maximum.
 */

// A vendor prefix must start a token: `xghp_…` is not a GitHub token. In JSON-escaped
// text a token may follow `\n`, `\t` or `\r`, whose letter is no part of it.
const AFTER_ESCAPE = String.raw`(?<=(?<!\\)\\[nrt])`;
const START = String.raw`(?:(?<![A-Za-z0-9_])|${AFTER_ESCAPE})`;
const startExcept = (extra: string) => String.raw`(?:(?<![A-Za-z0-9_${extra}])|${AFTER_ESCAPE})`;
const END = String.raw`(?![A-Za-z0-9_])`;
// `"key": "`, `key=`, `key => '`, `KEY: ` and the same inside JSON-escaped text (`\"key\":\"`).
const ASSIGN = String.raw`(?:\\?["'])?[ \t]{0,8}(?::=|=>|:|=)[ \t]{0,8}`;
// A value in double quotes, single quotes, or bare up to a delimiter.
const VALUE = String.raw`(?:\\?"([^"\\\r\n\x00]{1,256})\\?"|'([^'\r\n\x00]{1,256})'|([^\s"'\`,;&|(){}\[\]<>\\\x00]{1,256}))`;

const vendor = (id: string, description: string, keywords: string[], source: string, check?: (v: string) => boolean): Rule => ({
  id,
  kind: 'secret',
  priority: 40,
  description,
  detectors: [{ keywords, match: sticky(source, check ? { check } : {}) }],
});

function named(rule: NamedRule, words: readonly string[]): Detector {
  return {
    keywords: words,
    match: sticky(String.raw`([A-Za-z0-9_.-]{0,24}?)${ASSIGN}${VALUE}`, {
      afterKeyword: true,
      group: [2, 3, 4],
      check: (value, m) => !suffixDisqualifies(m[1] ?? '') && isSecretValue(rule, value, m[4] === undefined),
    }),
  };
}

const PEM_HEAD = /-----BEGIN[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----/y;
const PEM_TAIL = /-----END[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----/y;
const PEM_MAX_BODY = 65_536;

/** A PEM block from BEGIN through END, or through the end of its base64 body when END is
 * missing (a key cut off by a size limit is still a key). Hand-written: a regex over a
 * 64 KiB body would keep a backtracking entry per character. */
function matchPrivateKey(text: string, at: number): Span | null {
  PEM_HEAD.lastIndex = at;
  if (!PEM_HEAD.test(text)) return null;
  let i = PEM_HEAD.lastIndex;
  const limit = Math.min(text.length, i + PEM_MAX_BODY);
  while (i < limit) {
    const c = text.charCodeAt(i);
    if (c === 45) {
      if (text.startsWith('-----', i)) break;
      i++;
    } else if (isPemBodyChar(c)) i++;
    else break;
  }
  PEM_TAIL.lastIndex = i;
  if (PEM_TAIL.test(text)) i = PEM_TAIL.lastIndex;
  return { start: at, end: i };
}

// Base64, whitespace, JSON escapes (`\n`) and the `Proc-Type: 4,ENCRYPTED` header lines.
function isPemBodyChar(c: number): boolean {
  return (
    (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) ||
    c === 43 || c === 47 || c === 61 || c === 32 || c === 9 || c === 10 || c === 13 || c === 92 || c === 58 || c === 44 || c === 46 || c === 95
  );
}

const JWT = sticky(String.raw`${startExcept('-')}eyJ[A-Za-z0-9_-]{6,4096}\.[A-Za-z0-9_-]{6,16384}\.[A-Za-z0-9_-]{0,4096}(?![A-Za-z0-9_-])`, {
  check: (token) => {
    // The header is JSON naming an algorithm or type; random `eyJ…` text is not.
    const header = Buffer.from(token.slice(0, token.indexOf('.')), 'base64url').toString('latin1');
    return /"(?:alg|typ|enc|kid)"/.test(header);
  },
});

// scheme://user:password@host. The password may hold an unencoded `@`, `?` or `#`: greedy
// up to the last `@` that a host follows (before any `/`), so a doubt redacts too much.
const USERINFO = /:\/\/([^\s:@\/"'<>\\\x00]{0,128}):([^\s\/"'<>\\\x00]{1,256})@(?=[A-Za-z0-9[])/dy;

function matchUrlPassword(text: string, at: number): Span | null {
  USERINFO.lastIndex = at;
  const m = USERINFO.exec(text);
  const user = m?.indices?.[1];
  const password = m?.indices?.[2];
  if (!m || !user || !password) return null;
  const pw = m[2] ?? '';
  if (isTemplate(pw)) return null;
  // https://<token>:x-oauth-basic@github.com/ and https://<token>:@…: the token is the user.
  const userIsToken = pw === 'x-oauth-basic' || ((m[1] ?? '').length >= 20 && shannonEntropy(m[1] ?? '') >= 3.5);
  return { start: userIsToken ? user[0] : password[0], end: password[1] };
}

export const SECRET_RULES: readonly Rule[] = [
  {
    id: 'private-key',
    kind: 'secret',
    priority: 50,
    description: 'PEM private key block (RSA, EC, DSA, OpenSSH, PGP, PKCS#8, encrypted), also JSON-escaped',
    detectors: [{ keywords: ['-----BEGIN'], match: matchPrivateKey }],
  },
  vendor(
    'aws-access-key-id',
    'AWS access key id (AKIA, ASIA, ABIA, ACCA, A3T…)',
    ['AKIA', 'ASIA', 'ABIA', 'ACCA', 'A3T'],
    String.raw`${START}(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Za-z0-9])`,
  ),
  {
    id: 'aws-secret-access-key',
    kind: 'secret',
    priority: 40,
    description: 'AWS secret access key: 40 base64 characters assigned to a *secret*access*key name',
    detectors: [
      {
        keywords: ['secret'],
        match: sticky(String.raw`secret[_-]?(?:access[_-]?)?key${ASSIGN}(?:\\?["'])?([A-Za-z0-9\/+=]{40})(?![A-Za-z0-9\/+=])`, {
          flags: 'i',
          group: 1,
          check: (v) => shannonEntropy(v) >= 3,
        }),
      },
    ],
  },
  vendor('github-token', 'GitHub token: ghp_, gho_, ghu_, ghs_, ghr_ and fine-grained github_pat_', ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_', 'github_pat_'],
    String.raw`${START}(?:gh[pousr]_[A-Za-z0-9_]{36,251}|github_pat_[A-Za-z0-9_]{22,251})${END}`),
  vendor('gitlab-token', 'GitLab token: glpat-, gldt-, glrt-, glptt-, glft-, glsoat-, gloas-, glcbt-, glimt-, glagent-',
    ['glpat-', 'gldt-', 'glrt-', 'glptt-', 'glft-', 'glsoat-', 'gloas-', 'glcbt-', 'glimt-', 'glagent-'],
    String.raw`${startExcept('-')}gl(?:pat|dt|rt|ptt|ft|soat|oas|cbt|imt|agent)-[A-Za-z0-9_.-]{20,300}`),
  vendor('slack-token', 'Slack token: xoxb-, xoxp-, xoxa-, xoxo-, xoxr-, xoxs-, xoxe-, xapp-',
    ['xoxa-', 'xoxb-', 'xoxp-', 'xoxo-', 'xoxr-', 'xoxs-', 'xoxe-', 'xoxe.', 'xapp-'],
    String.raw`${startExcept('-')}(?:xox[abposre](?:\.xox[a-z])?|xapp)-(?:[A-Za-z0-9]{1,64}(?:-[A-Za-z0-9]{1,64}){1,8}|[A-Za-z0-9]{10,250})`),
  vendor('slack-webhook-url', 'Slack incoming webhook, workflow or trigger URL', ['hooks.slack.com'],
    String.raw`hooks\.slack\.com\/(?:services|workflows|triggers)\/[A-Za-z0-9_\/+-]{16,300}`),
  vendor('anthropic-api-key', 'Anthropic API or admin key (sk-ant-…)', ['sk-ant-'],
    String.raw`${startExcept('-')}sk-ant-[a-z]{2,10}\d{0,3}-[A-Za-z0-9_-]{20,300}(?![A-Za-z0-9_-])`),
  vendor('openai-api-key', 'OpenAI API key: sk-, sk-proj-, sk-svcacct-, sk-admin- (and sk- keys of OpenAI-compatible APIs)', ['sk-'],
    String.raw`${startExcept('-')}sk-(?!ant-)[A-Za-z0-9_-]{20,300}(?![A-Za-z0-9_-])`,
    // The T3BlbkFJ marker ("OpenAI" in base64) settles it; without it, demand a random tail.
    (v) => v.includes('T3BlbkFJ') || (v.length >= 32 && hasDigit(v) && shannonEntropy(v) >= 3.5)),
  vendor('google-api-key', 'Google API key (AIza…)', ['AIza'], String.raw`${startExcept('-')}AIza[A-Za-z0-9_-]{35}(?![A-Za-z0-9_-])`),
  vendor('stripe-api-key', 'Stripe secret or restricted key: sk_live_, rk_live_, sk_test_, rk_test_', ['sk_live_', 'rk_live_', 'sk_test_', 'rk_test_'],
    String.raw`${START}[sr]k_(?:live|test)_[A-Za-z0-9]{16,247}(?![A-Za-z0-9])`),
  {
    id: 'npm-token',
    kind: 'secret',
    priority: 40,
    description: 'npm access token (npm_…) and .npmrc _authToken values',
    detectors: [
      { keywords: ['npm_'], match: sticky(String.raw`${START}npm_[A-Za-z0-9]{36}${END}`) },
      {
        keywords: ['_authtoken'],
        match: sticky(String.raw`_authtoken[ \t]*[:=][ \t]*(?:\\?["'])?(?!\$)([^\s"'\\\x00]{8,4096})`, { flags: 'i', group: 1 }),
      },
    ],
  },
  vendor('sendgrid-api-key', 'SendGrid API key (SG.….…)', ['SG.'], String.raw`${START}SG\.[A-Za-z0-9_-]{8,128}\.[A-Za-z0-9_-]{8,128}(?![A-Za-z0-9_-])`),
  vendor('shopify-token', 'Shopify access token: shpat_, shpca_, shppa_, shpss_', ['shpat_', 'shpca_', 'shppa_', 'shpss_'],
    String.raw`${START}shp(?:at|ca|pa|ss)_[A-Za-z0-9]{32,64}(?![A-Za-z0-9])`),
  vendor('linear-api-key', 'Linear API key (lin_api_…)', ['lin_api_'], String.raw`${START}lin_api_[A-Za-z0-9_]{32,128}${END}`),
  vendor('onepassword-token', '1Password service account token (ops_ey…)', ['ops_ey'], String.raw`${START}ops_ey[A-Za-z0-9+\/=]{100,4096}`),
  vendor('huggingface-token', 'Hugging Face access token (hf_…)', ['hf_'], String.raw`${START}hf_[A-Za-z0-9]{34,40}${END}`),
  vendor('pypi-token', 'PyPI upload token (pypi-AgE…)', ['pypi-AgE'], String.raw`${START}pypi-AgE[A-Za-z0-9_-]{50,1000}`),
  vendor('webhook-signing-secret', 'Standard Webhooks / Svix signing secret (whsec_…)', ['whsec_'], String.raw`${START}whsec_[A-Za-z0-9+\/=]{20,200}`),
  {
    id: 'jwt',
    kind: 'secret',
    priority: 35,
    description: 'JSON Web Token: three base64url parts, a JSON header naming alg/typ',
    detectors: [{ keywords: ['eyJ'], match: JWT }],
  },
  {
    id: 'connection-string',
    kind: 'secret',
    priority: 30,
    description: 'Password in a URL: postgres://user:pass@host, mongodb+srv://, mysql://, redis://:pass@, amqp://, https://user:pass@…',
    detectors: [{ keywords: ['://'], match: matchUrlPassword }],
  },
  {
    id: 'http-auth-header',
    kind: 'secret',
    priority: 20,
    description: 'Credential in an Authorization or Cookie header, or after "Bearer"',
    detectors: [
      {
        keywords: ['authorization'],
        match: sticky(
          String.raw`authorization${ASSIGN}(?:\\?["'])?(?:[a-z][a-z0-9_-]{0,30}[ \t]+)?([A-Za-z0-9._~+\/=:,-]{8,4096})`,
          { flags: 'i', group: 1, check: isCredential },
        ),
      },
      {
        keywords: ['bearer'],
        match: sticky(String.raw`bearer[ \t]+([A-Za-z0-9._~+\/-]{16,4096}=*)(?![A-Za-z0-9._~+\/=-])`, {
          flags: 'i',
          group: 1,
          check: (v) => hasDigit(v) && shannonEntropy(v) >= 3.5,
        }),
      },
      {
        keywords: ['cookie'],
        match: sticky(String.raw`cookie(?:\\?["'])?[ \t]{0,8}:[ \t]{0,8}(?:\\?["'])?([^\r\n"\\\x00]{8,4096})`, {
          flags: 'i',
          group: 1,
          check: (v) => v.includes('=') && hasDigit(v) && shannonEntropy(v) >= 3,
        }),
      },
    ],
  },
  {
    id: 'generic-secret',
    kind: 'secret',
    priority: 10,
    description: 'High-entropy value (≥ 3.5 bits/char, ≥ 12 chars) assigned to a name with secret, token, credential, api_key, access_key, private_key, …',
    detectors: [named('generic-secret', SECRET_NAME_WORDS)],
  },
  {
    id: 'password-assignment',
    kind: 'secret',
    priority: 10,
    description: 'Value (≥ 6 chars, ≥ 2.5 bits/char, not a placeholder) assigned to password, passwd, passphrase, pwd',
    detectors: [named('password-assignment', PASSWORD_NAME_WORDS)],
  },
];
