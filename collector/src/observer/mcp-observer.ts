import { randomUUID } from 'node:crypto';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, context, type Attributes, type Span, type Tracer } from '@opentelemetry/api';
import { hrTime, hrTimeDuration, hrTimeToMilliseconds } from '@opentelemetry/core';
import { OTHER_ERROR, Semconv, SESSION_SPAN_NAME, TOOL_ERROR, Toolwatch } from '@toolwatch/schemas';
import type { MessageExtraInfo } from '@modelcontextprotocol/sdk/types.js';
import type { FindingCounts, RedactedValue, ValueScan } from '../redaction/api.js';
import { bounded, canonicalHash, jsonBytes, keyShape } from '../summarize.js';
import type { DeferredWork } from './deferred-work.js';
import type { McpMetrics } from './metrics.js';
import {
  clientInfoAttributes,
  isObject,
  messageAttributes,
  requestOriginAttributes,
  standardErrorMessage,
  toolDefinitionHashes,
  type Json,
} from './span-attributes.js';
import { contextFromMeta } from './trace-context.js';

/** The scanner the observer uses on arguments and results (collector/src/redaction). */
export interface Redaction {
  scanValue(value: unknown): ValueScan;
  redactValue<T>(value: T): RedactedValue<T>;
}

/** Opt-in, per tool: redacted arguments and results on the span, as the conventions'
 * `gen_ai.tool.call.arguments` / `.result`. Off for every tool by default. */
export interface CapturePolicy {
  /** Tool name (or `*` for every tool) → what to capture. */
  tools: Record<string, { arguments?: boolean; result?: boolean }>;
  maxChars: number;
}

export interface ObserverSettings {
  tracer: Tracer;
  metrics: McpMetrics;
  deferred: DeferredWork;
  redaction?: Redaction;
  capture?: CapturePolicy;
  /** A request with no answer after this long ends its span with `error.type=timeout`. */
  requestTimeoutMs: number;
  /** Methods not worth a span each (progress notifications can come by the thousand). */
  ignoreMethods: ReadonlySet<string>;
  onInternalError?: (err: unknown) => void;
}

export interface Connection {
  network: Attributes;
  sessionId(): string | undefined;
}

interface Pending {
  span: Span;
  method: string;
  params: Json | undefined;
  start: [number, number];
  attributes: Attributes;
}

const idKey = (id: unknown): string => `${typeof id}:${String(id)}`;

/**
 * Everything one MCP connection says, seen from the server: requests and notifications it
 * receives become SERVER spans, requests and notifications it sends (sampling,
 * elicitation, list-changed) CLIENT spans. Transport-agnostic: the SDK transport wrapper
 * and the stdio proxy feed it the same way.
 */
export class McpObserver {
  private readonly incoming = new Map<string, Pending>();
  private readonly outgoing = new Map<string, Pending>();
  private readonly generatedKey = randomUUID();
  private readonly opened = hrTime();
  private session: Attributes = {};
  private ended = false;

  constructor(
    private readonly settings: ObserverSettings,
    private readonly connection: Connection,
  ) {
    live.add(this);
    ensureSweeper();
  }

  /** A message from the client. Returns the span its handler should run in. */
  received(message: Json, extra?: MessageExtraInfo): Span | undefined {
    if (typeof message.method === 'string') return this.receivedCall(message, extra);
    if (message.id !== undefined && ('result' in message || 'error' in message)) {
      const entry = this.take(this.outgoing, message.id);
      if (entry) this.finish(entry, message, 'client');
    }
    return undefined;
  }

  /** A message to the client, after it was handed to the transport. */
  sent(message: Json, relatedRequestId?: unknown): void {
    if (typeof message.method !== 'string') {
      if (message.id === undefined || !('result' in message || 'error' in message)) return;
      const entry = this.take(this.incoming, message.id);
      if (entry) this.finish(entry, message, 'server');
      return;
    }
    if (this.settings.ignoreMethods.has(message.method)) return;
    const params = isObject(message.params) ? message.params : undefined;
    const { name, attributes } = messageAttributes(bounded(message.method), message.id, params);
    Object.assign(attributes, this.connectionAttributes());
    // A server request made while handling a client request (sampling during a tool call)
    // is a child of that request's span.
    const related = relatedRequestId === undefined ? undefined : this.incoming.get(idKey(relatedRequestId));
    const parent = related ? trace.setSpan(context.active(), related.span) : context.active();
    const span = this.settings.tracer.startSpan(name, { kind: SpanKind.CLIENT, attributes }, parent);
    const entry: Pending = { span, method: message.method, params, start: hrTime(), attributes };
    if (message.id === undefined || message.id === null) this.finish(entry, undefined, 'client');
    else this.outgoing.set(idKey(message.id), entry);
  }

