import * as fake from './redaction-fakes.js';

/**
 * A generated corpus: secrets and personal data of every kind the rules cover, planted in
 * MCP tool arguments, tool results, nested JSON and base64 strings, from a seeded
 * generator. Shared by the redaction tests and the exporter leak test.
 */

export type Placement = 'argument' | 'result' | 'nested' | 'base64';
export const PLACEMENTS: readonly Placement[] = ['argument', 'result', 'nested', 'base64'];

export interface Plant {
  kind: string;
  /** Rule ids that name this kind correctly. */
  rules: readonly string[];
  /** What must not survive. */
  secret: string;
  /** The text the secret travels in (its context: `password=…`, a URL, a sentence). */
  text: string;
  /** A JSON field to carry it directly, where the kind has one: name, and the value (the
   * secret itself unless it needs its context, like a URL). */
  field?: string;
  fieldValue?: string;
  /** The value as a JSON number (cards). */
  number?: number;
}

type Maker = (r: fake.Rng) => Omit<Plant, 'kind' | 'rules'>;

const say = (r: fake.Rng, value: string) =>
  fake.pick(r, [`Here is the value you asked for: ${value}`, `found ${value} in the config`, `${value}`, `Use ${value} when calling the API.`]);

export const KINDS: Record<string, { rules: string[]; make: Maker }> = {
  'aws-access-key-id': {
    rules: ['aws-access-key-id'],
    make: (r) => {
      const v = fake.pick(r, ['AKIA', 'ASIA']) + fake.chars(r, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16);
      return { secret: v, text: `aws_access_key_id = ${v}`, field: 'AccessKeyId' };
    },
  },
  'aws-secret-access-key': {
    rules: ['aws-secret-access-key'],
    make: (r) => {
      const v = fake.token(r, 40, fake.ALNUM + '+/');
      return { secret: v, text: fake.pick(r, [`aws_secret_access_key = ${v}`, `AWS_SECRET_ACCESS_KEY="${v}"`, `"SecretAccessKey": "${v}"`]) };
    },
  },
  'github-token': {
    rules: ['github-token'],
    make: (r) => {
      const v = fake.pick(r, ['ghp_', 'gho_', 'ghs_', 'ghu_', 'ghr_']) + fake.token(r, 36);
      const pat = `github_pat_${fake.token(r, 22)}_${fake.token(r, 59)}`;
      const secret = r() < 0.3 ? pat : v;
      return { secret, text: say(r, secret), field: 'github_token' };
    },
  },
  'gitlab-token': {
    rules: ['gitlab-token'],
    make: (r) => {
      const v = `glpat-${fake.token(r, 20, fake.ALNUM + '_-')}`;
      return { secret: v, text: `GITLAB_TOKEN=${v}` };
    },
  },
  'slack-token': {
    rules: ['slack-token'],
    make: (r) => {
      const v = `${fake.pick(r, ['xoxb', 'xoxp'])}-${fake.chars(r, fake.DIGITS, 12)}-${fake.chars(r, fake.DIGITS, 13)}-${fake.token(r, 24)}`;
      return { secret: v, text: say(r, v) };
    },
  },
  'slack-webhook-url': {
    rules: ['slack-webhook-url'],
    make: (r) => {
      const v = `https://hooks.slack.com/services/T${fake.chars(r, fake.UPPER + fake.DIGITS, 8)}/B${fake.chars(r, fake.UPPER + fake.DIGITS, 10)}/${fake.token(r, 24)}`;
      return { secret: v.slice('https://'.length), text: `post alerts to ${v}`, field: 'webhook', fieldValue: v };
    },
  },
  'openai-api-key': {
    rules: ['openai-api-key'],
    make: (r) => {
      const v =
        r() < 0.5
          ? `sk-proj-${fake.token(r, 74, fake.ALNUM + '_-')}T3BlbkFJ${fake.token(r, 74, fake.ALNUM + '_-')}`
          : `sk-${fake.token(r, 20)}T3BlbkFJ${fake.token(r, 20)}`;
      return { secret: v, text: `OPENAI_API_KEY=${v}`, field: 'openai_api_key' };
    },
  },
  'anthropic-api-key': {
    rules: ['anthropic-api-key'],
    make: (r) => {
      const v = `sk-ant-api03-${fake.token(r, 93, fake.ALNUM + '_-')}AA`;
      return { secret: v, text: say(r, v), field: 'x-api-key' };
    },
  },
  'google-api-key': {
    rules: ['google-api-key'],
    make: (r) => {
      const v = `AIza${fake.token(r, 35, fake.ALNUM + '_-')}`;
      return { secret: v, text: `https://maps.googleapis.com/maps/api/geocode/json?address=Berlin&key=${v}` };
    },
  },
  'stripe-api-key': {
    rules: ['stripe-api-key'],
    make: (r) => {
      const v = `${fake.pick(r, ['sk_live_', 'rk_live_'])}${fake.token(r, 24)}`;
      return { secret: v, text: say(r, v), field: 'stripe_key' };
    },
  },
  'npm-token': {
    rules: ['npm-token'],
    make: (r) => {
      const v = `npm_${fake.token(r, 36)}`;
      return { secret: v, text: fake.pick(r, [`//registry.npmjs.org/:_authToken=${v}`, say(r, v)]) };
    },
  },
  'private-key': {
    rules: ['private-key'],
    make: (r) => {
      const v = fake.pemKey(r, fake.pick(r, ['RSA PRIVATE KEY', 'PRIVATE KEY', 'OPENSSH PRIVATE KEY'] as const));
      return { secret: v.split('\n')[5] ?? v, text: v, field: 'private_key', fieldValue: v };
    },
  },
  jwt: {
    rules: ['jwt'],
    make: (r) => {
      const v = fake.jwt(r);
      return { secret: v, text: fake.pick(r, [`Authorization: Bearer ${v}`, `id_token=${v}`, say(r, v)]), field: 'session' };
    },
  },
  'connection-string': {
    rules: ['connection-string'],
    make: (r) => {
      const pw = fake.token(r, 16, fake.ALNUM + '!*~');
      const url = fake.pick(r, [
        `postgres://app_user:${pw}@db-${fake.chars(r, fake.DIGITS, 2)}.internal.example.com:5432/orders`,
        `mongodb+srv://svc:${pw}@cluster0.example.mongodb.net/prod?retryWrites=true`,
        `mysql://root:${pw}@10.0.3.7:3306/shop`,
        `redis://:${pw}@cache.example.com:6379/0`,
        `https://deploy:${pw}@git.example.com/org/repo.git`,
      ]);
      return { secret: pw, text: `DATABASE_URL=${url}`, field: 'dsn', fieldValue: url };
    },
  },
  'generic-secret': {
    rules: ['generic-secret'],
    make: (r) => {
      const v = fake.token(r, 32);
      return { secret: v, text: fake.pick(r, [`api_key = "${v}"`, `client_secret: ${v}`, `X_AUTH_TOKEN=${v}`]), field: fake.pick(r, ['apiKey', 'client_secret', 'refresh_token']) };
    },
  },
  'password-assignment': {
    rules: ['password-assignment'],
    make: (r) => {
      const v = fake.password(r);
      return { secret: v, text: fake.pick(r, [`password=${v}`, `DB_PASSWORD: "${v}"`, `Server=db;User Id=sa;Password=${v};`]), field: 'password' };
    },
  },
  'sendgrid-api-key': {
    rules: ['sendgrid-api-key'],
    make: (r) => {
      const v = `SG.${fake.token(r, 22, fake.ALNUM + '_-')}.${fake.token(r, 43, fake.ALNUM + '_-')}`;
      return { secret: v, text: `SENDGRID_API_KEY=${v}` };
    },
  },
  'shopify-token': {
    rules: ['shopify-token'],
    make: (r) => {
      const v = `shpat_${fake.chars(r, '0123456789abcdef', 32)}`;
      return { secret: v, text: say(r, v) };
    },
  },
  'linear-api-key': {
    rules: ['linear-api-key'],
    make: (r) => {
      const v = `lin_api_${fake.token(r, 40)}`;
      return { secret: v, text: say(r, v), field: 'linear' };
    },
  },
  'huggingface-token': {
    rules: ['huggingface-token'],
    make: (r) => {
      const v = `hf_${fake.token(r, 34)}`;
      return { secret: v, text: `HF_TOKEN=${v}` };
    },
  },
  'http-auth-header': {
    rules: ['http-auth-header'],
    make: (r) => {
      const v = Buffer.from(`svc-${fake.chars(r, fake.LOWER, 5)}:${fake.token(r, 14)}`).toString('base64');
      return { secret: v, text: `Authorization: Basic ${v}`, field: 'Authorization', fieldValue: `Basic ${v}` };
    },
  },
  email: {
    rules: ['email'],
    make: (r) => {
      const v = fake.email(r);
      return { secret: v, text: fake.pick(r, [`Contact ${v} for access.`, `From: ${v}`, `<${v}>`]), field: 'email' };
    },
  },
  'phone-number': {
    rules: ['phone-number'],
    make: (r) => {
      const v = fake.phone(r);
      return { secret: v, text: fake.pick(r, [`Call me on ${v} tomorrow.`, `phone: ${v}`, `(mobile ${v})`]), field: 'phone' };
    },
  },
  'credit-card': {
    rules: ['credit-card'],
    make: (r) => {
      const brand = fake.pick(r, ['visa', 'mastercard', 'amex', 'discover'] as const);
      const n = fake.cardNumber(r, brand);
      const v = fake.groupCard(n, fake.pick(r, [' ', '-', ''] as const));
      return { secret: v, text: `card ${v} exp 09/29`, field: 'card_number', ...(brand === 'visa' ? { number: Number(n) } : {}) };
    },
  },
  iban: {
    rules: ['iban'],
    make: (r) => {
      const raw = fake.iban(r, fake.pick(r, ['DE', 'GB', 'FR', 'NL', 'ES'] as const));
      const v = r() < 0.5 ? raw : fake.groupIban(raw);
      return { secret: v, text: `Please transfer to IBAN ${v} by Friday.`, field: 'iban' };
    },
  },
};

