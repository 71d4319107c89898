import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { redactCommand } from '../src/redaction/redact-command.js';
import * as fake from './redaction-fakes.js';

const r = fake.rng(5);
const GHP = `ghp_${fake.token(r, 36)}`;
const EMAIL = 'jane.doe@example.com';

async function run(argv: string[], stdin: string | string[] = '') {
  const out: string[] = [];
  const logs: [string, string][] = [];
  const code = await redactCommand(argv, (level, message) => logs.push([level, message]), {
    stdin: (async function* () {
      for (const chunk of typeof stdin === 'string' ? [stdin] : stdin) yield Buffer.from(chunk);
    })(),
    stdout: { write: (chunk: string, done: (error?: Error | null) => void) => (out.push(chunk), done()) },
  });
  return { code, stdout: out.join(''), logs };
}

describe('toolwatch redact', () => {
  it('redacts text and reports rule counts, never values, on the log', async () => {
    const input = `deploy with ${GHP}\ncontact ${EMAIL} or ${EMAIL}\n`;
    const { code, stdout, logs } = await run([], input);
    expect(code).toBe(0);
    expect(stdout).toBe('deploy with [REDACTED:github-token]\ncontact [REDACTED:email] or [REDACTED:email]\n');
    expect(logs).toEqual([['info', 'redact (text): 3 findings: email 2, github-token 1']]);
    expect(JSON.stringify(logs)).not.toContain(GHP);
  });

  it('detects JSON, walks it, and keeps its layout (compact or indented)', async () => {
    const value = { user: { email: EMAIL, password: 'Tr0ub4dor&3x' }, card: 4111111111111111 };
    const compact = await run([], JSON.stringify(value));
    expect(JSON.parse(compact.stdout)).toEqual({ user: { email: '[REDACTED:email]', password: '[REDACTED:password-assignment]' }, card: '[REDACTED:credit-card]' });
    expect(compact.stdout).not.toContain('\n');
    const pretty = await run([], `${JSON.stringify(value, null, 2)}\n`);
    expect(pretty.stdout).toBe(`${JSON.stringify(JSON.parse(compact.stdout), null, 2)}\n`);
    expect(pretty.logs[0]?.[1]).toMatch(/^redact \(json\): 3 findings/);
  });

  it('reads JSON Lines line by line, from chunks split anywhere', async () => {
    const lines = `{"a":"${EMAIL}"}\n{"b":1}\n\n{"c":"token ${GHP}"}\n`;
    const { stdout, logs } = await run([], [lines.slice(0, 7), lines.slice(7, 30), lines.slice(30)]);
    expect(stdout).toBe('{"a":"[REDACTED:email]"}\n{"b":1}\n\n{"c":"token [REDACTED:github-token]"}\n');
    expect(logs[0]?.[1]).toBe('redact (jsonl): 2 findings: email 1, github-token 1');
  });

  it('--text keeps JSON as text; --json refuses text with exit 2 and no echo of the input', async () => {
    const asText = await run(['--text'], `{"password": "Tr0ub4dor&3x"}`);
    expect(asText.stdout).toBe('{"password": "[REDACTED:password-assignment]"}');
    const refused = await run(['--json'], `not json ${GHP}`);
    expect(refused.code).toBe(2);
    expect(refused.stdout).toBe('');
    expect(JSON.stringify(refused.logs)).not.toContain(GHP);
  });

  it('--max-bytes cuts and warns', async () => {
    const { code, stdout, logs } = await run(['--max-bytes', '16'], `short words then ${GHP}`);
    expect(code).toBe(0);
    expect(stdout).toBe('short words [TRUNCATED]');
    expect(logs.map((l) => l[0])).toEqual(['info', 'warn']);
  });

  it('bad usage exits 2: unknown option, --text with --json, a --max-bytes that is not a number', async () => {
    for (const argv of [['--bogus'], ['--text', '--json'], ['--max-bytes', '10k'], ['--max-bytes']]) {
      const { code, logs } = await run(argv, 'x');
      expect(code, argv.join(' ')).toBe(2);
      expect(logs[0]?.[0]).toBe('error');
    }
  });

  it('--help and --list-rules print to stdout and exit 0', async () => {
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: toolwatch redact');
    const list = await run(['--list-rules']);
    expect(list.code).toBe(0);
    for (const id of ['github-token', 'aws-access-key-id', 'private-key', 'credit-card', 'iban', 'email', 'phone-number']) expect(list.stdout).toContain(id);
  });

  const dist = fileURLToPath(new URL('../dist/redaction/redact-command.js', import.meta.url));
  it.skipIf(!existsSync(dist))('works on real stdin and stdout (built dist)', () => {
    const script = `import { redactCommand } from ${JSON.stringify(dist)};
      process.exitCode = await redactCommand(process.argv.slice(1), (l, m) => process.stderr.write(l + ': ' + m + '\\n'));`;
    const input = `${'line of text\n'.repeat(20_000)}key=${GHP}\n`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script, '--', '--text'], { input, encoding: 'utf8' });
    expect(child.status).toBe(0);
    expect(child.stdout.length).toBe(input.length - GHP.length + '[REDACTED:github-token]'.length);
    expect(child.stdout.endsWith('key=[REDACTED:github-token]\n')).toBe(true);
    expect(child.stderr).toBe('info: redact (text): 1 finding: github-token 1\n');
  });
});
