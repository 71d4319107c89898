import { parseArgs } from 'node:util';
import { DEFAULT_SPAN_TOPIC, KafkaTransport } from '../exporters/kafka.js';
import type { RecordTransport } from '../exporters/record-transport.js';
import { DEFAULT_HOST, DEFAULT_MAX_BODY_BYTES, DEFAULT_PORT, OtlpReceiver, type ReceiverLog } from './otlp-receiver.js';

export const COLLECTOR_HELP = `Usage: toolwatch collector [--host <addr>] [--port <n>] [--max-body-bytes <n>]

The OTLP/HTTP collector service: MCP servers instrumented with any OpenTelemetry SDK send
their spans to POST /v1/traces (protobuf or JSON, optionally gzip). Each span is redacted
again, becomes a span record and goes to Kafka, keyed by session key, for the detector.
Runs until SIGINT or SIGTERM, then finishes the requests under way.

Options:
  --host <addr>            address to bind (default ${DEFAULT_HOST}; 0.0.0.0 for all)
  --port <n>               port (default ${DEFAULT_PORT})
  --max-body-bytes <n>     request body cap, before and after gunzip (default ${DEFAULT_MAX_BODY_BYTES})
  -h, --help               this text

Environment:
  TOOLWATCH_COLLECTOR_TOKEN   required: clients send "Authorization: Bearer <token>"
  TOOLWATCH_KAFKA_BROKERS     required: comma-separated Kafka brokers
  TOOLWATCH_KAFKA_TOPIC       topic for span records (default ${DEFAULT_SPAN_TOPIC})
`;

/** What a host (or a test) may hand the command instead of the process's own. */
export interface CollectorCommandContext {
  env?: NodeJS.ProcessEnv;
  /** Stops the service like SIGTERM does. */
  signal?: AbortSignal;
  /** Replaces the Kafka transport built from the environment. */
  transport?: RecordTransport;
  /** Called once the receiver listens. */
  onListening?: (receiver: OtlpReceiver) => void;
}

export async function collectorCommand(
  argv: string[],
  log: (level: 'info' | 'warn' | 'error', message: string) => void,
  context: CollectorCommandContext = {},
): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      'max-body-bytes': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(COLLECTOR_HELP);
    return 0;
  }
  const env = context.env ?? process.env;
  const token = env.TOOLWATCH_COLLECTOR_TOKEN?.trim();
  if (!token) {
    log('error', 'no bearer token: set TOOLWATCH_COLLECTOR_TOKEN; the collector does not accept spans from anyone');
    return 2;
  }
  const port = integer(values.port, DEFAULT_PORT, 0, 65535);
  const maxBodyBytes = integer(values['max-body-bytes'], DEFAULT_MAX_BODY_BYTES, 1, 2 ** 31 - 1);
  if (port === undefined || maxBodyBytes === undefined) {
    log('error', port === undefined ? '--port must be an integer from 0 to 65535' : '--max-body-bytes must be a positive integer');
    return 2;
  }
  const brokers = (env.TOOLWATCH_KAFKA_BROKERS ?? '').split(',').map((b) => b.trim()).filter(Boolean);
  if (!context.transport && brokers.length === 0) {
    log('error', 'no Kafka brokers: set TOOLWATCH_KAFKA_BROKERS');
    return 2;
  }
  if (token.length < 16) log('warn', 'TOOLWATCH_COLLECTOR_TOKEN is shorter than 16 characters; use a long random token');

  const topic = env.TOOLWATCH_KAFKA_TOPIC?.trim() || DEFAULT_SPAN_TOPIC;
  const transport = context.transport ?? new KafkaTransport({ brokers, topic, log: (line) => log('warn', line) });
  const receiver = new OtlpReceiver({ token, transport, host: values.host ?? DEFAULT_HOST, port, maxBodyBytes, log });
  try {
    await receiver.listen();
  } catch (err) {
    log('error', `cannot start on ${values.host ?? DEFAULT_HOST}:${port}: ${(err as Error).message}`);
    await transport.close();
    return 1;
  }
  log('info', `OTLP/HTTP traces on ${receiver.url} → ${context.transport ? transport.name : `Kafka topic ${topic}`}`);
  if (!isLoopback(receiver.address.address)) {
    log('warn', `listening beyond loopback (${receiver.address.address}): the bearer token travels in clear text unless TLS terminates in front`);
  }
  context.onListening?.(receiver);

  await stopRequested(context.signal);
  log('info', 'stopping: finishing the requests under way');
  await receiver.close();
  await transport.close();
  const s = receiver.stats;
  log('info', `${s.requests} requests, ${s.acceptedSpans} spans written, ${s.rejectedSpans} rejected, ${s.refusedRequests} requests refused for backpressure`);
  return 0;
}

function stopRequested(signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
    if (signal?.aborted) done();
    else signal?.addEventListener('abort', done, { once: true });
  });
}

function integer(text: string | undefined, fallback: number, min: number, max: number): number | undefined {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text.trim())) return undefined;
  const n = Number(text);
  return n >= min && n <= max ? n : undefined;
}

const isLoopback = (address: string) => address === '::1' || address.startsWith('127.') || address === '::ffff:127.0.0.1';
