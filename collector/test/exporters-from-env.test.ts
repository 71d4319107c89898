import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { readTopic, uniqueTopic } from '../../test/support/kafka-topic.js';
import { MemoryRecordTransport } from '../../test/support/memory-transport.js';
import { ExporterConfigError } from '../src/exporters/config-error.js';
import { FanOutExporter } from '../src/exporters/fan-out.js';
import { EXPORTER_ENV_VARIABLES, exporterEnvMarkdown, exporterFromEnv, kafkaSettingsFromEnv } from '../src/exporters/from-env.js';
import { SpanRecordExporter } from '../src/exporters/span-record-exporter.js';
import { SpoolingTransport } from '../src/exporters/spooling-transport.js';
import { connectInstrumented, instrumentation, tempDir } from './exporters-support.js';

const BROKERS = 'kafka-1:9092';

/** The error exporterFromEnv throws for `env`. */
function configError(env: NodeJS.ProcessEnv): ExporterConfigError {
  try {
    const exporter = exporterFromEnv(env);
    void exporter.shutdown();
  } catch (err) {
    if (err instanceof ExporterConfigError) return err;
    throw err;
  }
  throw new Error('no error');
}

/** Runs a real instrumented server through `exporter` and a recording one; returns the span ids it made. */
async function exportSomeSpans(exporter: SpanExporter): Promise<string[]> {
  const produced = new MemoryRecordTransport();
  const pipeline = instrumentation(new FanOutExporter([exporter, new SpanRecordExporter(produced)]));
  const client = await connectInstrumented(pipeline);
  await client.listTools();
  for (let i = 0; i < 3; i++) await client.callTool({ name: 'echo', arguments: { text: `hi ${i}` } });
  await client.close();
  await pipeline.shutdown();
  return produced.records().map((r) => r.SpanId);
}

