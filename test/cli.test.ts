import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { startHttpReceiver } from './support/http-receiver.js';

const run = promisify(execFile);
const BIN = new URL('../bin/toolwatch.js', import.meta.url).pathname;

/** Runs the built command (npm test builds first) and returns its exit code and output. */
async function toolwatch(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH!, ...env }, timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('toolwatch command', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tw-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints help, and a clear error for an unknown command', async () => {
    const help = await toolwatch(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: toolwatch <command>/);
    expect(help.stdout).toMatch(/start/);
    const unknown = await toolwatch(['strat']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command "strat"/);
    expect((await toolwatch(['detector', '--help'])).stdout).toMatch(/TOOLWATCH_KAFKA_BROKERS/);
  });

  it('refuses a config file with a typo, naming the key', async () => {
    const file = join(dir, 'typo.json');
    writeFileSync(file, JSON.stringify({ rules: { rate: { maxCals: 3 } } }));
    const result = await toolwatch(['start', '--config', file, '--data', dir]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/unknown key: rules\.rate\.maxCals/);
  });

  it('says what is missing when the detector has no brokers', async () => {
    const result = await toolwatch(['detector']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/no Kafka brokers/);
  });

  it('runs the embedded demo: an alert of each kind, none for the benign agent, exit 0', async () => {
    const result = await toolwatch(['start', '--data', join(dir, 'data')]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const alerts = result.stdout.split('\n').filter((l) => l.trimStart().startsWith('ALERT'));
    const kinds = new Set(alerts.map((l) => l.split(/\s+/)[3]!.split('.')[0]));
    expect(kinds).toEqual(new Set(['egress', 'novelty', 'rate']));
    expect(alerts.some((l) => l.includes('support-assistant'))).toBe(false);
    expect(result.stdout).toMatch(/support-assistant\s+none\s+-\s+ok/);
    expect(result.stdout).toMatch(/learned from 40 benign sessions/);
    expect(result.stdout).toMatch(/(\d+) spans exported, \1 stored in otel_traces, \d+ alerts/);
  });

  it('shows what a disabled sink left in the outbox, and enables it again', async () => {
    const receiver = await startHttpReceiver(() => ({ status: 410 }));
    const env = { TOOLWATCH_DATA_DIR: join(dir, 'gone'), TOOLWATCH_WEBHOOK_URL: `${receiver.origin}/hooks/secret-path`, TOOLWATCH_WEBHOOK_SECRET: `whsec_${'A'.repeat(44)}` };
    try {
      const demo = await toolwatch(['start'], env);
      expect(demo.code).toBe(0);
      expect(receiver.received).toHaveLength(1); // a 410 and no more calls
    } finally {
      await receiver.stop();
    }
    const status = await toolwatch(['outbox'], env);
    expect(status.code).toBe(0);
    const row = status.stdout.split('\n').find((l) => l.startsWith('webhook-'))!;
    const [sink, destination, waiting, delivered, failed] = row.split(/\s{2,}/);
    expect(destination).toBe(`webhook ${receiver.origin}`);
    expect(Number(waiting)).toBeGreaterThan(0);
    expect([delivered, failed]).toEqual(['0', '0']); // the alert that met the 410 waits with the rest
    expect(row).toMatch(/disabled: webhook http:\/\/127\.0\.0\.1:\d+: 410 Gone/);
    expect(status.stdout).not.toContain('secret-path');

    const unknown = await toolwatch(['outbox', '--enable', 'webhook-nope'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(sink);
    const enabled = await toolwatch(['outbox', '--enable', sink!], env);
    expect(enabled.stdout).toContain(`${sink} enabled: ${waiting} alerts waiting`);
    expect((await toolwatch(['outbox'], env)).stdout.split('\n').find((l) => l.startsWith(sink!))).toMatch(/ ok$/);
  });
});
