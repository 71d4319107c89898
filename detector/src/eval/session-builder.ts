import { createHash } from 'node:crypto';
import { SERVICE_NAME, SESSION_SPAN_NAME, Semconv, TOOL_ERROR, Toolwatch, type SpanRecord } from '@toolwatch/schemas';
import type { Rng } from './prng.js';
import { listResponseBytes, server, type ClientSpec } from './world.js';

export type Args = Readonly<Record<string, string | number | boolean>>;

/** One tool call as a recipe wants it; the builder turns it into a span record. */
export interface Call {
  tool: string;
  args: Args;
  requestBytes: number;
  responseBytes: number;
  latencyMs: number;
  /** Pause before the call, counted from the end of the previous span. */
  gapMs: number;
  error?: boolean;
  argumentFindings?: Record<string, number>;
  resultFindings?: Record<string, number>;
}

export interface BuiltSpan {
  record: SpanRecord;
  /** Span end in µs: the order in which an exporter hands spans on. */
  endUs: number;
}

const PROTOCOL = '2025-06-18';

/** The SHA-256 of the canonical JSON of flat arguments: with sorted keys and primitive
 * values, JSON.stringify is RFC 8785's form, as the instrumentation hashes it. */
export function argumentsHash(args: Args): string {
  const sorted = Object.fromEntries(Object.keys(args).sort().map((k) => [k, args[k]]));
  return createHash('sha256').update(JSON.stringify(sorted)).digest('hex');
}

/**
 * Writes one MCP session as the instrumentation records it: one span per request and
 * notification, one after another in event time. Calls are sequential (the next starts
 * after the previous ended), so a session's order by start is its order by end.
 */
export class SessionBuilder {
  readonly spans: BuiltSpan[] = [];
  /** Bytes of tool results sent in this session. */
  resultBytes = 0;
  toolCalls = 0;
  onsetIndex: number | null = null;
  private cursorUs: number;
  private readonly openedUs: number;
  private requestId = 0;
  private readonly common: Record<string, string>;
  private readonly resource: Record<string, string>;
  private readonly hashes = new WeakMap<Args, string>();

  constructor(
    private readonly rng: Rng,
    readonly sessionKey: string,
    readonly service: string,
    readonly client: ClientSpec,
    startUs: number,
  ) {
    this.cursorUs = startUs;
    this.openedUs = startUs;
    const http = server(service).transport === 'http';
    this.common = {
      [Toolwatch.SESSION_KEY]: sessionKey,
      [Toolwatch.SESSION_KEY_SOURCE]: http ? 'mcp-session-id' : 'generated',
      ...(http
        ? { [Semconv.MCP_SESSION_ID]: sessionKey, [Semconv.NETWORK_TRANSPORT]: 'tcp', [Semconv.NETWORK_PROTOCOL_NAME]: 'http' }
        : { [Semconv.NETWORK_TRANSPORT]: 'pipe' }),
      [Toolwatch.CLIENT_NAME]: client.name,
      [Toolwatch.CLIENT_VERSION]: client.version,
      [Semconv.MCP_PROTOCOL_VERSION]: PROTOCOL,
    };
    this.resource = { [SERVICE_NAME]: service };
  }

  get nowUs(): number {
    return this.cursorUs;
  }

  /** The next span is the first of the hostile episode. */
  markOnset(): void {
    this.onsetIndex ??= this.spans.length;
  }

  initialize(): void {
    const sizes = { [Toolwatch.REQUEST_BYTES]: String(this.rng.int(180, 320)), [Toolwatch.RESPONSE_BYTES]: String(this.rng.int(380, 520)) };
    this.push('initialize', 'Server', sizes, this.rng.float(2, 40), this.rng.float(1, 4), true);
    this.push('notifications/initialized', 'Server', { [Toolwatch.REQUEST_BYTES]: '0' }, this.rng.float(1, 5), 0.05, false);
  }

  listTools(definitions: Record<string, string>, gapMs = this.rng.float(3, 40)): void {
    const count = Object.keys(definitions).length;
    this.push(
      'tools/list',
      'Server',
      {
        [Toolwatch.REQUEST_BYTES]: '0',
        [Toolwatch.RESPONSE_BYTES]: String(Math.round(listResponseBytes(count) * this.rng.jitter(0.02))),
        [Toolwatch.TOOLS_DEFINITIONS]: JSON.stringify(definitions),
      },
      gapMs,
      this.rng.float(1, 6),
      true,
    );
  }

