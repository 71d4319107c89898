import { parseArgs } from 'node:util';
import { loadDetectorConfig } from './config.js';
import { DetectorService, type Logger } from './detector-service.js';
import { createSinks } from './sinks/index.js';
import { KafkaSpanSource } from './sources/kafka-source.js';
import { ClickHouseStore } from './storage/clickhouse-store.js';

export const DETECTOR_HELP = `Usage: toolwatch detector [--config <file.json>]

Consumes span records from Kafka, scores every session, writes spans and alerts to
ClickHouse and delivers alerts to the configured webhooks. Runs until SIGINT or SIGTERM.

Options:
  --config <file>   JSON configuration (see README, "Detector configuration")
  -h, --help        this text

Environment (overrides the file):
  TOOLWATCH_KAFKA_BROKERS     comma-separated brokers (required here, in env or file)
  TOOLWATCH_CLICKHOUSE_URL    ClickHouse HTTP URL; without it chDB under ./data/clickhouse
  TOOLWATCH_DATA_DIR          data directory for chDB (default ./data)
  TOOLWATCH_WEBHOOK_URL       Standard Webhooks receiver for alerts
  TOOLWATCH_WEBHOOK_SECRET    its whsec_ secret
`;

export async function detectorCommand(argv: string[], log: Logger): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { config: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    process.stdout.write(DETECTOR_HELP);
    return 0;
  }
  const config = loadDetectorConfig(values.config);
  if (!config.kafka) {
    log('error', 'no Kafka brokers: set TOOLWATCH_KAFKA_BROKERS or "kafka.brokers" in the config file (or run `toolwatch start` for the embedded pipeline)');
    return 2;
  }
  const store = await ClickHouseStore.open(config.clickhouse);
  const service = new DetectorService({
    source: new KafkaSpanSource(config.kafka, (m) => log('warn', m)),
    store,
    rules: config.rules,
    sinks: createSinks(config),
    // State partitioned like the topic and saved to ClickHouse: baselines survive restarts
    // and rebalances, and a partition's new owner picks up where the last one stopped.
    state: config.state,
    seed: config.state.seed,
    log,
    onAlert: (a) => log('info', `alert ${a.severity} ${a.rule} session=${a.sessionKey} ${a.title}`),
  });
  await service.start();
  log('info', `consuming ${config.kafka.topic} as group ${config.kafka.groupId}`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  log('info', 'stopping');
  await service.stop();
  await store.close();
  log('info', `consumed ${service.stats.consumed}, invalid ${service.stats.invalid}, alerts ${service.stats.alerts}`);
  return 0;
}
