import { describe, expect, it } from 'vitest';
import { redactText, redactValue, scanText, scanValue } from '../src/redaction/index.js';
import { secretlintScan } from '../src/redaction/secretlint-baseline.js';
import { corpus, KINDS, leaks, PLACEMENTS, strings } from './redaction-corpus-data.js';
import * as fake from './redaction-fakes.js';

/**
 * A generated corpus: secrets and personal data of every kind the rules cover, planted in
 * MCP tool arguments, tool results, nested JSON and base64 strings. Each plant is checked
 * in value form (redactValue on the message) and in text form (redactText on its JSON),
 * where a leak is the raw value surviving anywhere in the output, decoded base64 included.
 */

const CASES = corpus();

describe('redaction corpus', () => {
  it('plants at least 100 values across every kind and placement', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(100);
    for (const kind of Object.keys(KINDS)) {
      const placements = new Set(CASES.filter((c) => c.plant.kind === kind).map((c) => c.placement));
      expect([...placements].sort(), kind).toEqual([...PLACEMENTS].sort());
    }
  });

  it('finds every plant and leaks none, in value form and in text form', () => {
    const table: Record<string, { planted: number; found: number; leaked: number; textPlanted: number; textFound: number; textLeaked: number }> = {};
    const misses: string[] = [];
    for (const { plant, placement, message } of CASES) {
      const row = (table[plant.kind] ??= { planted: 0, found: 0, leaked: 0, textPlanted: 0, textFound: 0, textLeaked: 0 });
      row.planted++;

      const value = redactValue(message);
      const scan = scanValue(message);
      expect(scan.findings, 'scanValue and redactValue agree').toEqual(value.findings);
      const named = plant.rules.some((rule) => (value.findings[rule] ?? 0) > 0);
      const leaked = leaks(plant, strings(value.value)) || leaks(plant, [JSON.stringify(value.value)]);
      if (named) row.found++;
      if (leaked) row.leaked++;
      if (!named || leaked) misses.push(`value ${plant.kind} in ${placement}: findings ${JSON.stringify(value.findings)}${leaked ? ' LEAK' : ''} ${process.env.REDACTION_DEBUG ? plant.text : ''}`);

      const json = JSON.stringify(message);
      const text = redactText(json);
      // A text scan does not decode base64: there the raw value is not in the input either,
      // so only the leak check applies.
      const textNamed = placement === 'base64' || plant.rules.some((rule) => (text.findings[rule] ?? 0) > 0);
      const textLeaked = leaks(plant, [text.text]);
      if (placement !== 'base64') {
        row.textPlanted++;
        if (textNamed) row.textFound++;
      }
      if (textLeaked) row.textLeaked++;
      if (!textNamed || textLeaked) misses.push(`text ${plant.kind} in ${placement}: findings ${JSON.stringify(text.findings)}${textLeaked ? ' LEAK' : ''}`);
    }
    if (process.env.REDACTION_CORPUS_REPORT) console.table(table);
    expect(misses).toEqual([]);
    const totals = Object.values(table).reduce((a, r) => ({ planted: a.planted + r.planted, found: a.found + r.found, leaked: a.leaked + r.leaked }), { planted: 0, found: 0, leaked: 0 });
    expect(totals.found).toBe(totals.planted);
    expect(totals.leaked).toBe(0);
  });

  it('redacts a message carrying every plant at once', () => {
    const all = { jsonrpc: '2.0', id: 1, result: { content: CASES.map((c) => ({ type: 'text', text: c.plant.text })) } };
    const out = redactValue(all);
    const survivors = CASES.filter((c) => leaks(c.plant, strings(out.value)));
    expect(survivors.map((c) => c.plant.kind)).toEqual([]);
    const total = Object.values(out.findings).reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThanOrEqual(CASES.length);
    expect(out.truncated).toBe(false);
  });

  it('finds everything secretlint finds in the corpus (secretlint 11.7.1, recommended preset)', async () => {
    const missed: string[] = [];
    let secretlintFindings = 0;
    const seen: Record<string, number> = {};
    for (const { plant, message } of CASES) {
      const json = JSON.stringify(message);
      const theirs = await secretlintScan(json);
      const ours = scanText(json).findings;
      for (const f of theirs.findings) {
        secretlintFindings++;
        seen[plant.kind] = (seen[plant.kind] ?? 0) + 1;
        if (!ours.some((o) => o.start < f.end && f.start < o.end)) missed.push(`${f.ruleId}/${f.messageId} on ${plant.kind}`);
      }
    }
    if (process.env.REDACTION_CORPUS_REPORT) console.table(seen);
    expect(missed).toEqual([]);
    // The cross-check means something only if secretlint recognises a good part of the corpus.
    expect(secretlintFindings).toBeGreaterThanOrEqual(40);
    expect(Object.keys(seen).length).toBeGreaterThanOrEqual(10);
  });
});

