import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { RulesConfig } from '@toolwatch/detector';
import { AlertRecord, type SpanRecord } from '@toolwatch/schemas';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { spanRecord } from '../../test/support/span-factory.js';
import { replayCommand, replaySpans, runReplay, type RunReplayOptions } from '../src/replay/index.js';

const T0 = 1_763_700_000_000;
const rules = RulesConfig.parse({ rate: { windowMs: 60_000, maxCalls: 30 }, egress: { maxSessionBytes: 1_048_576 } });
const dir = mkdtempSync(join(tmpdir(), 'toolwatch-replay-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

/** A fixed pseudo-random sequence, so the corpus is the same on every run of the test. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0) / 2 ** 32);
}

/** Benign sessions interleaved with a loop, a call to an unadvertised tool and a bulk read. */
function corpus(): SpanRecord[] {
  const random = prng(7);
  const records: SpanRecord[] = [];
  const tools = ['search', 'read_file', 'list_dir', 'summarise'];
  for (let s = 0; s < 40; s++) {
    const session = `benign-${s}`;
    let t = T0 + Math.floor(random() * 600_000);
    records.push(spanRecord({ session, method: 'tools/list', timeMs: t, advertised: tools }));
    for (let c = 0; c < 5 + Math.floor(random() * 4); c++) {
      t += 2_000 + Math.floor(random() * 20_000);
      records.push(spanRecord({ session, tool: tools[Math.floor(random() * tools.length)]!, timeMs: t, responseBytes: 200 + Math.floor(random() * 5_000), argsHash: `h${c}` }));
    }
  }
  records.push(spanRecord({ session: 'looping', method: 'tools/list', timeMs: T0 + 100_000, advertised: tools }));
  for (let i = 0; i < 60; i++) records.push(spanRecord({ session: 'looping', tool: 'search', timeMs: T0 + 100_100 + i * 400, argsHash: 'same' }));
  records.push(spanRecord({ session: 'injected', method: 'tools/list', timeMs: T0 + 200_000, advertised: tools }));
  records.push(spanRecord({ session: 'injected', tool: 'admin_export', timeMs: T0 + 201_000 }));
  records.push(spanRecord({ session: 'exfil', method: 'tools/list', timeMs: T0 + 300_000, advertised: tools }));
  for (let i = 0; i < 3; i++) records.push(spanRecord({ session: 'exfil', tool: 'read_file', timeMs: T0 + 301_000 + i * 5_000, responseBytes: 700_000, argsHash: `big${i}` }));
  return records.sort((a, b) => (BigInt(a.Timestamp) < BigInt(b.Timestamp) ? -1 : 1));
}

const RECORDS = corpus();
const jsonl = (records: SpanRecord[]) => records.map((r) => JSON.stringify(r)).join('\n') + '\n';
function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

async function replayToString(options: Omit<RunReplayOptions, 'out' | 'rules'> & { rules?: RulesConfig }) {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const result = await runReplay({ rules, ...options, out });
  return { text: Buffer.concat(chunks).toString('utf8'), ...result };
}

describe('replay', () => {
  const sorted = file('sorted.jsonl', jsonl(RECORDS));

  it('writes one schema-valid alert per line, with the alerts the corpus holds', async () => {
    const { text, stats } = await replayToString({ path: sorted });
    const alerts = text.trimEnd().split('\n').map((l) => AlertRecord.parse(JSON.parse(l)));
    const sessions = new Set(alerts.map((a) => a.sessionKey));
    expect(sessions).toEqual(new Set(['looping', 'injected', 'exfil']));
    expect(alerts.map((a) => a.rule)).toEqual(expect.arrayContaining(['novelty.unadvertised_tool', 'egress.session_bytes']));
    // One record per revision: each alert opens, may be updated, and closes at its session's end.
    const opened = alerts.filter((a) => a.status === 'open');
    expect(alerts.filter((a) => a.status === 'closed').map((a) => a.id).sort()).toEqual(opened.map((a) => a.id).sort());
    for (const a of alerts) expect(a.revision).toBe(alerts.filter((b) => b.id === a.id && b !== a && alerts.indexOf(b) < alerts.indexOf(a)).length);
    expect(stats).toMatchObject({ spans: RECORDS.length, late: 0, sessions: 43, alerts: opened.length });
    expect(Object.values(stats.alertsByRule).reduce((a, b) => a + b, 0)).toBe(opened.length);
  });

  it('is deterministic: two runs give byte-identical output', async () => {
    const a = await replayToString({ path: sorted });
    const b = await replayToString({ path: sorted });
    expect(a.text.length).toBeGreaterThan(0);
    expect(b.text).toBe(a.text);
  });

  it('gives the same alerts for input out of order within the reorder window', async () => {
    const random = prng(11);
    // Each record moved by up to 40 s of event time against its neighbours (window: 60 s).
    const shuffled = RECORDS.map((r) => ({ r, key: Number(BigInt(r.Timestamp) / 1_000_000n) + random() * 40_000 }))
      .sort((a, b) => a.key - b.key)
      .map((x) => x.r);
    expect(shuffled).not.toEqual(RECORDS);
    const expected = await replayToString({ path: sorted });
    const got = await replayToString({ path: file('shuffled.jsonl', jsonl(shuffled)) });
    expect(got.stats.late).toBe(0);
    expect(got.text).toBe(expected.text);
  });

  it('counts records later than the window and still scores them', async () => {
    const late = [...RECORDS];
    const [moved] = late.splice(5, 1);
    late.push(moved!); // now some ten minutes behind the newest record
    const { stats } = await replayToString({ path: file('late.jsonl', jsonl(late)), reorderWindowMs: 1_000 });
    expect(stats.late).toBe(1);
    expect(stats.spans).toBe(RECORDS.length);
  });

  it('bounds what it holds: past maxHeld the oldest are scored early, and counted', async () => {
    const { stats } = await replayToString({ path: sorted, reorderWindowMs: 3_600_000, maxHeld: 50 });
    expect(stats.forced).toBeGreaterThan(0);
    expect(stats.spans).toBe(RECORDS.length);
  });

  it('counts bad lines with their reasons, never their content, and goes on', async () => {
    const lines = jsonl(RECORDS).split('\n');
    lines.splice(3, 0, 'not json SECRET-abc123', '', JSON.stringify({ TraceId: 'SECRET-def456' }), `{"x":"${'y'.repeat(2_000)}"}`);
    lines.splice(50, 0, '[1,2', '   ');
    const { text, invalid } = await replayToString({ path: file('bad.jsonl', lines.join('\r\n')), maxLineBytes: 1_024 });
    expect(text).toBe((await replayToString({ path: sorted })).text);
    expect(invalid.count).toBe(4);
    const report = invalid.lines().join('\n');
    expect(report).toMatch(/2 × not JSON \(lines 4, 51\)/);
    expect(report).toMatch(/1 × not a span record: .*\(line 6\)/);
    expect(report).toMatch(/1 × line longer than 1024 bytes \(line 7\)/);
    expect(report).not.toContain('SECRET');
  });

  it('reads gzip, by name or by its magic bytes on stdin', async () => {
    const expected = (await replayToString({ path: sorted })).text;
    const gz = gzipSync(jsonl(RECORDS));
    expect((await replayToString({ path: file('spans.jsonl.gz', gz) })).text).toBe(expected);
    expect((await replayToString({ path: '-', stdin: Readable.from([gz.subarray(0, 10), gz.subarray(10)]) })).text).toBe(expected);
    expect((await replayToString({ path: '-', stdin: Readable.from([jsonl(RECORDS)].map((s) => Buffer.from(s))) })).text).toBe(expected);
  });

  it('replaySpans gives the same alerts from records in memory', async () => {
    const expected = (await replayToString({ path: sorted })).text;
    const alerts: AlertRecord[] = [];
    for await (const alert of replaySpans(RECORDS, rules)) alerts.push(alert);
    expect(alerts.map((a) => JSON.stringify(a) + '\n').join('')).toBe(expected);
  });

  it('the command writes alerts to stdout and a summary through the log, with exit codes', async () => {
    const config = file('detector.json', JSON.stringify({ rules: { rate: { windowMs: 60_000, maxCalls: 30 }, egress: { maxSessionBytes: 1_048_576 } } }));
    const written: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    const logs: string[] = [];
    const log = (level: string, m: string) => logs.push(`${level} ${m}`);
    expect(await replayCommand([sorted, '--config', config, '--no-progress'], log)).toBe(0);
    expect(written.join('')).toBe((await replayToString({ path: sorted })).text);
    expect(logs.join('\n')).toMatch(new RegExp(`info replay: ${RECORDS.length} spans from [\\d,]+ bytes .*43 sessions`));
    expect(logs.join('\n')).toMatch(/novelty\.unadvertised_tool 1/);

    expect(await replayCommand([join(dir, 'missing.jsonl')], log)).toBe(1);
    expect(logs.at(-1)).toMatch(/^error replay of .*missing\.jsonl failed: ENOENT$/);
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(await replayCommand([], log)).toBe(2);
  });
});
