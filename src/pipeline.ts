import { dirname, join } from 'node:path';
import { createInstrumentation, KafkaTransport, redactValue, scanValue, SpanRecordExporter, SpoolingTransport, type Instrumentation, type RecordTransport } from '@toolwatch/collector';
import {
  ClickHouseStore,
  createSinks,
  DetectorService,
  KafkaSpanSource,
  type DetectorConfig,
  type Logger,
  type SpanSource,
} from '@toolwatch/detector';
import type { AlertRecord } from '@toolwatch/schemas';
import { EmbeddedQueue } from './embedded-queue.js';

export interface Pipeline {
  instrumentation: Instrumentation;
  exporter: SpanRecordExporter;
  detector: DetectorService;
  store: ClickHouseStore;
  /** Resolves when every span ended so far is exported, consumed and stored. */
  settle(): Promise<void>;
  stop(): Promise<void>;
}

export interface PipelineOptions {
  config: DetectorConfig;
  log: Logger;
  onAlert?: (alert: AlertRecord) => void;
  /** Delivery retry schedule for the alert sinks (tests shorten it). */
  retryDelaysMs?: number[];
}

/**
 * The whole flow in one process: instrumentation → Kafka (or the in-process queue when no
 * brokers are configured) → detector → ClickHouse (or chDB) → alert sinks.
 */
export async function startPipeline(options: PipelineOptions): Promise<Pipeline> {
  const { config, log } = options;
  const embedded = config.kafka ? undefined : new EmbeddedQueue({ log: (m) => log('warn', m) });
  // Over Kafka, as in a server: a disk spool keeps spans while the brokers are away.
  const transport: RecordTransport = config.kafka
    ? new SpoolingTransport(new KafkaTransport({ brokers: config.kafka.brokers, topic: config.kafka.topic, log: (m) => log('warn', m) }), {
        dir: join(dirname(config.clickhouse.dataDir), 'spool'),
        onError: (err) => log('warn', `spool: ${(err as Error).message}`),
      })
    : embedded!;
  const source: SpanSource = config.kafka ? new KafkaSpanSource(config.kafka, (m) => log('warn', m)) : embedded!;

  const exporter = new SpanRecordExporter(transport, (err) => log('warn', `span export failed: ${(err as Error).message}`));
  const instrumentation = createInstrumentation({
    exporter,
    scheduledDelayMillis: 50,
    redaction: { scanValue, redactValue },
    onInternalError: (err) => log('warn', `instrumentation: ${(err as Error).message}`),
  });
  const store = await ClickHouseStore.open(config.clickhouse);
  const detector = new DetectorService({
    source,
    store,
    rules: config.rules,
    sinks: createSinks(config),
    // One engine for the whole stream (no per-partition state): it learns from every
    // session at once, and a restart learns again from what is already in ClickHouse.
    seed: config.state.seed,
    delivery: options.retryDelaysMs ? { retryDelaysMs: options.retryDelaysMs } : {},
    log,
    onAlert: options.onAlert,
  });
  await detector.start();

  const settle = async () => {
    await instrumentation.forceFlush();
    await source.idle();
  };

  return {
    instrumentation,
    exporter,
    detector,
    store,
    settle,
    async stop() {
      await instrumentation.shutdown();
      await detector.stop();
      await store.close();
    },
  };
}
