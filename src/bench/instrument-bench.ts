import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { createInstrumentation, redactValue, scanValue, SpanRecordExporter, type KeyedRecord, type RecordTransport } from '@toolwatch/collector';
import { z } from 'zod';

/**
 * Time added per `tools/call` (1 KB of arguments, 8 KB of result, in-memory transport) by
 * toolwatch and by Sentry's wrapMcpServerWithSentry, against the same server
 * uninstrumented, all in one process and one run, in interleaved rounds so that drift on
 * a shared machine falls on every variant alike.
 */

const WORDS = 'the deploy runbook says to check the dashboard then logs escalate after 15 minutes on call rotation pager service latency p99 region eu-west-1 customer ticket #4521 refund policy'.split(' ');
/** Prose-like text of about `bytes` bytes: a search hit or a file, as tools return. A run
 * of one repeated letter would look like base64 to a scanner, and cost it unfairly. */
function prose(bytes: number, seed: number): string {
  const out: string[] = [];
  let length = 0;
  for (let i = 0; length < bytes; i++) {
    const word = WORDS[(i * 7 + seed) % WORDS.length]!;
    out.push(i % 17 === 16 ? `${word}.\n` : word);
    length += word.length + 1;
  }
  return out.join(' ').slice(0, bytes);
}
const ARGS = { query: prose(900, 1), filters: { region: 'eu-west-1', limit: 50, tags: ['billing', 'refunds', 'eu'] } };
const RESULT_TEXT = prose(8 * 1024 - 40, 3);

/** Span records counted and dropped: the bench measures the server's side, not Kafka. */
class CountingTransport implements RecordTransport {
  readonly name = 'counting';
  count = 0;
  async send(records: KeyedRecord[]): Promise<void> {
    this.count += records.length;
  }
  async close(): Promise<void> {}
}

function buildServer(): McpServer {
  const server = new McpServer({ name: 'bench', version: '1.0.0' });
  server.registerTool(
    'search',
    { description: 'search', inputSchema: { query: z.string(), filters: z.object({ region: z.string(), limit: z.number(), tags: z.array(z.string()) }) } },
    async () => ({ content: [{ type: 'text', text: RESULT_TEXT }] }),
  );
  return server;
}

interface Variant {
  name: string;
  client: Client;
  samples: number[];
  totalNs: bigint;
}

async function variant(name: string, server: McpServer): Promise<Variant> {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: 'bench-client', version: '1' });
  await client.connect(clientSide);
  return { name, client, samples: [], totalNs: 0n };
}

const yieldToLoop = () => new Promise<void>((r) => setImmediate(r));

async function round(v: Variant, calls: number, record: boolean): Promise<void> {
  const started = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) {
    const t0 = process.hrtime.bigint();
    await v.client.callTool({ name: 'search', arguments: ARGS });
    const t1 = process.hrtime.bigint();
    if (record) v.samples.push(Number(t1 - t0) / 1000);
    // Each call gives the loop a turn, as a real server's I/O would: work the
    // instrumentation defers off the response path runs here, and is timed in totalNs.
    await yieldToLoop();
  }
  if (record) v.totalNs += process.hrtime.bigint() - started;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;

export interface VariantFigures {
  name: string;
  p50: number;
  p99: number;
  /** Wall time per call including the loop turn (and so deferred work), µs. */
  perCall: number;
}

async function measure(variants: Variant[], rounds: number, callsPerRound: number, progress: (done: number) => void): Promise<VariantFigures[]> {
  for (const v of variants) await round(v, 500, false); // warm-up: JIT, caches
  for (let r = 0; r < rounds; r++) {
    for (const v of variants) await round(v, callsPerRound, true);
    progress((r + 1) / rounds);
  }
  return variants.map((v) => {
    const sorted = [...v.samples].sort((a, b) => a - b);
    return { name: v.name, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), perCall: Number(v.totalNs) / 1000 / v.samples.length };
  });
}

export interface InstrumentBenchResult {
  calls: number;
  withoutSentry: VariantFigures[];
  withSentry: VariantFigures[];
  spansExported: number;
}

export async function benchInstrument(options: { rounds?: number; callsPerRound?: number; progress?: (label: string, done: number) => void } = {}): Promise<InstrumentBenchResult> {
  const rounds = options.rounds ?? 10;
  const callsPerRound = options.callsPerRound ?? 1000;
  const progress = options.progress ?? (() => {});
  const counting = new CountingTransport();
  const toolwatch = createInstrumentation({ exporter: new SpanRecordExporter(counting), redaction: { scanValue, redactValue } });

  // Phase 1: no Sentry in the process (Sentry.init installs global OTel context).
  const phase1 = await measure(
    [await variant('plain', buildServer()), await variant('toolwatch', toolwatch.instrument(buildServer()))],
    rounds,
    callsPerRound,
    (d) => progress('without Sentry in the process', d),
  );

  // Phase 2: Sentry initialised, spans sampled, sent nowhere.
  const Sentry = await import('@sentry/node');
  Sentry.init({
    dsn: 'https://public@127.0.0.1/1',
    tracesSampleRate: 1,
    transport: () => ({ send: async () => ({}), flush: async () => true }),
  });
  const phase2 = await measure(
    [
      await variant('plain', buildServer()),
      await variant('toolwatch', toolwatch.instrument(buildServer())),
      await variant('sentry', Sentry.wrapMcpServerWithSentry(buildServer())),
    ],
    rounds,
    callsPerRound,
    (d) => progress('with Sentry initialised', d),
  );
  await toolwatch.forceFlush();
  await Sentry.close(1000);
  return { calls: rounds * callsPerRound, withoutSentry: phase1, withSentry: phase2, spansExported: counting.count };
}
