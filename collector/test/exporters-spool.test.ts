import { appendFileSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SpoolingTransport, type SpoolingOptions } from '../src/exporters/spooling-transport.js';
import { makeRecords, range, ScriptedTransport, tempDir, waitUntil } from './exporters-support.js';

const fast: SpoolingOptions = { handoffMs: 200, retryMinMs: 20, retryMaxMs: 50, closeTimeoutMs: 500 };

describe('SpoolingTransport', () => {
  const open: SpoolingTransport[] = [];
  const spooling = (inner: ScriptedTransport, options: SpoolingOptions) => {
    const t = new SpoolingTransport(inner, { ...fast, ...options });
    open.push(t);
    return t;
  };
  afterEach(async () => {
    await Promise.all(open.splice(0).map((t) => t.close()));
  });

  it('passes records straight through while the inner transport is up', async () => {
    const inner = new ScriptedTransport();
    const t = spooling(inner, { dir: tempDir('spool') });
    await t.send(makeRecords(0, 10));
    await t.send(makeRecords(10, 10));
    expect(inner.values()).toEqual(range(0, 20));
    expect(t.stats).toMatchObject({ sent: 20, spooled: 0, replayed: 0 });
  });

  it('spools while the inner transport fails, resolving sends at once, and delivers in order after', async () => {
    const inner = new ScriptedTransport();
    inner.mode = 'down';
    const t = spooling(inner, { dir: tempDir('spool') });
    const slowest = { ms: 0 };
    for (let i = 0; i < 50; i++) {
      const started = Date.now();
      await t.send(makeRecords(i * 10, 10));
      slowest.ms = Math.max(slowest.ms, Date.now() - started);
    }
    expect(inner.delivered).toHaveLength(0);
    expect(t.stats.spooled).toBe(500);
    expect(t.backlog.spoolBytes).toBeGreaterThan(0);
    expect(slowest.ms).toBeLessThan(1000); // the memory attempt fails at once; no handoff wait

    inner.mode = 'up';
    await t.send(makeRecords(500, 500)); // new records queue behind the spool, not ahead of it
    await t.whenIdle();
    expect(inner.values()).toEqual(range(0, 1000));
    expect(t.stats.sent + t.stats.replayed).toBe(1000);
    expect(t.stats.failedSends).toBeGreaterThan(0);
    expect(Object.values(t.stats.dropped).every((n) => n === 0)).toBe(true);
    expect(t.backlog).toEqual({ memoryRecords: 0, spoolBytes: 0 });
  });

  it('resolves a send that hangs after handoffMs, from disk, and delivers it once when the send ends late', async () => {
    const inner = new ScriptedTransport();
    inner.mode = 'hang';
    const t = spooling(inner, { dir: tempDir('spool'), handoffMs: 150 });
    const started = Date.now();
    await t.send(makeRecords(0, 10));
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(t.stats.spooled).toBe(10);
    await t.send(makeRecords(10, 5)); // behind a spooled batch: straight to disk
    expect(t.stats.spooled).toBe(15);

    inner.mode = 'up';
    expect(inner.settleHung(true)).toBe(1); // the frozen broker took the first batch after all
    await t.whenIdle();
    expect(inner.values()).toEqual(range(0, 15));
  });

  it('replays a send that hung and then failed', async () => {
    const inner = new ScriptedTransport();
    inner.mode = 'hang';
    const t = spooling(inner, { dir: tempDir('spool'), handoffMs: 100 });
    await t.send(makeRecords(0, 10));
    inner.mode = 'up';
    inner.settleHung(false);
    await t.send(makeRecords(10, 10));
    await t.whenIdle();
    expect(inner.values()).toEqual(range(0, 20));
    expect(t.stats.replayed).toBe(20);
  });

  it('resumes from disk after a restart: a new instance delivers what the old one spooled', async () => {
    const dir = tempDir('spool');
    const down = new ScriptedTransport();
    down.mode = 'down';
    const before = spooling(down, { dir });
    for (let i = 0; i < 6; i++) void before.send(makeRecords(i * 50, 50));
    await before.close(); // Kafka is away: close leaves everything on disk, quickly
    expect(down.delivered).toHaveLength(0);
    expect(down.closed).toBe(true);
    expect(before.stats.spooled).toBe(300);
    const slot = readdirSync(dir);
    expect(slot).toEqual(['0']);

    const up = new ScriptedTransport();
    const after = spooling(up, { dir });
    await after.whenIdle();
    expect(up.values()).toEqual(range(0, 300));
    expect(after.stats.replayed).toBe(300);
    expect(after.spoolDir).toBe(join(dir, '0'));
    await after.send(makeRecords(300, 1));
    expect(up.values()).toEqual(range(0, 301));
  });

  it('gives a second live instance its own spool slot', async () => {
    const dir = tempDir('spool');
    const a = spooling(new ScriptedTransport(), { dir });
    const b = spooling(new ScriptedTransport(), { dir });
    await waitUntil(() => a.spoolDir !== undefined && b.spoolDir !== undefined, 5000, 'both spools');
    expect(new Set([a.spoolDir, b.spoolDir])).toEqual(new Set([join(dir, '0'), join(dir, '1')]));
  });

  it('drops the oldest segments at the size cap, counts them, and delivers the rest in order', async () => {
    const inner = new ScriptedTransport();
    inner.mode = 'down';
    const t = spooling(inner, { dir: tempDir('spool'), maxBytes: 16 * 1024, segmentBytes: 2048 });
    const pad = 'x'.repeat(80);
    for (let i = 0; i < 100; i++) await t.send(makeRecords(i * 10, 10, pad));
    expect(t.stats.dropped.spool_full).toBeGreaterThan(0);
    expect(t.backlog.spoolBytes).toBeLessThanOrEqual(16 * 1024 + 2 * 2048);

    inner.mode = 'up';
    await t.whenIdle();
    const delivered = inner.delivered.map((r) => (JSON.parse(r.value) as { n: number }).n);
    // Nothing unaccounted for, and what is left is the newest, in order.
    expect(delivered.length + t.stats.dropped.spool_full).toBe(1000);
    expect(delivered).toEqual(Array.from({ length: delivered.length }, (_, i) => 1000 - delivered.length + i));
  });

  it('skips and counts unreadable spool lines, including a torn last line, and delivers the rest', async () => {
    const dir = tempDir('spool');
    const down = new ScriptedTransport();
    down.mode = 'down';
    const before = spooling(down, { dir });
    await before.send(makeRecords(0, 20));
    await before.close();

    const slot = join(dir, '0');
    const [segment] = readdirSync(slot).filter((f) => f.endsWith('.jsonl'));
    const path = join(slot, segment!);
    const lines = readFileSync(path, 'utf8').split('\n');
    lines[4] = '{"key":"session-1","value":'; // damaged in the middle
    writeFileSync(path, lines.join('\n'));
    appendFileSync(path, '{"key":"session-2","val'); // a crash mid-write

    const up = new ScriptedTransport();
    const after = spooling(up, { dir });
    await after.whenIdle();
    expect(up.values()).toEqual(range(0, 20).filter((_, i) => i !== 4));
    expect(after.stats.dropped.corrupt).toBe(2);
    // The spool keeps working after the damage.
    await after.send(makeRecords(20, 1));
    expect(up.values().at(-1)).toBe(range(20, 1)[0]);
  });

  it('without a disk spool keeps the newest records in bounded memory and counts the rest', async () => {
    const inner = new ScriptedTransport();
    inner.mode = 'down';
    const t = spooling(inner, { maxMemoryRecords: 100 });
    for (let i = 0; i < 25; i++) await t.send(makeRecords(i * 10, 10));
    expect(t.stats.dropped.memory_full).toBe(150);
    expect(t.backlog.memoryRecords).toBe(100);

    inner.mode = 'up';
    await t.whenIdle();
    expect(inner.values()).toEqual(range(150, 100));
  });

  it('will not spool through a symlink someone else planted, and still delivers', async () => {
    const dir = tempDir('spool');
    symlinkSync(tempDir('elsewhere'), join(dir, '0'));
    const errors: string[] = [];
    const inner = new ScriptedTransport();
    const t = spooling(inner, { dir, onError: (err) => errors.push((err as Error).message) });
    await t.whenIdle();
    expect(t.spoolDir).toBeUndefined();
    expect(errors.some((m) => m.includes('is not a directory'))).toBe(true);
    await t.send(makeRecords(0, 3));
    expect(inner.values()).toEqual(range(0, 3));
  });

  it('refuses sends after close, and close is idempotent', async () => {
    const t = spooling(new ScriptedTransport(), { dir: tempDir('spool') });
    await t.close();
    await t.close();
    await expect(t.send(makeRecords(0, 1))).rejects.toThrow(/closed/);
  });
});
