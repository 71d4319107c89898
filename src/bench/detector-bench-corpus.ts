import { createHash } from 'node:crypto';
import { Semconv, Toolwatch, type SpanRecord } from '@toolwatch/schemas';

/**
 * A deterministic mix of MCP sessions as the instrumentation records them: mostly benign
 * agents (initialize, tools/list, tasks of 5 to 8 varied calls, the odd resource read),
 * some bursty batch jobs, and a few hostile sessions (loops, bulk reads, unadvertised
 * tools). Attribute sets and sizes follow what `instrument()` puts on a span.
 */
export interface CorpusOptions {
  spans: number;
  seed?: number;
  startMs?: number;
}

const SERVICES = ['docs-server', 'github-server', 'filesystem', 'crm-server'];
const CLIENTS = ['claude-desktop', 'cursor', 'support-bot', 'batch-indexer', 'vscode-copilot'];
const TOOLS = ['search', 'read_file', 'list_dir', 'get_issue', 'create_comment', 'query_db', 'summarise', 'fetch_url', 'write_file', 'get_customer'];
const ARG_KEYS = [['query'], ['path'], ['path', 'recursive'], ['owner', 'repo', 'number'], ['body', 'issue'], ['limit', 'sql'], ['text'], ['url'], ['content', 'path'], ['id']];

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0) / 2 ** 32);
}

const hex = (seed: string, bytes: number) => createHash('sha256').update(seed).digest('hex').slice(0, bytes * 2);

export function generateCorpus(options: CorpusOptions): SpanRecord[] {
  const random = prng(options.seed ?? 42);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const start = options.startMs ?? 1_763_700_000_000;
  const definitions = JSON.stringify(Object.fromEntries(TOOLS.slice(0, 8).map((t) => [t, hex(`def:${t}`, 32)])));
  const records: SpanRecord[] = [];
  for (let s = 0; records.length < options.spans; s++) {
    const session = hex(`session:${s}`, 16);
    const service = pick(SERVICES);
    const client = pick(CLIENTS);
    let t = start + Math.floor(random() * 3_600_000) + s * 50; // sessions overlap: hundreds at once
    let request = 0;
    const span = (method: string, attrs: Record<string, string>, durationMs: number) => {
      request += 1;
      const spanSeed = `${s}:${request}`;
      const tool = attrs[Semconv.GEN_AI_TOOL_NAME];
      records.push({
        Timestamp: (BigInt(t) * 1_000_000n + BigInt(Math.floor(random() * 1e6))).toString(),
        TraceId: hex(`trace:${spanSeed}`, 16),
        SpanId: hex(`span:${spanSeed}`, 8),
        ParentSpanId: '',
        TraceState: '',
        SpanName: tool ? `${method} ${tool}` : method,
        SpanKind: 'Server',
        ServiceName: service,
        ResourceAttributes: { 'service.name': service, 'service.version': '1.4.2' },
        ScopeName: '@toolwatch/collector',
        ScopeVersion: '0.1.0',
        SpanAttributes: {
          [Semconv.MCP_METHOD_NAME]: method,
          [Semconv.MCP_SESSION_ID]: session,
          [Toolwatch.SESSION_KEY]: session,
          [Toolwatch.SESSION_KEY_SOURCE]: 'mcp-session-id',
          [Toolwatch.CLIENT_NAME]: client,
          [Toolwatch.CLIENT_VERSION]: '1.2.0',
          [Semconv.MCP_PROTOCOL_VERSION]: '2025-06-18',
          [Semconv.JSONRPC_REQUEST_ID]: String(request),
          [Semconv.JSONRPC_PROTOCOL_VERSION]: '2.0',
          [Semconv.NETWORK_TRANSPORT]: 'tcp',
          [Semconv.NETWORK_PROTOCOL_NAME]: 'http',
          [Semconv.NETWORK_PROTOCOL_VERSION]: '1.1',
          ...attrs,
        },
        Duration: Math.round(durationMs * 1e6),
        StatusCode: 'Unset',
        StatusMessage: '',
        Events: [],
        Links: [],
      });
      t += Math.max(1, Math.round(durationMs));
    };
    const call = (tool: string, responseBytes: number, argsSeed: string) => {
      const i = TOOLS.indexOf(tool);
      span('tools/call', {
        [Semconv.GEN_AI_TOOL_NAME]: tool,
        [Semconv.GEN_AI_OPERATION_NAME]: 'execute_tool',
        [Toolwatch.REQUEST_BYTES]: String(40 + Math.floor(random() * 400)),
        [Toolwatch.RESPONSE_BYTES]: String(responseBytes),
        [Toolwatch.ARGUMENTS_HASH]: hex(`args:${argsSeed}`, 32),
        [Toolwatch.ARGUMENTS_KEYS]: JSON.stringify(ARG_KEYS[i < 0 ? 0 : i]),
        [Toolwatch.RESULT_CONTENT_ITEMS]: '1',
      }, 5 + random() * 200);
    };

    span('initialize', { [Toolwatch.REQUEST_BYTES]: '180', [Toolwatch.RESPONSE_BYTES]: '420' }, 2);
    span('tools/list', { [Toolwatch.REQUEST_BYTES]: '2', [Toolwatch.RESPONSE_BYTES]: '6200', [Toolwatch.TOOLS_DEFINITIONS]: definitions }, 3);
    const kind = random();
    if (kind < 0.01) {
      for (let i = 0; i < 60; i++, t += 300) call('search', 900, `loop:${s}`); // loop
    } else if (kind < 0.015) {
      for (let i = 0; i < 6; i++, t += 4_000) call('read_file', 400_000 + Math.floor(random() * 200_000), `bulk:${s}:${i}`); // bulk egress
    } else if (kind < 0.02) {
      call('admin_export', 120, `hidden:${s}`); // never advertised
    } else if (kind < 0.1) {
      for (let i = 0; i < 25; i++, t += 150) call(pick(TOOLS.slice(0, 3)), 300 + Math.floor(random() * 3_000), `batch:${s}:${i}`); // benign batch job
    } else {
      const tasks = 1 + Math.floor(random() * 3);
      for (let task = 0; task < tasks; task++) {
        const calls = 5 + Math.floor(random() * 4);
        for (let c = 0; c < calls; c++) {
          t += 1_000 + Math.floor(random() * 15_000); // the model thinks between calls
          const bytes = random() < 0.03 ? 60_000 + Math.floor(random() * 200_000) : 200 + Math.floor(random() * 6_000);
          call(pick(TOOLS.slice(0, 8)), bytes, `${s}:${task}:${c}`);
        }
        if (random() < 0.3) span('resources/read', { [Semconv.MCP_RESOURCE_URI]: `file:///docs/${task}.md`, [Toolwatch.RESPONSE_BYTES]: String(2_000 + Math.floor(random() * 20_000)) }, 4);
        t += 20_000 + Math.floor(random() * 60_000);
      }
    }
  }
  records.length = options.spans;
  // Event-time order, as a topic partitioned by session delivers it (roughly).
  return records.sort((a, b) => (a.Timestamp.length - b.Timestamp.length) || (a.Timestamp < b.Timestamp ? -1 : a.Timestamp > b.Timestamp ? 1 : 0));
}