/** An OTLP/HTTP receiver that keeps each request's path, headers and span ids. */
async function otlpReceiver() {
  const requests: Array<{ path: string; headers: IncomingHttpHeaders; spanIds: string[] }> = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      type Otlp = { resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<{ spanId: string }> }> }> };
      const parsed = JSON.parse(body) as Otlp;
      const spanIds = parsed.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans.map((sp) => sp.spanId)));
      requests.push({ path: req.url ?? '', headers: req.headers, spanIds });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    spanIds: () => requests.flatMap((r) => r.spanIds),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('exporterFromEnv: bad settings', () => {
  it.each([
    ['kafka without brokers (the default)', {}, 'TOOLWATCH_KAFKA_BROKERS', /needs it/],
    ['a misspelt exporter', { TOOLWATCH_EXPORTER: 'kafak' }, 'TOOLWATCH_EXPORTER', /unknown exporter "kafak" \(did you mean kafka\?\)/],
    ['jsonl without a path', { TOOLWATCH_EXPORTER: 'jsonl:' }, 'TOOLWATCH_EXPORTER', /needs a file path/],
    ['a stray comma', { TOOLWATCH_EXPORTER: 'otlp,,jsonl:/tmp/x' }, 'TOOLWATCH_EXPORTER', /entry 2 is empty/],
    ['an exporter twice', { TOOLWATCH_EXPORTER: 'otlp, otlp' }, 'TOOLWATCH_EXPORTER', /otlp twice/],
    ['a broker without a port', { TOOLWATCH_KAFKA_BROKERS: 'kafka-1:9092,kafka-2' }, 'TOOLWATCH_KAFKA_BROKERS', /entry 2 "kafka-2" is not host:port/],
    ['a broker port out of range', { TOOLWATCH_KAFKA_BROKERS: 'kafka-1:99999' }, 'TOOLWATCH_KAFKA_BROKERS', /entry 1/],
    ['a bad topic', { TOOLWATCH_KAFKA_BROKERS: BROKERS, TOOLWATCH_KAFKA_TOPIC: 'spans of mine' }, 'TOOLWATCH_KAFKA_TOPIC', /topic name/],
    ['a spool size that is no size', { TOOLWATCH_KAFKA_BROKERS: BROKERS, TOOLWATCH_SPOOL_MAX_BYTES: 'lots' }, 'TOOLWATCH_SPOOL_MAX_BYTES', /KiB, MiB or GiB/],
    ['a spool too small to use', { TOOLWATCH_KAFKA_BROKERS: BROKERS, TOOLWATCH_SPOOL_MAX_BYTES: '1000' }, 'TOOLWATCH_SPOOL_MAX_BYTES', /at least 64KiB/],
    ['a misspelt variable', { TOOLWATCH_KAFKA_BROKER: BROKERS }, 'TOOLWATCH_KAFKA_BROKER', /did you mean TOOLWATCH_KAFKA_BROKERS/],
    ['grpc', { TOOLWATCH_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, 'OTEL_EXPORTER_OTLP_PROTOCOL', /http\/json or http\/protobuf/],
    ['a timeout that is no number', { TOOLWATCH_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '10s' }, 'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT', /milliseconds/],
  ])('%s', (_, env, variable, message) => {
    const err = configError(env);
    expect(err.variable).toBe(variable);
    expect(err.message.startsWith(`${variable}: `)).toBe(true);
    expect(err.message).toMatch(message);
  });

  it('names the variable of a bad OTLP URL or header without repeating the secret in it', () => {
    const url = configError({ TOOLWATCH_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: 'ftp://user:hunter2@collector' });
    expect(url.variable).toBe('OTEL_EXPORTER_OTLP_ENDPOINT');
    expect(url.message).not.toContain('hunter2');
    const notUrl = configError({ TOOLWATCH_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'hunter2' });
    expect(notUrl.variable).toBe('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
    expect(notUrl.message).not.toContain('hunter2');
    const header = configError({ TOOLWATCH_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20hunter2,hunter3' });
    expect(header.variable).toBe('OTEL_EXPORTER_OTLP_HEADERS');
    expect(header.message).toMatch(/entry 2/);
    expect(header.message).not.toMatch(/hunter/);
  });

  it('checks every setting before it builds anything', () => {
    const spool = join(tempDir('from-env'), 'spool');
    const err = configError({ TOOLWATCH_EXPORTER: 'kafka,otlp', TOOLWATCH_KAFKA_BROKERS: BROKERS, TOOLWATCH_SPOOL_DIR: spool, OTEL_EXPORTER_OTLP_TIMEOUT: '-1' });
    expect(err.variable).toBe('OTEL_EXPORTER_OTLP_TIMEOUT');
    expect(existsSync(spool)).toBe(false); // the Kafka path was not half built
  });

  it("leaves other components' TOOLWATCH_ variables alone", async () => {
    const exporter = exporterFromEnv({
      TOOLWATCH_EXPORTER: `jsonl:${join(tempDir('from-env'), 'a.jsonl')}`,
      TOOLWATCH_WEBHOOK_URL: 'https://siem.example/hook',
      TOOLWATCH_SERVICE_NAME: 'svc',
      TOOLWATCH_CAPTURE_TOOLS: '*',
    });
    await exporter.shutdown();
  });
});

describe('exporterFromEnv: what it builds', () => {
  const cleanup: string[] = [];
  afterAll(() => cleanup.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('kafka (the default): a spooling Kafka path whose spans reach the topic', async () => {
    const brokers = inject('kafkaBrokers');
    const topic = uniqueTopic('from-env');
    const spoolDir = tempDir('from-env-spool');
    const exporter = exporterFromEnv({ TOOLWATCH_KAFKA_BROKERS: brokers.join(', '), TOOLWATCH_KAFKA_TOPIC: topic, TOOLWATCH_SPOOL_DIR: spoolDir });
    const transport = (exporter as SpanRecordExporter).transport;
    expect(transport).toBeInstanceOf(SpoolingTransport);
    const spanIds = await exportSomeSpans(exporter);
    const onTopic = (await readTopic(brokers, topic, spanIds.length)).map((m) => (JSON.parse(m.value) as { SpanId: string }).SpanId);
    expect(new Set(onTopic)).toEqual(new Set(spanIds));
    expect((transport as SpoolingTransport).stats).toMatchObject({ sent: spanIds.length, spooled: 0 });
    expect(existsSync(join(spoolDir, '0'))).toBe(true);
  });

  it('puts the default spool under the tmpdir, per user and service; 0 bytes means no disk spool', async () => {
    const service = `from-env-test-${process.pid}/x`;
    const exporter = exporterFromEnv({ TOOLWATCH_KAFKA_BROKERS: BROKERS }, { serviceName: service });
    const transport = (exporter as SpanRecordExporter).transport as SpoolingTransport;
    await transport.whenIdle();
    expect(transport.spoolDir).toMatch(new RegExp(`^${tmpdir()}/toolwatch-spool-[^/]+/from-env-test-${process.pid}_x/0$`));
    cleanup.push(join(transport.spoolDir!, '..'));
    await exporter.shutdown();

    const memoryOnly = exporterFromEnv({ TOOLWATCH_KAFKA_BROKERS: BROKERS, TOOLWATCH_SPOOL_MAX_BYTES: '0', OTEL_SERVICE_NAME: `from-env-test-${process.pid}-m` });
    const memoryTransport = (memoryOnly as SpanRecordExporter).transport as SpoolingTransport;
    await memoryTransport.whenIdle();
    expect(memoryTransport.spoolDir).toBeUndefined();
    await memoryOnly.shutdown();
  });

  it('reads spool sizes in bytes or binary units', () => {
    const size = (v: string) => kafkaSettingsFromEnv({ TOOLWATCH_KAFKA_BROKERS: BROKERS, TOOLWATCH_SPOOL_MAX_BYTES: v }).spoolMaxBytes;
    expect(size('64MiB')).toBe(64 * 1024 * 1024);
    expect(size('512k')).toBe(512 * 1024);
    expect(size('1 GB')).toBe(1024 ** 3);
    expect(size('100000')).toBe(100000);
    expect(kafkaSettingsFromEnv({ TOOLWATCH_KAFKA_BROKERS: ' a:1 , [::1]:9092 ' }).brokers).toEqual(['a:1', '[::1]:9092']);
  });

  it('otlp: the OTel SDK exporter, to the endpoint and with the headers of the OTEL_ variables', async () => {
    const receiver = await otlpReceiver();
    try {
      const exporter = exporterFromEnv({
        TOOLWATCH_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_ENDPOINT: `${receiver.url}/otel/`,
        OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=abc%20def,x-tenant=general',
        OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'X-Tenant=traces',
      });
      const spanIds = await exportSomeSpans(exporter);
      expect(receiver.spanIds().sort()).toEqual([...spanIds].sort());
      expect(receiver.requests.every((r) => r.path === '/otel/v1/traces')).toBe(true);
      expect(receiver.requests[0]!.headers).toMatchObject({ 'x-api-key': 'abc def', 'x-tenant': 'traces' });
    } finally {
      await receiver.close();
    }
  });

  it('several, comma-separated: every span to each (an OTLP traces endpoint used as is, a JSONL file)', async () => {
    const receiver = await otlpReceiver();
    const path = join(tempDir('from-env'), 'spans.jsonl');
    try {
      const exporter = exporterFromEnv({
        TOOLWATCH_EXPORTER: ` jsonl:${path} , otlp `,
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.url}/custom`,
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9/unused',
      });
      expect(exporter).toBeInstanceOf(FanOutExporter);
      const spanIds = await exportSomeSpans(exporter);
      const inFile = readFileSync(path, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { SpanId: string }).SpanId);
      expect(inFile).toEqual(spanIds);
      expect(receiver.spanIds().sort()).toEqual([...spanIds].sort());
      expect(receiver.requests.every((r) => r.path === '/custom')).toBe(true);
    } finally {
      await receiver.close();
    }
  });
});

describe('EXPORTER_ENV_VARIABLES', () => {
  it('lists exactly the variables exporterFromEnv reads', async () => {
    const read = new Set<string>();
    const env = new Proxy(
      {
        TOOLWATCH_EXPORTER: `kafka,otlp,jsonl:${join(tempDir('from-env'), 'a.jsonl')}`,
        TOOLWATCH_KAFKA_BROKERS: BROKERS,
        TOOLWATCH_SPOOL_MAX_BYTES: '0',
      } as NodeJS.ProcessEnv,
      {
        get(target, name) {
          if (typeof name === 'string') read.add(name);
          return target[name as string];
        },
      },
    );
    const exporter = exporterFromEnv(env);
    await exporter.shutdown();
    const ours = [...read].filter((n) => /^(TOOLWATCH_|OTEL_EXPORTER_)/.test(n) && !['TOOLWATCH_SERVICE_NAME'].includes(n));
    expect(new Set(ours)).toEqual(new Set(EXPORTER_ENV_VARIABLES.map((v) => v.name)));
    const table = exporterEnvMarkdown();
    for (const v of EXPORTER_ENV_VARIABLES) expect(table).toContain(`| \`${v.name}\` |`);
  });
});
