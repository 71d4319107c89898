import { collectorCommand, proxyCommand, redactCommand } from '@toolwatch/collector';
import { dashboardsCommand } from '@toolwatch/dashboards';
import { ConfigError, detectorCommand, evalCommand, outboxCommand, replayCommand, sigmaCommand } from '@toolwatch/detector';
import { benchCommand } from './bench/bench-command.js';
import { startCommand } from './demo/start-command.js';
import { reportCommand } from './report/report-command.js';
import { stderrLogger } from './log.js';

const HELP = `Usage: toolwatch <command> [options]

Runtime observability and anomaly detection for MCP servers.

Commands:
  start       the whole pipeline on this machine, driven by scripted benign and hostile agents
  demo        same as start
  detector    the detector service: Kafka → scoring → ClickHouse → alert sinks
  outbox      alerts waiting for each sink, delivered and failed; --enable a sink after a 410
  proxy       an MCP server of any language behind toolwatch: proxy -- <command> (stdio),
              or proxy --http --listen <host:port> --target <url> (Streamable HTTP)
  collector   the OTLP/HTTP collector service: spans from any OTel SDK → redaction → Kafka
  redact      redact secrets and PII from text or JSON on stdin
  replay      re-score recorded spans (JSONL) in event time: one alert per line on stdout
  eval        score the detector on a labelled corpus of benign and hostile sessions
  sigma       the detections as Sigma 2.x rules (YAML), for SIEMs that run Sigma
  dashboards  write the Grafana dashboards and provisioning files (deploy/grafana)
  report      one session's timeline as a self-contained HTML page: report --session <key>
  bench       benchmarks: bench instrument, bench detector, bench dashboards
  help        this text

Zero code: node --import toolwatch/register server.js

Run \`toolwatch <command> --help\` for a command's options.
`;

type Command = (argv: string[], log: ReturnType<typeof stderrLogger>) => Promise<number>;
const COMMANDS: Record<string, Command> = {
  start: startCommand,
  demo: startCommand,
  detector: detectorCommand,
  outbox: outboxCommand,
  proxy: proxyCommand,
  collector: collectorCommand,
  redact: redactCommand,
  bench: benchCommand,
  eval: evalCommand,
  replay: replayCommand,
  sigma: sigmaCommand,
  dashboards: dashboardsCommand,
  report: reportCommand,
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(HELP);
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`toolwatch: unknown command "${name}"\n\n${HELP}`);
    return 2;
  }
  const log = stderrLogger();
  try {
    return await command(rest, log);
  } catch (err) {
    const e = err as Error & { code?: string };
    if (err instanceof ConfigError || e.code?.startsWith('ERR_PARSE_ARGS')) {
      log('error', e.message);
      return 2;
    }
    log('error', e.stack ?? e.message);
    return 1;
  }
}
