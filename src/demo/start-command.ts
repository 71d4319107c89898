import { parseArgs } from 'node:util';
import { loadDetectorConfig, type Logger } from '@toolwatch/detector';
import type { AlertRecord } from '@toolwatch/schemas';
import { runDemo } from './run-demo.js';

export const START_HELP = `Usage: toolwatch start [--config <file.json>] [--data <dir>]

Runs the whole pipeline on this machine and drives it with scripted agents: first 40
benign sessions of history, from which the detector learns what normal is; then one benign
support assistant and three hostile agents (a call loop, a call to a tool the server never
advertised, a bulk read of customer exports). Prints each alert as it fires, then a summary.

Embedded by default: an in-process queue stands in for Kafka and chDB (the ClickHouse
engine, in-process) stores spans and alerts under ./data. Set TOOLWATCH_KAFKA_BROKERS or
TOOLWATCH_CLICKHOUSE_URL to use real services. Exits 1 if an agent did not get the alert
it should have (or the benign one got any).

Options:
  --config <file>   detector configuration, JSON (see README)
  --data <dir>      data directory (default ./data)
  -h, --help        this text
`;

const STATUS_LABEL = { open: 'ALERT ', updated: 'UPDATE', closed: 'CLOSED' } as const;
const SEVERITY_MARK: Record<AlertRecord['severity'], string> = { info: 'INFO', low: 'LOW ', medium: 'MED ', high: 'HIGH', critical: 'CRIT' };

export async function startCommand(argv: string[], log: Logger): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { config: { type: 'string' }, data: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    process.stdout.write(START_HELP);
    return 0;
  }
  const env = { ...process.env, ...(values.data ? { TOOLWATCH_DATA_DIR: values.data } : {}) };
  const config = loadDetectorConfig(values.config, env);
  const out = (line: string) => process.stdout.write(`${line}\n`);

  out(`toolwatch demo: ${config.kafka ? `Kafka ${config.kafka.brokers.join(',')}` : 'embedded queue'} → detector → ${config.clickhouse.url ? 'ClickHouse' : `chDB (${config.clickhouse.dataDir})`}${config.webhooks.length ? ` → ${config.webhooks.length} webhook(s)` : ''}`);
  const started = Date.now();
  let raised = 0;
  const { outcomes, pipeline, ok } = await runDemo({
    config,
    log,
    onHistory: (n) => out(`  learned from ${n} benign sessions of history; now the agents:`),
    onAlert: (a, agent) => {
      raised += 1;
      out(`  ${STATUS_LABEL[a.status]} ${SEVERITY_MARK[a.severity]} ${a.rule.padEnd(28)} ${(agent ?? a.clientName).padEnd(22)} ${a.title}`);
    },
  });

  out('');
  out('agent                   expected   alerts  result');
  for (const o of outcomes) {
    const kinds = [...new Set(o.alerts.map((a) => a.kind))].join(',') || '-';
    out(`${o.agent.name.padEnd(24)}${(o.agent.expects ?? 'none').padEnd(11)}${kinds.padEnd(8)}${o.asExpected ? 'ok' : 'UNEXPECTED'}   ${o.agent.description}`);
  }
  const s = pipeline.detector.stats;
  out('');
  out(`${pipeline.exporter.stats.exported} spans exported, ${s.spansWritten} stored in otel_traces, ${s.alerts} alerts in toolwatch_alerts, ${s.invalid} invalid messages; ${((Date.now() - started) / 1000).toFixed(1)} s`);
  for (const q of pipeline.detector.deliveries) {
    // Whatever did not go out waits in the outbox for the next run, or for `toolwatch outbox --enable`.
    const waiting = Math.max(0, raised - q.stats.delivered - q.stats.failed - q.stats.dropped);
    out(`${q.sink.name}: ${q.stats.delivered} delivered, ${q.stats.failed} failed${waiting ? `, ${waiting} waiting in the outbox (toolwatch outbox)` : ''}`);
  }
  if (!ok) log('error', 'the demo did not raise the alerts it should have');
  return ok ? 0 : 1;
}