const PER_KIND = 8;

/** The message a plant travels in. */
function place(plant: Plant, placement: Placement, r: fake.Rng): unknown {
  const id = Math.floor(r() * 1000);
  switch (placement) {
    case 'argument':
      return {
        jsonrpc: '2.0',
        id,
        method: 'tools/call',
        params: { name: 'run_query', arguments: plant.field && r() < 0.5 ? { [plant.field]: plant.number ?? plant.fieldValue ?? plant.secret, limit: 10 } : { query: plant.text, limit: 10 } },
      };
    case 'result':
      return { jsonrpc: '2.0', id, result: { content: [{ type: 'text', text: `Result:\n${plant.text}\n(3 rows)` }], isError: false } };
    case 'nested':
      return {
        jsonrpc: '2.0',
        id,
        result: {
          structuredContent: {
            items: [{ id: 'a1', tags: ['x', 'y'] }, { id: 'b2', meta: { owner: { profile: [{ note: plant.number ?? plant.text }] } } }],
          },
        },
      };
    case 'base64':
      return {
        jsonrpc: '2.0',
        id,
        result: { contents: [{ uri: 'file:///srv/app/.env', mimeType: 'text/plain', blob: Buffer.from(`# settings\n${plant.text}\nLOG_LEVEL=info\n`).toString('base64') }] },
      };
  }
}