  /** The connection is gone: what is still pending will never be answered. */
  closed(): void {
    if (this.ended) return;
    this.ended = true;
    live.delete(this);
    for (const key of [...this.incoming.keys()]) this.abandon(this.incoming, key, 'connection_closed');
    for (const key of [...this.outgoing.keys()]) this.abandon(this.outgoing, key, 'connection_closed');
    const now = hrTime();
    const attributes = this.connectionAttributes();
    this.settings.metrics.session(hrTimeToMilliseconds(hrTimeDuration(this.opened, now)) / 1000, attributes);
    // One span over the whole connection tells the detector the session is over now,
    // rather than after an idle time-out. It ends through the same FIFO as the spans still
    // being measured, so it is exported after them, last of its session.
    const span = this.settings.tracer.startSpan(
      SESSION_SPAN_NAME,
      { kind: SpanKind.INTERNAL, startTime: this.opened, attributes: { ...attributes, [Toolwatch.SESSION_END]: true } },
      ROOT_CONTEXT,
    );
    if (!this.settings.deferred.offer(() => span.end(now))) span.end(now);
  }

  /** Ends requests that waited longer than the time-out. */
  sweep(nowMs = Date.now()): void {
    const limit = nowMs - this.settings.requestTimeoutMs;
    for (const map of [this.incoming, this.outgoing]) {
      for (const [key, entry] of map) {
        // hrTime() is epoch-based (time origin plus performance.now()), like Date.now().
        if (hrTimeToMilliseconds(entry.start) < limit) this.abandon(map, key, 'timeout');
      }
    }
  }

  private receivedCall(message: Json, extra: MessageExtraInfo | undefined): Span | undefined {
    const method = bounded(message.method as string);
    const params = isObject(message.params) ? message.params : undefined;
    if (method === 'initialize' && params) this.session = clientInfoAttributes(params);
    if (this.settings.ignoreMethods.has(method)) return undefined;
    const { name, attributes } = messageAttributes(method, message.id, params);
    Object.assign(attributes, this.connectionAttributes(), requestOriginAttributes(extra));
    const { parent, links } = contextFromMeta(params);
    const span = this.settings.tracer.startSpan(name, { kind: SpanKind.SERVER, attributes, links }, parent);
    const entry: Pending = { span, method, params, start: hrTime(), attributes };
    if (message.id !== undefined && message.id !== null) {
      this.incoming.set(idKey(message.id), entry);
      return span;
    }
    if (method === 'notifications/cancelled' && params) this.abandon(this.incoming, idKey(params.requestId), 'cancelled');
    this.finish(entry, undefined, 'server');
    return span;
  }

  private connectionAttributes(): Attributes {
    const sessionId = this.connection.sessionId();
    const key: Attributes = sessionId
      ? { [Semconv.MCP_SESSION_ID]: sessionId, [Toolwatch.SESSION_KEY]: sessionId, [Toolwatch.SESSION_KEY_SOURCE]: 'mcp-session-id' }
      : { [Toolwatch.SESSION_KEY]: this.generatedKey, [Toolwatch.SESSION_KEY_SOURCE]: 'generated' };
    return { ...this.connection.network, ...key, ...this.session };
  }

  private take(map: Map<string, Pending>, id: unknown): Pending | undefined {
    const key = idKey(id);
    const entry = map.get(key);
    map.delete(key);
    return entry;
  }

  private abandon(map: Map<string, Pending>, key: string, reason: string): void {
    const entry = map.get(key);
    if (!entry) return;
    map.delete(key);
    entry.span.setAttributes({ [Toolwatch.INCOMPLETE]: true, [Semconv.ERROR_TYPE]: reason });
    entry.attributes[Semconv.ERROR_TYPE] = reason;
    entry.span.setStatus({ code: SpanStatusCode.ERROR, message: reason });
    this.finish(entry, undefined, map === this.outgoing ? 'client' : 'server');
  }