  /** `notifications/tools/list_changed`, sent by the server: a CLIENT span. */
  listChanged(gapMs: number): void {
    this.push('notifications/tools/list_changed', 'Client', {}, gapMs, 0.05, false);
  }

  /** The `mcp.session` span the instrumentation writes when the connection closes: it
   * covers the connection from open to close, so it is exported last of its session. */
  close(gapMs: number): void {
    const closeUs = this.cursorUs + Math.max(1, Math.round(gapMs * 1000));
    this.cursorUs = closeUs;
    const attributes = { ...this.common, [Toolwatch.SESSION_END]: 'true' };
    this.spans.push({ record: this.record(SESSION_SPAN_NAME, 'Internal', attributes, this.openedUs, closeUs - this.openedUs, false), endUs: closeUs });
  }

  call(c: Call): void {
    let hash = this.hashes.get(c.args);
    if (!hash) this.hashes.set(c.args, (hash = argumentsHash(c.args)));
    const attributes: Record<string, string> = {
      [Semconv.GEN_AI_TOOL_NAME]: c.tool,
      [Semconv.GEN_AI_OPERATION_NAME]: 'execute_tool',
      [Toolwatch.REQUEST_BYTES]: String(Math.round(c.requestBytes)),
      [Toolwatch.RESPONSE_BYTES]: String(Math.round(c.responseBytes)),
      [Toolwatch.ARGUMENTS_HASH]: hash,
      [Toolwatch.ARGUMENTS_KEYS]: JSON.stringify(Object.keys(c.args).sort()),
      [Toolwatch.RESULT_CONTENT_ITEMS]: '1',
    };
    if (c.argumentFindings) attributes[Toolwatch.ARGUMENTS_FINDINGS] = JSON.stringify(c.argumentFindings);
    if (c.resultFindings) attributes[Toolwatch.RESULT_FINDINGS] = JSON.stringify(c.resultFindings);
    if (c.error) attributes[Semconv.ERROR_TYPE] = TOOL_ERROR;
    this.push('tools/call', 'Server', attributes, c.gapMs, c.latencyMs, true, c.tool, c.error);
    this.resultBytes += Math.round(c.responseBytes);
    this.toolCalls += 1;
  }

  private push(method: string, kind: 'Server' | 'Client', attributes: Record<string, string>, gapMs: number, latencyMs: number, request: boolean, tool = '', error = false): void {
    const startUs = this.cursorUs + Math.max(1, Math.round(gapMs * 1000));
    const durationUs = Math.max(1, Math.round(latencyMs * 1000));
    this.cursorUs = startUs + durationUs;
    const spanAttributes = {
      [Semconv.MCP_METHOD_NAME]: method,
      ...(request ? { [Semconv.JSONRPC_REQUEST_ID]: String(this.requestId++) } : {}),
      ...this.common,
      ...attributes,
    };
    const record = this.record(tool ? `${method} ${tool}` : method, kind, spanAttributes, startUs, durationUs, error);
    this.spans.push({ record, endUs: startUs + durationUs });
  }

  private record(name: string, kind: SpanRecord['SpanKind'], attributes: Record<string, string>, startUs: number, durationUs: number, error: boolean): SpanRecord {
    return {
      Timestamp: `${startUs}${String(this.rng.int(0, 999)).padStart(3, '0')}`,
      TraceId: this.rng.hex(16),
      SpanId: this.rng.hex(8),
      ParentSpanId: '',
      TraceState: '',
      SpanName: name,
      SpanKind: kind,
      ServiceName: this.service,
      ResourceAttributes: this.resource,
      ScopeName: '@toolwatch/collector',
      ScopeVersion: '0.1.0',
      SpanAttributes: attributes,
      Duration: durationUs * 1000,
      StatusCode: error ? 'Error' : 'Unset',
      StatusMessage: error ? TOOL_ERROR : '',
      Events: [],
      Links: [],
    };
  }
}
