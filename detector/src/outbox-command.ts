import { parseArgs } from 'node:util';
import { TABLES } from '@toolwatch/schemas';
import { loadDetectorConfig } from './config.js';
import type { Logger } from './detector-service.js';
import { createSinks } from './sinks/index.js';
import { ClickHouseStore } from './storage/clickhouse-store.js';
import { disabledSinks, setSinkStatus, sinkStatus } from './storage/outbox-backlog.js';

export const OUTBOX_HELP = `Usage: toolwatch outbox [--config <file.json>] [--enable <sink>]

The alert outbox in ClickHouse: for each sink, the alerts waiting, delivered and given up,
the oldest waiting, and whether the sink is disabled (it answered 410 Gone). A disabled
sink's alerts wait (seven days at most) until it is enabled again.

Options:
  --config <file>   the detector's JSON configuration (its ClickHouse and sinks)
  --enable <sink>   lift a sink's 410: a running detector sends what waited within a minute
  -h, --help        this text

Sinks are named by their "name" in the configuration, else by type and a hash of the
destination (the first column below).
`;

interface SinkSummary {
  Sink: string;
  pending: string;
  delivered: string;
  failed: string;
  oldest: string | null;
}

export async function outboxCommand(argv: string[], log: Logger): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { config: { type: 'string' }, enable: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    process.stdout.write(OUTBOX_HELP);
    return 0;
  }
  const config = loadDetectorConfig(values.config);
  const configured = new Map(createSinks(config).map((s) => [s.id ?? s.name, s.name]));
  const store = await ClickHouseStore.open(config.clickhouse);
  try {
    const summary = new Map((await outboxSummary(store)).map((s) => [s.Sink, s]));
    const names = [...new Set([...configured.keys(), ...summary.keys()])].sort();
    if (values.enable !== undefined) {
      const sink = values.enable;
      if (!names.includes(sink)) {
        log('error', `no sink "${sink}" in the configuration or the outbox; the sinks: ${names.join(', ') || 'none'}`);
        return 2;
      }
      if (!(await sinkStatus(store, sink))) {
        process.stdout.write(`${sink} is not disabled\n`);
        return 0;
      }
      await setSinkStatus(store, sink, undefined);
      const pending = summary.get(sink)?.pending ?? '0';
      process.stdout.write(`${sink} enabled: ${pending} alerts waiting go out when a detector next reads the outbox (within a minute)\n`);
      return 0;
    }
    if (names.length === 0) {
      process.stdout.write('no sinks configured and nothing in the outbox\n');
      return 0;
    }
    const rows = [['sink', 'destination', 'waiting', 'delivered', 'failed', 'oldest waiting', 'status']];
    const disabled = await disabledSinks(store);
    for (const name of names) {
      const s = summary.get(name);
      const reason = disabled.get(name);
      rows.push([
        name,
        configured.get(name) ?? '(not configured)',
        s?.pending ?? '0',
        s?.delivered ?? '0',
        s?.failed ?? '0',
        s?.oldest ?? '-',
        reason === undefined ? 'ok' : `disabled: ${reason}`,
      ]);
    }
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    for (const r of rows) process.stdout.write(`${r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')}\n`);
    return 0;
  } finally {
    await store.close();
  }
}

/** Per sink: alert revisions waiting, delivered and failed, and the oldest waiting. */
export async function outboxSummary(store: ClickHouseStore): Promise<SinkSummary[]> {
  const db = store.databaseName;
  return store.query<SinkSummary>(
    `SELECT Sink,
            toString(countIf(Outcome = '')) AS pending,
            toString(countIf(Outcome = 'delivered')) AS delivered,
            toString(countIf(Outcome = 'failed')) AS failed,
            if(countIf(Outcome = '') = 0, NULL, toString(minIf(EnqueuedAt, Outcome = ''))) AS oldest
     FROM (SELECT Sink, AlertId, Revision, min(EnqueuedAt) AS EnqueuedAt FROM ${db}.${TABLES.outbox} GROUP BY Sink, AlertId, Revision) AS o
     LEFT JOIN (SELECT Sink, AlertId, Revision, argMax(Outcome, At) AS Outcome FROM ${db}.${TABLES.outboxAcks} GROUP BY Sink, AlertId, Revision) AS a
       USING (Sink, AlertId, Revision)
     GROUP BY Sink
     ORDER BY Sink`,
  );
}