describe('false positives on benign text', () => {
  const r = fake.rng(7);
  const hex = (n: number) => fake.chars(r, '0123456789abcdef', n);
  const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-${fake.pick(r, ['8', '9', 'a', 'b'])}${hex(3)}-${hex(12)}`;
  const benign: Record<string, string> = {
    uuids: Array.from({ length: 20 }, uuid).join('\n'),
    'git shas': Array.from({ length: 20 }, () => `commit ${hex(40)}\nAuthor-Date: 2024-05-0${Math.floor(r() * 9) + 1}`).join('\n'),
    hashes: Array.from({ length: 10 }, () => `sha256:${hex(64)}  md5 ${hex(32)}  sha512-${Buffer.from(hex(64), 'hex').toString('base64')}`).join('\n'),
    timestamps: Array.from({ length: 20 }, (_, i) => `${new Date(1.7e12 + i * 3_600_123).toISOString()} ${1_700_000_000 + i * 3601} ${1_700_000_000_000 + i * 3_600_123}`).join('\n'),
    prose:
      'The token limit for this model is 128k. Reset your password from the account page; the secret to good tests is ' +
      'isolation. Keys on the keyboard were sticky. Authentication happens before authorization, and the bearer of the ' +
      'news left early. Version 2.14.3 shipped on 2024-05-01 at 09:30; build 1234 took 56.7 s. Call the function twice.',
    json: JSON.stringify({
      usage: { prompt_tokens: 1234, completion_tokens: 567, max_tokens: 4096 },
      token_endpoint: 'https://auth.example.com/oauth2/v1/token',
      token_type: 'Bearer',
      password: { type: 'string', minLength: 12 },
      secret_name: 'prod/db/credentials',
      api_key_id: 'key-01',
      request_id: uuid(),
      etag: `"${hex(32)}"`,
      cursor: Buffer.from(JSON.stringify({ page: 2, size: 50 })).toString('base64'),
      icons: ['icon@2x.png', 'logo@3x.webp'],
      deps: ['@scope/pkg@1.2.3', 'left-pad@1.3.0'],
      ip: '10.12.200.34',
      semver: '1.22.333',
      amount: 12345.67,
      ids: [1234567890123, 9007199254740991],
    }),
    code:
      'const apiKey = process.env.API_KEY;\nconst password = await getPassword(user);\nheaders.Authorization = `Bearer ${token}`;\n' +
      'DB_PASSWORD=${DB_PASSWORD}\nsecret: <your-secret-here>\nconnection = "postgres://localhost:5432/app"\n',
    urls: 'https://github.com/org/repo/pull/123 https://example.com:8443/a/b?c=d#e ssh://git@github.com:22/org/repo.git mailto-less git@host',
  };

  for (const [name, text] of Object.entries(benign)) {
    it(`flags nothing in ${name}`, () => {
      const found = scanText(text).findings.map((f) => `${f.rule}: ${text.slice(Math.max(0, f.start - 10), f.start)}…`);
      expect(found).toEqual([]);
      expect(redactText(text).text).toBe(text);
    });
  }

  it('flags nothing in the same benign values walked as JSON', () => {
    const value = JSON.parse(benign.json as string) as unknown;
    expect(scanValue(value).findings).toEqual({});
    expect(redactValue(value).value).toEqual(value);
  });
});
