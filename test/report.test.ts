import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { ClickHouseStore } from '@toolwatch/detector';
import { Toolwatch } from '@toolwatch/schemas';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { anchor, escapeText, html } from '../src/report/html.js';
import { reportCommand } from '../src/report/report-command.js';
import { chromiumMissing, launchChromium } from './support/chromium.js';
import { buildScenario, HOSTILE_SESSION, HOSTILE_TOOL, seedStore, type Scenario } from './support/session-scenario.js';

/** Screenshots and pages for a person to look at; /test-results/ is git-ignored. */
const ARTIFACTS = new URL('../test-results/report/', import.meta.url).pathname;

/** Runs the command in this process (chDB holds one data directory per process). */
async function report(args: string[]) {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  try {
    const code = await reportCommand(args, (level, message) => (stderr += `${level}: ${message}\n`));
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

// The browser globals this test reads inside the page (the test project has no DOM lib).
interface PageElement {
  getAttribute(name: string): string | null;
  textContent: string | null;
}
declare const document: { querySelectorAll(selector: string): ArrayLike<PageElement>; querySelector(selector: string): PageElement | null };
declare const window: { __pwned?: number };

const sessionOf = (s: Scenario, key: string) => ({
  spanIds: [...new Set(s.records.filter((r) => r.SpanAttributes[Toolwatch.SESSION_KEY] === key).map((r) => r.SpanId))],
  alertIds: [...new Set(s.alerts.filter((a) => a.sessionKey === key).map((a) => a.id))],
});

describe('report HTML', () => {
  it('escapes by default, shows hidden characters, and keeps links in the page', () => {
    expect(html`<td title="${`"'><x>`}">${'<b>&</b>'}</td>`.text).toBe('<td title="&quot;&#39;&gt;&lt;x&gt;">&lt;b&gt;&amp;&lt;/b&gt;</td>');
    expect(escapeText('a\u202Eb\u0000c\u2066d')).toBe('a⟨U+202E⟩b⟨U+0000⟩c⟨U+2066⟩d');
    expect(escapeText('lone \ud800 surrogate')).toBe('lone \ufffd surrogate');
    expect(escapeText('tab\tand\nnewline')).toBe('tab\tand\nnewline');
    expect(anchor('alert', 'javascript:alert(1)')).toBe('alert-javascriptalert1');
  });
});

describe('toolwatch report', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tw-report-'));
  const config = join(dir, 'detector.json');
  let scenario: Scenario;
  /** The generated session with the most alert revisions: opened, updated and closed. */
  let target: string;

  beforeAll(async () => {
    scenario = buildScenario();
    const revisions = new Map<string, number>();
    for (const a of scenario.alerts) if (a.sessionKey !== HOSTILE_SESSION) revisions.set(a.sessionKey, (revisions.get(a.sessionKey) ?? 0) + 1);
    target = [...revisions].sort((a, b) => b[1] - a[1])[0]![0];
    await seedStore(join(dir, 'clickhouse'), scenario);
    writeFileSync(config, JSON.stringify({ clickhouse: { dataDir: join(dir, 'clickhouse') } }));
    mkdirSync(ARTIFACTS, { recursive: true });
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is a toolwatch command (the built bin; npm test builds first)', () => {
    const bin = new URL('../bin/toolwatch.js', import.meta.url).pathname;
    expect(execFileSync(process.execPath, [bin, '--help'], { encoding: 'utf8' })).toMatch(/^ {2}report {6}/m);
    expect(execFileSync(process.execPath, [bin, 'report', '--help'], { encoding: 'utf8' })).toMatch(/--session <key>/);
  });

  it('says what to do when a running pipeline holds the chDB directory', async () => {
    // This process holds it, as `toolwatch start` would; the built command runs beside it.
    const holder = await ClickHouseStore.open({ dataDir: join(dir, 'clickhouse'), database: 'default', ttlDays: 0 });
    try {
      const bin = new URL('../bin/toolwatch.js', import.meta.url).pathname;
      const failed = await promisify(execFile)(process.execPath, [bin, 'report', '--session', target, '--config', config]).catch((e: { code: number; stderr: string }) => e);
      expect('code' in failed && failed.code).toBe(2);
      expect(failed.stderr).toMatch(/one process per directory.*copy the directory/);
    } finally {
      await holder.close();
    }
  });

  it('explains itself, and refuses a missing session key or data directory clearly', async () => {
    const help = await report(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/toolwatch report --session <key>/);
    expect((await report(['--config', config])).code).toBe(2);
    const nowhere = join(dir, 'nowhere.json');
    writeFileSync(nowhere, JSON.stringify({ clickhouse: { dataDir: join(dir, 'no-such-dir') } }));
    const missing = await report(['--session', target, '--config', nowhere]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no ClickHouse data in .*no-such-dir/);
  });

  it('names the closest keys for an unknown session, and lists sessions', async () => {
    const typo = `${target.slice(0, -3)}zzz`;
    const unknown = await report(['--session', typo, '--config', config]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(`no session "${typo}"`);
    expect(unknown.stderr.split('closest keys:')[1]!.split('\n')[1]!.trim()).toBe(target);
    expect(unknown.stderr).toMatch(/toolwatch report --list --config/);
    const list = await report(['--list', '--limit', '200', '--config', config]);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(target);
  });

  it('writes one page with every call and alert of the session, and nothing it could fetch', async () => {
    const file = join(dir, 'target.html');
    const result = await report(['--session', target, '--out', file, '--config', config]);
    expect(result.code, result.stderr).toBe(0);
    const page = readFileSync(file, 'utf8');
    const { spanIds, alertIds } = sessionOf(scenario, target);
    expect(alertIds.length).toBeGreaterThan(0);
    for (const id of spanIds) expect(page).toContain(`data-span-id="${id}"`);
    for (const id of alertIds) expect(page).toContain(`data-alert-id="${id}"`);
    expect(page).not.toMatch(/<script|<link|<img|<iframe|url\(|@import|\b(src|href)="(?!#)/i);
  });

  it('lists the first calls of a long session and draws the whole of it from ClickHouse counts', async () => {
    const file = join(dir, 'capped.html');
    expect((await report(['--session', target, '--out', file, '--config', config, '--max-calls', '10'])).code).toBe(0);
    const page = readFileSync(file, 'utf8');
    const { spanIds } = sessionOf(scenario, target);
    expect(page.match(/data-span-id=/g)).toHaveLength(10);
    expect(page).toContain(`Showing the first 10 of ${spanIds.length.toLocaleString('en-US')} calls`);
    expect(page).toContain('Bars: slices of time');
    const drawn = [...page.matchAll(/<title>([\d,]+) calls from /g)].reduce((n, m) => n + Number(m[1]!.replace(/,/g, '')), 0);
    // Every MCP request is in some slice of the axis (the closing `mcp.session` span is not a request).
    const requests = scenario.records.filter((r) => r.SpanAttributes[Toolwatch.SESSION_KEY] === target && r.SpanAttributes['mcp.method.name']);
    expect(drawn).toBe(requests.length);
  });

  it('escapes hostile names and never shows a status message or a value', async () => {
    const file = join(dir, 'hostile.html');
    expect((await report(['--session', HOSTILE_SESSION, '--out', file, '--config', config])).code).toBe(0);
    const page = readFileSync(file, 'utf8');
    expect(page).not.toContain(HOSTILE_TOOL);
    expect(page).not.toContain('<img');
    expect(page).not.toContain('<svg onload');
    expect(page).toContain(escapeText(HOSTILE_TOOL));
    expect(page).toContain('⟨U+202E⟩');
    expect(page).toContain('&lt;i&gt;rule&lt;/i&gt; ×2');
    expect(page).not.toContain('secret-looking message');
  });

  // A machine without Chromium skips the browser test, and says so in the run's output.
  if (chromiumMissing()) console.warn(`report browser test skipped: ${chromiumMissing()}`);
  describe.skipIf(chromiumMissing() !== null)(`in headless Chromium${chromiumMissing() ? ` (skipped: ${chromiumMissing()})` : ''}`, () => {
    it('renders every call and alert, loads nothing, runs nothing; screenshots kept', async () => {
      const browser = await launchChromium();
      try {
        for (const [name, key] of [['target', target], ['hostile', HOSTILE_SESSION]] as const) {
          const url = pathToFileURL(join(dir, `${name}.html`)).href;
          const page = await browser.context.newPage();
          const requests: string[] = [];
          const problems: string[] = [];
          page.on('request', (r) => requests.push(r.url()));
          page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
          page.on('pageerror', (e) => problems.push(e.message));
          await page.goto(url, { waitUntil: 'load' });

          const { spanIds, alertIds } = sessionOf(scenario, key);
          const rendered = await page.evaluate(() => ({
            spans: Array.from(document.querySelectorAll('tr[data-span-id]'), (e) => e.getAttribute('data-span-id')),
            alerts: Array.from(document.querySelectorAll('article[data-alert-id]'), (e) => e.getAttribute('data-alert-id')),
            bars: document.querySelectorAll('svg.timeline rect.bar').length,
            lanes: document.querySelectorAll('svg.timeline rect.alert').length,
            scripts: document.querySelectorAll('script, img, iframe, object, embed').length,
            pwned: window.__pwned ?? null,
            key: document.querySelector('[data-session-key]')?.textContent,
            tools: Array.from(document.querySelectorAll('td.tool'), (e) => e.textContent),
          }));
          expect(rendered.spans.sort()).toEqual([...spanIds].sort());
          expect(rendered.alerts.sort()).toEqual([...alertIds].sort());
          expect(rendered.lanes).toBe(alertIds.length);
          expect(rendered.bars).toBeGreaterThan(0);
          expect(rendered.scripts).toBe(0);
          expect(rendered.pwned).toBeNull();
          expect(rendered.key).toBe(key);
          if (name === 'hostile') expect(rendered.tools).toContain(HOSTILE_TOOL.replace('\u202E', '⟨U+202E⟩'));
          expect(requests.filter((r) => r !== url)).toEqual([]);
          expect(problems).toEqual([]);

          await page.setViewportSize({ width: 1280, height: 900 });
          await page.screenshot({ path: join(ARTIFACTS, `session-${name}.png`), fullPage: true });
          // Printed as an analyst would attach it to a ticket (print styles applied).
          await page.pdf({ path: join(ARTIFACTS, `session-${name}.pdf`), format: 'A4', printBackground: true });
          writeFileSync(join(ARTIFACTS, `session-${name}.html`), readFileSync(join(dir, `${name}.html`)));
          await page.close();
        }
      } finally {
        await browser.close();
      }
    });
  });
});
