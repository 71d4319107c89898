import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import { ALL, expandedQueries, seedSql, SPANS_PER_SESSION, type ExpandedQuery, type MacroContext } from '@toolwatch/dashboards';
import { migrate, sqlRunner } from '@toolwatch/schemas';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const END = new Date('2026-11-20T12:00:00Z');
const HOURS = 24;

describe('every panel, variable and alert-rule query, macros expanded, on seeded spans in chDB', () => {
  const client = createClient({ connection: createChdbConnection({ path: mkdtempSync(join(tmpdir(), 'tw-dash-')) }) } as Parameters<typeof createClient>[0]);
  const db = sqlRunner(client);
  let context: MacroContext;
  afterAll(() => client.close());

  const run = async (sql: string) => {
    const result = await (await client.query({ query: sql, format: 'JSON' })).json<Record<string, unknown>>();
    return { columns: result.meta!.map((m) => m.name), types: result.meta!.map((m) => m.type), rows: result.data };
  };

  beforeAll(async () => {
    await migrate(db);
    for (const sql of seedSql({ spans: 40_000, end: END, hours: HOURS })) await db.command(sql);
    const [riskiest] = await db.rows<{ SessionKey: string }>(`SELECT SessionKey FROM toolwatch_session_scores FINAL ORDER BY Score DESC, SessionKey LIMIT 1`);
    const [trace] = await db.rows<{ TraceId: string }>(`SELECT TraceId FROM otel_traces WHERE McpSessionKey = '${riskiest!.SessionKey}' AND McpMethod = 'tools/call' LIMIT 1`);
    context = {
      from: new Date(END.getTime() - HOURS * 3_600_000),
      to: END,
      intervalMs: 60_000,
      variables: { service: [ALL], client: [ALL], session: riskiest!.SessionKey, trace: trace!.TraceId },
    };
  });

  const numeric = /^(Nullable\()?(U?Int|Float|Decimal)/;

  it('returns, for every query, the columns its panel draws, of types it can draw, and some rows', async () => {
    const queries = expandedQueries(context);
    expect(queries.length).toBeGreaterThan(25);
    for (const q of queries) {
      const label = `${q.dashboard} / ${q.title}`;
      const { columns, types, rows } = await run(q.sql).catch((err: Error) => {
        throw new Error(`${label}: ${err.message}\n${q.sql}`);
      });
      expect(rows.length, label).toBeGreaterThan(0);
      if (q.kind === 'variable') {
        expect(columns, label).toHaveLength(1);
        continue;
      }
      expect(columns, label).toEqual(q.columns);
      checkTypes(q, types, label);
    }
  });

  function checkTypes(q: ExpandedQuery, types: string[], label: string): void {
    if (q.kind === 'timeseries' || q.kind === 'points') {
      expect(types[0], label).toMatch(/^DateTime/);
      expect(types.at(-1), label).toMatch(numeric);
    }
    if (q.kind === 'stat' || q.kind === 'alert rule') expect(types, label).toEqual([expect.stringMatching(numeric)]);
    if (q.kind === 'traces') expect(types.slice(5, 7), label).toEqual([expect.stringMatching(/^DateTime64/), 'Float64']);
  }

  it('narrows to the chosen servers and clients, and drops the filter for "All"', async () => {
    const narrowed = { ...context, variables: { ...context.variables, service: ['files', 'github'], client: ['cursor'] } };
    const bySource = (ctx: MacroContext) => expandedQueries(ctx).find((q) => q.dashboard === 'toolwatch-egress' && q.title === 'By tool')!;
    const { rows } = await run(bySource(narrowed).sql);
    expect(new Set(rows.map((r) => r.ServiceName))).toEqual(new Set(['files', 'github']));
    const clients = await run(expandedQueries(narrowed).find((q) => q.title === 'By client, per session')!.sql);
    expect(clients.rows.map((r) => r.client)).toEqual(['cursor']);
    expect(bySource(context).sql).not.toContain('IN (');
  });

  it("draws the riskiest session's whole timeline, its alerts and a trace found through the lookup table", async () => {
    const q = (title: string) => expandedQueries(context).find((x) => x.dashboard === 'toolwatch-session' && x.title === title)!;
    expect((await run(q('Timeline of calls').sql)).rows).toHaveLength(SPANS_PER_SESSION);
    const alerts = (await run(q('Alerts').sql)).rows;
    expect(alerts.length).toBeGreaterThan(0);
    // ReplacingMergeTree(Revision) read with FINAL: the closed revision, once per alert.
    expect(alerts.every((a) => a.Status === 'closed')).toBe(true);
    const trace = (await run(q('Trace').sql)).rows;
    expect(trace.map((s) => s.traceID)).toEqual([context.variables.trace]);
  });

  it('shows the definition that changed under a server, and only that one', async () => {
    const drift = expandedQueries(context).find((q) => q.title === 'Definition drift')!;
    const rows = (await run(drift.sql)).rows;
    expect(rows.map((r) => `${r.ServiceName}/${r.Tool}`)).toEqual(['files/read', 'files/read']);
  });
});
