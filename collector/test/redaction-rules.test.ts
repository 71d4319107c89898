import { describe, expect, it } from 'vitest';
import { ibanValid, luhnValid } from '../src/redaction/checksums.js';
import { shannonEntropy } from '../src/redaction/entropy.js';
import { describeRules, redactText, redactValue, RULES, scanText, scanValue } from '../src/redaction/index.js';
import * as fake from './redaction-fakes.js';

const r = fake.rng(99);
const GHP = `ghp_${fake.token(r, 36)}`;
const AKIA = `AKIA${fake.chars(r, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16)}`;
const JWT = fake.jwt(r);
const VISA = fake.cardNumber(r, 'visa');
const IBAN = fake.iban(r, 'DE');
const PEM = fake.pemKey(r, 'RSA PRIVATE KEY');

const rulesIn = (text: string) => scanText(text).findings.map((f) => f.rule);

describe('rules: what each one takes and what it leaves', () => {
  const cases: [rule: string, positives: string[], negatives: string[]][] = [
    ['aws-access-key-id', [`id ${AKIA} here`, `"${AKIA}"`], [`X${AKIA}`, 'AKIA1234', `${AKIA}Z`]],
    ['aws-secret-access-key', [`aws_secret_access_key=${fake.token(r, 40, fake.B64)}`, `"SecretAccessKey": "${fake.token(r, 40, fake.B64)}"`], ['aws_secret_access_key=' + 'x'.repeat(40)]],
    ['github-token', [GHP, `token ${`github_pat_${fake.token(r, 22)}_${fake.token(r, 59)}`}`], ['ghp_short', `xghp_${fake.token(r, 36)}`]],
    ['gitlab-token', [`glpat-${fake.token(r, 20)}`], ['glpat-short']],
    ['slack-token', [`xoxb-123456789012-1234567890123-${fake.token(r, 24)}`, 'xoxp-1234-5678-abcd'], ['xoxb-', 'xoxb-abc']],
    ['slack-webhook-url', [`https://hooks.slack.com/services/T0123ABCD/B0123ABCDEF/${fake.token(r, 24)}`], ['https://hooks.slack.com/help']],
    ['openai-api-key', [`sk-proj-${fake.token(r, 60)}`, `sk-${fake.token(r, 20)}T3BlbkFJ${fake.token(r, 20)}`], ['sk-learn-preprocessing-pipeline', 'task-sk-']],
    ['anthropic-api-key', [`sk-ant-api03-${fake.token(r, 93)}AA`], ['sk-ant-']],
    ['google-api-key', [`AIza${fake.token(r, 35)}`], ['AIzaShort']],
    ['stripe-api-key', [`sk_live_${fake.token(r, 24)}`, `rk_live_${fake.token(r, 24)}`], ['sk_live_']],
    ['npm-token', [`npm_${fake.token(r, 36)}`, `//registry.npmjs.org/:_authToken=${fake.token(r, 36)}`], ['//registry.npmjs.org/:_authToken=${NPM_TOKEN}']],
    ['private-key', [PEM, JSON.stringify({ private_key: PEM }), PEM.slice(0, 300)], ['-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----', '-----BEGIN PUBLIC KEY-----']],
    ['jwt', [JWT, `id_token=${JWT}`], ['eyJub3QiOiJhIHRva2VuIn0.eyJzdWIiOiIxIn0.sig', 'eyJ.eyJ.']],
    ['connection-string', ['postgres://app:S3cr3t-Pw@db.example.com:5432/app', 'redis://:p4ssw0rd@cache:6379', 'mysql://root:p@ss@10.0.0.1/db', 'mongodb://u:p?ss#w0rd@db.example.com/x'], ['postgres://db.example.com:5432/app', 'postgres://u:${DB_PASS}@host/db', 'https://example.com:8443/path']],
    ['http-auth-header', ['Authorization: Basic dXNlcjpwYXNzd29yZDEyMw==', `bearer ${fake.token(r, 32)}`], ['Authorization: required', 'the bearer token is short', 'Authorization: Bearer <token>']],
    ['generic-secret', [`api_key = "${fake.token(r, 32)}"`, `{"client_secret":"${fake.token(r, 40)}"}`, `X_AUTH_TOKEN=${fake.token(r, 24)}`], ['api_key = "YOUR_API_KEY"', '"token_endpoint": "https://auth.example.com/oauth/token"', 'max_tokens: 4096', 'secret = config.secret']],
    ['password-assignment', ['password: "Passw0rd!"', 'DB_PASSWORD=Winter!odstyu', 'Server=db;Password=Tr0ub4dor&3;'], ['password: "********"', 'password=${DB_PASS}', '"password": "required"', 'password = getPassword(user)', 'Reset your password: it takes a minute']],
    ['email', ['write to jane.doe+tag@mail.example.co.uk', '<bob@example.com>', 'see https://example.com/a then bob@example.com'], ['icon@2x.png', '@scope/pkg@1.2.3', 'user@localhost', 'ssh://git@github.com/org/repo', 'mongodb://u:p?ss#w0rd@db.example.com/x']],
    ['phone-number', ['+1 415 555 0132', '+44 20 7946 0958', '+14155550132', '(415) 555-0132', '415-555-0132', '020 7946 0958', '06 12 34 56 78'], ['2024-05-01', '10.0.0.1', 'v1.22.333', '123-45-6789', '+05:30', 'build 1234 5678']],
    ['credit-card', [VISA, fake.groupCard(fake.cardNumber(r, 'mastercard'), ' '), fake.groupCard(fake.cardNumber(r, 'amex'), '-'), `${fake.groupCard(VISA, ' ')} 12/29 123`], [VISA.slice(0, 15) + String((Number(VISA[15]) + 1) % 10), '9111111111111111', '1717171717123', `${VISA}0`]],
    ['iban', [IBAN, fake.groupIban(IBAN), fake.iban(r, 'GB'), fake.iban(r, 'FR')], [IBAN.slice(0, -1) + String((Number(IBAN.slice(-1)) + 1) % 10), 'XX12345678901234567890', 'ID12345']],
  ];

  for (const [rule, positives, negatives] of cases) {
    it(`${rule}: finds ${positives.length}, leaves ${negatives.length}`, () => {
      for (const p of positives) expect(rulesIn(p), p.slice(0, 60)).toContain(rule);
      for (const n of negatives) expect(rulesIn(n), n.slice(0, 60)).not.toContain(rule);
    });
  }

  it('every rule has an id, a kind, a description and a prefilter, and the ids are unique', () => {
    const described = describeRules();
    expect(new Set(described.map((d) => d.id)).size).toBe(RULES.length);
    for (const d of described) {
      expect(d.id).toMatch(/^[a-z0-9-]+$/);
      expect(['secret', 'pii', 'path']).toContain(d.kind);
      expect(d.description.length).toBeGreaterThan(10);
      expect(d.keywords.length).toBeGreaterThan(0);
    }
  });
});

