import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ClickHouseStore, ConfigError, loadDetectorConfig, safeOrigin, type DetectorConfig, type Logger } from '@toolwatch/detector';
import { sessionPage } from './page.js';
import { readSession } from './session-data.js';
import { closestSessions, listSessions } from './session-lookup.js';

export const REPORT_HELP = `Usage: toolwatch report --session <key> [--out <file.html>] [--config <detector.json>]
       toolwatch report --list [--limit <n>] [--config <detector.json>]

Writes one self-contained HTML page for incident response: the session's calls on a time
axis with sizes, errors and redaction findings (rule and count; values are never stored),
its alerts with their revisions, the client and server, and what each scorer saw. The page
loads nothing from the network and runs no script; open it in any browser, or print it.

Options:
  --session <key>   the session key (toolwatch.session.key; the key in alerts and dashboards)
  --out <file>      where to write (default: ./session-<key>.html; "-" for stdout)
  --config <file>   the detector's JSON configuration: where ClickHouse is (clickhouse.url,
                    or chDB under clickhouse.dataDir, default ./data/clickhouse)
  --list            print the riskiest sessions and their keys instead
  --limit <n>       how many sessions --list prints (default 20)
  --max-calls <n>   at most this many calls on the page (default 20000)
  -h, --help        this text

Environment (overrides the file): TOOLWATCH_CLICKHOUSE_URL, TOOLWATCH_DATA_DIR
`;

const positive = (value: string | undefined, name: string, fallback: number): number => {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new ConfigError(`--${name} must be a positive whole number, not ${JSON.stringify(value)}`);
  return n;
};

/** Where the data is, for the page's footer: never a username or password. */
function sourceOf(config: DetectorConfig['clickhouse']): string {
  return config.url ? `ClickHouse ${safeOrigin(config.url)}` : `chDB ${config.dataDir}`;
}

/** A stored key on a terminal: control characters (escape sequences) shown, not obeyed. */
const printable = (text: string) => text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);

/** A file name from a key that an attacker may have chosen: no path, no odd characters. */
const defaultOutFile = (key: string) => `session-${key.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '').slice(0, 80) || 'unnamed'}.html`;

/** chDB takes a lock on its directory: while `toolwatch start` or a detector runs on it, a
 * second process cannot open it, and the analyst needs to know what to do instead. */
async function openStore(config: DetectorConfig['clickhouse'], log: Logger): Promise<ClickHouseStore | null> {
  try {
    return await ClickHouseStore.open(config);
  } catch (err) {
    if (config.url || (err as Error).name !== 'ChdbConnectionError') throw err;
    log('error', `cannot open the chDB data in ${config.dataDir} (${(err as Error).message}): chDB allows one process per directory, so a running \`toolwatch start\` or detector holds it. Stop it, or copy the directory (cp -r ${config.dataDir} <copy>) and point --config at the copy (clickhouse.dataDir)`);
    return null;
  }
}

export async function reportCommand(argv: string[], log: Logger): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      session: { type: 'string' },
      out: { type: 'string' },
      config: { type: 'string' },
      list: { type: 'boolean' },
      limit: { type: 'string' },
      'max-calls': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(REPORT_HELP);
    return 0;
  }
  if (!values.list && !values.session) {
    process.stderr.write(`toolwatch report: --session <key> is required (toolwatch report --list shows the keys)\n\n${REPORT_HELP}`);
    return 2;
  }
  const limit = positive(values.limit, 'limit', 20);
  const maxCalls = positive(values['max-calls'], 'max-calls', 20_000);
  const config = loadDetectorConfig(values.config);
  // Opening chDB creates its directory: a mistyped path would report on an empty database.
  if (!config.clickhouse.url && !existsSync(join(config.clickhouse.dataDir, 'metadata'))) {
    log('error', `no ClickHouse data in ${config.clickhouse.dataDir}: run the pipeline first (toolwatch start), or say where the data is with --config <detector.json> (clickhouse.dataDir or clickhouse.url), TOOLWATCH_DATA_DIR or TOOLWATCH_CLICKHOUSE_URL`);
    return 2;
  }

  const store = await openStore(config.clickhouse, log);
  if (!store) return 2;
  try {
    if (values.list) {
      const sessions = await listSessions(store, limit);
      if (sessions.length === 0) process.stdout.write('no sessions stored\n');
      for (const s of sessions) process.stdout.write(`${printable(s.key)}\tscore ${s.score.toFixed(1)}\talerts ${s.alerts}\tspans ${s.spans}\t${printable(s.service)}\t${printable(s.client)}\tlast ${s.lastSeen}\n`);
      return 0;
    }
    const key = values.session!;
    const data = await readSession(store, key, maxCalls);
    if (data.totals.calls === 0 && data.alerts.length === 0 && !data.score) {
      const near = await closestSessions(store, key);
      const hint = near.length ? `closest keys:\n${near.map((k) => `  ${printable(k)}`).join('\n')}\n` : 'no sessions are stored there.\n';
      process.stderr.write(`toolwatch report: no session ${JSON.stringify(key)} in ${sourceOf(config.clickhouse)}; ${hint}List sessions with: toolwatch report --list${values.config ? ` --config ${values.config}` : ''}\n`);
      return 2;
    }
    const page = sessionPage(data, { generatedAt: new Date(), source: sourceOf(config.clickhouse) });
    if (values.out === '-') {
      process.stdout.write(page);
      return 0;
    }
    const out = values.out ?? defaultOutFile(key);
    writeFileSync(out, page);
    process.stdout.write(`${out}\n`);
    log('info', `session report: ${data.calls.length} calls, ${data.alerts.length} alerts → ${out}`);
    return 0;
  } finally {
    await store.close();
  }
}
