import { randomBytes } from 'node:crypto';
import { Semconv, Toolwatch, type SpanRecord } from '@toolwatch/schemas';

export interface SpanSpec {
  session: string;
  timeMs: number;
  method?: string;
  tool?: string;
  responseBytes?: number;
  argsHash?: string;
  service?: string;
  client?: string;
  /** For a tools/list span: the tool names it advertised, or names → definition hashes. */
  advertised?: string[] | Record<string, string>;
  argumentsFindings?: Record<string, number>;
  resultFindings?: Record<string, number>;
  /** The `mcp.session` span that closes the session. */
  sessionEnd?: boolean;
  spanId?: string;
}

/** A span record as the instrumentation writes it, for tests of what reads them. */
export function spanRecord(spec: SpanSpec): SpanRecord {
  const method = spec.method ?? 'tools/call';
  const attributes: Record<string, string> = {
    [Semconv.MCP_METHOD_NAME]: method,
    [Toolwatch.SESSION_KEY]: spec.session,
    [Toolwatch.SESSION_KEY_SOURCE]: 'generated',
    [Toolwatch.CLIENT_NAME]: spec.client ?? 'test-client',
    [Toolwatch.CLIENT_VERSION]: '1.0.0',
    [Toolwatch.RESPONSE_BYTES]: String(spec.responseBytes ?? 100),
  };
  if (spec.tool) attributes[Semconv.GEN_AI_TOOL_NAME] = spec.tool;
  if (spec.argsHash) attributes[Toolwatch.ARGUMENTS_HASH] = spec.argsHash;
  if (spec.advertised) {
    const definitions = Array.isArray(spec.advertised) ? Object.fromEntries(spec.advertised.map((t) => [t, 'ab'.repeat(32)])) : spec.advertised;
    attributes[Toolwatch.TOOLS_DEFINITIONS] = JSON.stringify(definitions);
  }
  if (spec.argumentsFindings) attributes[Toolwatch.ARGUMENTS_FINDINGS] = JSON.stringify(spec.argumentsFindings);
  if (spec.resultFindings) attributes[Toolwatch.RESULT_FINDINGS] = JSON.stringify(spec.resultFindings);
  if (spec.sessionEnd) {
    attributes[Toolwatch.SESSION_END] = 'true';
    delete attributes[Semconv.MCP_METHOD_NAME];
  }
  return {
    Timestamp: (BigInt(spec.timeMs) * 1_000_000n + 123n).toString(),
    TraceId: randomBytes(16).toString('hex'),
    SpanId: spec.spanId ?? randomBytes(8).toString('hex'),
    ParentSpanId: '',
    TraceState: '',
    SpanName: spec.tool ? `${method} ${spec.tool}` : method,
    SpanKind: 'Server',
    ServiceName: spec.service ?? 'svc',
    ResourceAttributes: { 'service.name': spec.service ?? 'svc' },
    ScopeName: '@toolwatch/collector',
    ScopeVersion: '0.1.0',
    SpanAttributes: attributes,
    Duration: 1_000_000,
    StatusCode: 'Unset',
    StatusMessage: '',
    Events: [],
    Links: [],
  };
}