describe('checksums and entropy', () => {
  it('Luhn and mod-97 accept valid numbers and reject a changed digit', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(ibanValid('DE89370400440532013000')).toBe(true);
    expect(ibanValid('DE89370400440532013001')).toBe(false);
    expect(ibanValid('GB82WEST12345698765432')).toBe(true);
  });

  it('entropy separates random tokens from words and repeats', () => {
    expect(shannonEntropy('aaaaaaaaaaaa')).toBe(0);
    expect(shannonEntropy('abcd')).toBeCloseTo(2, 10);
    expect(shannonEntropy(fake.token(r, 32))).toBeGreaterThan(4);
    expect(shannonEntropy('authorization')).toBeLessThan(3.5);
  });
});

describe('scanText and redactText', () => {
  it('reports rule and offsets, never the value', () => {
    const text = `config: token=${GHP} and mail bob@example.com`;
    const { findings, truncated } = scanText(text);
    expect(truncated).toBe(false);
    expect(findings.map((f) => [f.rule, f.kind, text.slice(f.start, f.end)])).toEqual([
      ['github-token', 'secret', GHP],
      ['email', 'pii', 'bob@example.com'],
    ]);
    expect(JSON.stringify(findings)).not.toContain(GHP.slice(4, 20));
  });

  it('redacts only the password of a URL, and all of it', () => {
    expect(redactText('mongodb://u:p?ss#w0rd@db.example.com/x and https://u:pw@h.example.com?e=a@b.com').text).toBe(
      'mongodb://u:[REDACTED:connection-string]@db.example.com/x and https://u:[REDACTED:connection-string]@b.com',
    );
  });

  it('names an overlap by its most specific rule and redacts the union once', () => {
    const text = `{"api_key": "${GHP}", "Authorization": "Bearer ${JWT}"}`;
    const out = redactText(text);
    expect(out.findings).toEqual({ 'github-token': 1, jwt: 1 });
    expect(out.text).toBe('{"api_key": "[REDACTED:github-token]", "Authorization": "Bearer [REDACTED:jwt]"}');
  });

  it('finds secrets in JSON-escaped text, after \\n and inside escaped quotes', () => {
    const json = JSON.stringify({ text: `line one\n${GHP}\n${VISA}\npassword="Passw0rd!x"\n${PEM}` });
    const out = redactText(json);
    expect(out.findings).toEqual({ 'github-token': 1, 'credit-card': 1, 'password-assignment': 1, 'private-key': 1 });
    expect(() => JSON.parse(out.text) as unknown).not.toThrow();
    for (const leaked of [GHP, VISA, 'Passw0rd!x', PEM.split('\n')[3] as string]) expect(out.text).not.toContain(leaked);
  });

  it('cuts at maxBytes, marks the cut, and leaves no half of a token it cut through', () => {
    const text = `${'word '.repeat(20)}${GHP} tail`;
    const cut = 100 + 20; // inside the token
    const out = redactText(text, { maxBytes: cut });
    expect(out.truncated).toBe(true);
    expect(out.text.endsWith('[TRUNCATED]')).toBe(true);
    expect(out.text).not.toContain(GHP.slice(0, 12));
    expect(out.text.startsWith('word word')).toBe(true);
    expect(scanText(text, { maxBytes: cut }).truncated).toBe(true);
    expect(scanText(text, { maxBytes: Buffer.byteLength(text) }).truncated).toBe(false);
  });

  it('leaves no partial card digits at a cut', () => {
    const text = `pay with ${fake.groupCard(VISA, ' ')} now`;
    const out = redactText(text, { maxBytes: 'pay with '.length + 12 });
    expect(out.text).toBe('pay with [TRUNCATED]');
  });

  it('counts maxBytes in UTF-8 and never splits a surrogate pair', () => {
    const text = '€'.repeat(10) + '😀'.repeat(10); // 30 + 40 bytes
    const out = redactText(text, { maxBytes: 32 }); // 10 € = 30 bytes; the emoji does not fit
    expect(out.truncated).toBe(true);
    expect(scanText(text, { maxBytes: 70 }).truncated).toBe(false);
    expect(scanText(text, { maxBytes: 69 }).truncated).toBe(true);
    expect(redactText('€€ 😀😀', { maxBytes: 9 }).text).toBe('€€ [TRUNCATED]');
    expect(scanText('😀😀', { maxBytes: 6 }).truncated).toBe(true);
    expect(redactText('abc', { maxBytes: 0 }).text).toBe('[TRUNCATED]');
  });
});