export interface Case {
  plant: Plant;
  placement: Placement;
  message: unknown;
}

export function corpus(): Case[] {
  const r = fake.rng(20240501);
  const cases: Case[] = [];
  for (const [kind, { rules, make }] of Object.entries(KINDS)) {
    for (let i = 0; i < PER_KIND; i++) {
      const plant: Plant = { kind, rules, ...make(r) };
      const placement = PLACEMENTS[i % PLACEMENTS.length] as Placement;
      cases.push({ plant, placement, message: place(plant, placement, r) });
    }
  }
  return cases;
}

/** Every string in a value, plus the decoded text of every base64 string in it. */
export function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') {
    out.push(value);
    if (/^[A-Za-z0-9+/]{16,}={0,2}$/.test(value)) out.push(Buffer.from(value, 'base64').toString('utf8'));
  } else if (typeof value === 'number') out.push(String(value));
  else if (Array.isArray(value)) value.forEach((v) => strings(v, out));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      out.push(k);
      strings(v, out);
    }
  }
  return out;
}

/** The secret in any form it could survive in: raw, JSON-escaped, or (for a number) digits. */
export function leaks(plant: Plant, outputs: readonly string[]): boolean {
  const forms = [plant.secret, JSON.stringify(plant.secret).slice(1, -1)];
  if (plant.number !== undefined) forms.push(String(plant.number));
  return outputs.some((o) => forms.some((f) => o.includes(f)));
}