  /** Status now; sizes, hashes and the scan after the response has gone out. */
  private finish(entry: Pending, response: Json | undefined, side: 'server' | 'client'): void {
    const end = hrTime();
    const { span, attributes } = entry;
    const error = response && isObject(response.error) ? response.error : undefined;
    const result = response && isObject(response.result) ? response.result : undefined;
    if (error) {
      const code = error.code;
      const type = typeof code === 'number' ? String(code) : OTHER_ERROR;
      attributes[Semconv.ERROR_TYPE] = type;
      span.setAttribute(Semconv.ERROR_TYPE, type);
      if (typeof code === 'number') {
        attributes[Semconv.RPC_RESPONSE_STATUS_CODE] = String(code);
        span.setAttribute(Semconv.RPC_RESPONSE_STATUS_CODE, String(code));
      }
      span.setStatus({ code: SpanStatusCode.ERROR, message: standardErrorMessage(code) });
    } else if (result?.isError === true && entry.method === 'tools/call') {
      attributes[Semconv.ERROR_TYPE] = TOOL_ERROR;
      span.setAttribute(Semconv.ERROR_TYPE, TOOL_ERROR);
      // The tool's own error text can quote its input: only the type leaves the process.
      span.setStatus({ code: SpanStatusCode.ERROR, message: TOOL_ERROR });
    }
    const complete = (scan: boolean) => {
      if (!span.isRecording()) return;
      span.setAttributes(this.measure(entry, response, result, scan));
      span.end(end);
      this.settings.metrics.operation(side, hrTimeToMilliseconds(hrTimeDuration(entry.start, end)) / 1000, attributes);
    };
    if (!this.settings.deferred.offer(() => complete(true))) {
      // Overloaded: measure now, skip the scan, and say so on the span.
      span.setAttribute('toolwatch.redaction.skipped', true);
      complete(false);
    }
  }

  private measure(entry: Pending, response: Json | undefined, result: Json | undefined, scan: boolean): Attributes {
    const out: Attributes = { [Toolwatch.REQUEST_BYTES]: jsonBytes(entry.params) };
    if (response) out[Toolwatch.RESPONSE_BYTES] = jsonBytes(response.result ?? response.error);
    const redaction = scan ? this.settings.redaction : undefined;
    if (entry.method === 'tools/call') {
      const args = entry.params?.arguments ?? {};
      out[Toolwatch.ARGUMENTS_HASH] = canonicalHash(args);
      out[Toolwatch.ARGUMENTS_KEYS] = JSON.stringify(keyShape(args));
      if (result && Array.isArray(result.content)) out[Toolwatch.RESULT_CONTENT_ITEMS] = result.content.length;
      if (redaction) {
        setFindings(out, Toolwatch.ARGUMENTS_FINDINGS, redaction.scanValue(args));
        if (response) setFindings(out, Toolwatch.RESULT_FINDINGS, redaction.scanValue(response.result ?? response.error));
        this.capture(out, entry, result, redaction);
      }
    } else if (entry.method === 'tools/list' && result && Array.isArray(result.tools)) {
      out[Toolwatch.TOOLS_DEFINITIONS] = JSON.stringify(toolDefinitionHashes(result.tools));
    } else if (redaction && response && (entry.method === 'resources/read' || entry.method === 'prompts/get')) {
      setFindings(out, Toolwatch.RESULT_FINDINGS, redaction.scanValue(response.result));
    }
    if (entry.method === 'initialize' && result && typeof result.protocolVersion === 'string') {
      out[Semconv.MCP_PROTOCOL_VERSION] = bounded(result.protocolVersion, 32);
    }
    return out;
  }

  private capture(out: Attributes, entry: Pending, result: Json | undefined, redaction: Redaction): void {
    const policy = this.settings.capture;
    const tool = policy && (policy.tools[String(entry.params?.name ?? '')] ?? policy.tools['*']);
    if (!policy || !tool) return;
    const preview = (value: unknown) => {
      const redacted = redaction.redactValue(value);
      const text = JSON.stringify(redacted.value) ?? '';
      return text.length > policy.maxChars ? `${text.slice(0, policy.maxChars)}…` : text;
    };
    if (tool.arguments) out[Semconv.GEN_AI_TOOL_CALL_ARGUMENTS] = preview(entry.params?.arguments ?? {});
    if (tool.result && result) out[Semconv.GEN_AI_TOOL_CALL_RESULT] = preview(result);
  }
}

function setFindings(out: Attributes, key: string, scan: ValueScan): void {
  const counts: FindingCounts = scan.findings;
  if (Object.keys(counts).length > 0) out[key] = JSON.stringify(counts);
  if (scan.truncated) out['toolwatch.redaction.truncated'] = true;
}

const live = new Set<McpObserver>();
let sweeper: NodeJS.Timeout | undefined;
function ensureSweeper(): void {
  if (sweeper) return;
  sweeper = setInterval(() => {
    for (const observer of live) observer.sweep();
    if (live.size === 0) {
      clearInterval(sweeper);
      sweeper = undefined;
    }
  }, 5_000);
  sweeper.unref();
}