describe('scanValue and redactValue', () => {
  it('walks keys, strings, numbers and bigints, and returns a copy', () => {
    const input = {
      [`bob@example.com`]: 'owner',
      list: [1, 'two', { card: Number(VISA) }, BigInt(VISA)],
      nested: { deeper: { note: `use ${AKIA}` } },
    };
    const snapshot = structuredClone(input);
    const out = redactValue(input);
    expect(input).toEqual(snapshot);
    expect(out.findings).toEqual({ email: 1, 'credit-card': 2, 'aws-access-key-id': 1 });
    expect(out.value).toEqual({
      '[REDACTED:email]': 'owner',
      list: [1, 'two', { card: '[REDACTED:credit-card]' }, '[REDACTED:credit-card]'],
      nested: { deeper: { note: 'use [REDACTED:aws-access-key-id]' } },
    });
    expect(scanValue(input)).toEqual({ findings: out.findings, truncated: false });
  });

  it('judges a value by its key, and a command-line value by its flag', () => {
    const pw = fake.password(r);
    const key = fake.token(r, 28);
    const out = redactValue({ password: pw, env: { OPENAI_KEY: 'short', STRIPE_SECRET: key }, argv: ['deploy', '--api-key', key, '--region', 'eu-west-1'] });
    expect(out.value).toEqual({
      password: '[REDACTED:password-assignment]',
      env: { OPENAI_KEY: 'short', STRIPE_SECRET: '[REDACTED:generic-secret]' },
      argv: ['deploy', '--api-key', '[REDACTED:generic-secret]', '--region', 'eu-west-1'],
    });
  });

  it('decodes base64 (plain, url-safe, data: URI, twice-encoded) and re-encodes it redacted', () => {
    const file = `# settings\nGITHUB_TOKEN=${GHP}\nLOG_LEVEL=info\n`;
    const plain = Buffer.from(file).toString('base64');
    const urlSafe = Buffer.from(file + '??>>').toString('base64url');
    const dataUri = `data:text/plain;base64,${plain}`;
    const twice = Buffer.from(Buffer.from(file).toString('base64')).toString('base64');
    const out = redactValue({ plain, urlSafe, dataUri, twice });
    expect(out.findings).toEqual({ 'github-token': 4 });
    const v = out.value as Record<string, string>;
    const expected = file.replace(GHP, '[REDACTED:github-token]');
    expect(Buffer.from(v.plain as string, 'base64').toString()).toBe(expected);
    expect(v.urlSafe).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(Buffer.from(v.urlSafe as string, 'base64url').toString()).toBe(expected + '??>>');
    expect(v.dataUri?.startsWith('data:text/plain;base64,')).toBe(true);
    expect(Buffer.from(Buffer.from(v.twice as string, 'base64').toString(), 'base64').toString()).toBe(expected);
  });

  it('keeps keys distinct when two redact alike, and keeps __proto__ an own key', () => {
    const out = redactValue(JSON.parse(`{"a@example.com": 1, "b@example.com": 2, "__proto__": {"polluted": true}}`) as unknown);
    const v = out.value as Record<string, unknown>;
    expect(Object.keys(v)).toEqual(['[REDACTED:email]', '[REDACTED:email]#2', '__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
  });

  it('survives cycles, deep nesting and toJSON', () => {
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    expect(redactValue(cyclic).value).toEqual({ name: 'loop', self: '[CIRCULAR]' });

    let deep: unknown = GHP;
    for (let i = 0; i < 10_000; i++) deep = [deep];
    const out = redactValue(deep);
    expect(out.truncated).toBe(true);
    expect(JSON.stringify(out.value)).not.toContain(GHP);

    expect(redactValue({ at: new Date(0) }).value).toEqual({ at: '1970-01-01T00:00:00.000Z' });
  });

  it('applies maxBytes to the whole walk and cuts what lies past it', () => {
    const items = Array.from({ length: 50 }, (_, i) => ({ id: i, note: `item ${i} ${'x'.repeat(80)}` }));
    items[45] = { id: 45, note: `secret ${GHP}` };
    const out = redactValue({ items }, { maxBytes: 2000 });
    expect(out.truncated).toBe(true);
    const json = JSON.stringify(out.value);
    expect(json).not.toContain(GHP);
    expect(json).toContain('[TRUNCATED]');
    expect(json.length).toBeLessThan(3000);
    expect(scanValue({ items }, { maxBytes: 2000 }).truncated).toBe(true);
    expect(scanValue({ items }).findings).toEqual({ 'github-token': 1 });
  });

  it('base64 past the budget is cut, never passed on undecoded', () => {
    const file = `GITHUB_TOKEN=${GHP}\n${'filler line\n'.repeat(200)}`;
    const blob = Buffer.from(file).toString('base64'); // about 3.3 KB
    const cutRaw = redactValue({ file: blob }, { maxBytes: 2048 });
    expect(cutRaw).toEqual({ value: { file: '[TRUNCATED]' }, findings: {}, truncated: true });
    // The encoded form fits, its decoded text does not: the head is decoded, redacted, re-encoded.
    const cutDecoded = redactValue({ file: blob }, { maxBytes: blob.length + 1200 });
    expect(cutDecoded.truncated).toBe(true);
    expect(cutDecoded.findings).toEqual({ 'github-token': 1 });
    const decoded = Buffer.from((cutDecoded.value as { file: string }).file, 'base64').toString();
    expect(decoded.startsWith('GITHUB_TOKEN=[REDACTED:github-token]\nfiller line')).toBe(true);
    expect(decoded.endsWith('[TRUNCATED]')).toBe(true);
  });

  it('a value under a secret name that the budget cuts is withheld whole', () => {
    const out = redactValue({ note: 'n'.repeat(20), password: 'correct horse battery staple '.repeat(4) }, { maxBytes: 60 });
    expect(out.value).toEqual({ note: 'n'.repeat(20), password: '[REDACTED:password-assignment][TRUNCATED]' });
    expect(out.truncated).toBe(true);
  });

  it('a string cut by the budget keeps no half of a token', () => {
    const out = redactValue({ a: 'x'.repeat(40), b: `token ${GHP}` }, { maxBytes: 40 + 1 + 1 + 1 + 'token '.length + 10 });
    expect(out.truncated).toBe(true);
    expect(JSON.stringify(out.value)).not.toContain(GHP.slice(0, 8));
  });
});

describe('hostile input stays linear and correct', () => {
  const size = 256 * 1024;
  const fill = (unit: string) => unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
  const hostile: [name: string, text: string, rules: string[]][] = [
    ['a@ repeated', fill('a@'), []],
    ['eyJ without dots', fill('eyJhbGciOiJIUzI1NiJ9'), []],
    ['one long digit run', fill('1'), []],
    ['digit groups', fill('4111 '), []],
    ['password= repeated', fill('password='), []],
    ['PEM body without END', `-----BEGIN PRIVATE KEY-----\n${fill('QUJD')}`.slice(0, size), ['private-key']],
    ['cookie headers', fill('cookie: a=1 '), ['http-auth-header']],
  ];
  for (const [name, text, rules] of hostile) {
    it(`${name}: ${rules.length ? rules.join(', ') : 'no findings'}`, () => {
      const out = redactText(text);
      expect(Object.keys(out.findings).sort()).toEqual(rules);
      expect(out.truncated).toBe(false);
      expect(redactText(text + text).truncated).toBe(true);
    });
  }
});
