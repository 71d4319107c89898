import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ALL, expandedQueries, seedSql, type MacroContext } from '@toolwatch/dashboards';
import { ClickHouseStore } from '@toolwatch/detector';

export const DASHBOARDS_BENCH_HELP = `Usage: toolwatch bench dashboards [--spans <n>] [--runs <n>] [--hours <n>]

Seeds chDB (in a temp directory, through the detector's ClickHouseStore and its
migrations) with <n> spans over the last <hours> hours, plus the alerts and session
scores of those sessions, then runs every panel, template-variable and alert-rule query
of every dashboard, with the macros expanded as Grafana would (range now-<hours>h, 1m
interval, "All" selected, the drill-down on the riskiest session), <runs> times after
one warm-up, and prints each one's median and slowest time. Target (issue 5): the
slowest panel under 500 ms at 1,000,000 spans. Figures on stdout, progress on stderr.

Options:
  --spans <n>   spans seeded (default 1000000)
  --runs <n>    timed runs per query (default 5)
  --hours <n>   range the spans cover, and the dashboards' time range (default 24)
`;

const ms = (x: number) => `${x.toFixed(1).padStart(7)} ms`;

export async function dashboardsBenchCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { spans: { type: 'string' }, runs: { type: 'string' }, hours: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    process.stdout.write(DASHBOARDS_BENCH_HELP);
    return 0;
  }
  const spans = Number(values.spans ?? 1_000_000);
  const runs = Math.max(1, Number(values.runs ?? 5));
  const hours = Number(values.hours ?? 24);
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const dataDir = mkdtempSync(join(tmpdir(), 'toolwatch-bench-dashboards-'));
  const store = await ClickHouseStore.open({ dataDir, database: 'default', ttlDays: 0 });
  try {
    const end = new Date();
    let t = performance.now();
    for (const sql of seedSql({ spans, end, hours })) await store.client.command({ query: sql });
    const seeded = (performance.now() - t) / 1000;
    const counts = await store.query<{ spans: string; alerts: string; scores: string; parts: string }>(
      `SELECT (SELECT count() FROM otel_traces) AS spans, (SELECT count() FROM toolwatch_alerts) AS alerts,
        (SELECT count() FROM toolwatch_session_scores) AS scores,
        (SELECT count() FROM system.parts WHERE database = 'default' AND table = 'otel_traces' AND active) AS parts`,
    );
    const [riskiest] = await store.query<{ SessionKey: string }>(`SELECT SessionKey FROM toolwatch_session_scores FINAL ORDER BY Score DESC, SessionKey LIMIT 1`);
    const [trace] = await store.query<{ TraceId: string }>(`SELECT TraceId FROM otel_traces WHERE McpSessionKey = {s:String} LIMIT 1`, { s: riskiest!.SessionKey });
    const c = counts[0]!;
    out(`node ${process.version}, chDB in-process; seeded in ${seeded.toFixed(1)} s: ${Number(c.spans).toLocaleString('en-US')} spans (${c.parts} parts), ${Number(c.alerts).toLocaleString('en-US')} alert rows, ${Number(c.scores).toLocaleString('en-US')} session score rows`);
    const context: MacroContext = {
      from: new Date(end.getTime() - hours * 3_600_000),
      to: end,
      intervalMs: 60_000,
      variables: { service: [ALL], client: [ALL], session: riskiest!.SessionKey, trace: trace!.TraceId },
    };
    out(`range now-${hours}h, interval 1m, all servers and clients, session ${riskiest!.SessionKey}; ${runs} runs after a warm-up`);
    out('');
    out(`  ${'dashboard'.padEnd(18)} ${'panel'.padEnd(40)} ${'rows'.padStart(6)}     median     slowest`);
    let worst = { median: 0, title: '' };
    let slowestRun = 0;
    for (const q of expandedQueries(context)) {
      const read = async () => (await (await store.client.query({ query: q.sql, format: 'JSON' })).json<unknown>()).data.length;
      const rows = await read();
      const times: number[] = [];
      for (let i = 0; i < runs; i++) {
        t = performance.now();
        await read();
        times.push(performance.now() - t);
      }
      times.sort((a, b) => a - b);
      const median = times[Math.floor(times.length / 2)]!;
      const max = times.at(-1)!;
      if (median > worst.median) worst = { median, title: `${q.dashboard} / ${q.title}` };
      slowestRun = Math.max(slowestRun, max);
      out(`  ${q.dashboard.replace(/^toolwatch-/, '').padEnd(18)} ${q.title.slice(0, 40).padEnd(40)} ${String(rows).padStart(6)}  ${ms(median)}  ${ms(max)}`);
    }
    out('');
    out(`slowest panel (median): ${worst.title}, ${worst.median.toFixed(1)} ms; slowest single run ${slowestRun.toFixed(1)} ms   (target < 500 ms: ${worst.median < 500 ? 'met' : 'NOT met'})`);
    return worst.median < 500 ? 0 : 1;
  } finally {
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
