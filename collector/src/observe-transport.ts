import { randomUUID } from 'node:crypto';
import { context, SpanKind, SpanStatusCode, trace, type Attributes, type Span, type Tracer } from '@opentelemetry/api';
import { OTHER_ERROR, Semconv, TOOL_ERROR, Toolwatch } from '@toolwatch/schemas';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage, MessageExtraInfo } from '@modelcontextprotocol/sdk/types.js';
import { bounded, canonicalHash, jsonBytes, keyShape } from './summarize.js';

/**
 * Watches one MCP connection at its transport, where every message passes: also the ones
 * no handler sees (unknown methods, unknown tools, parse errors). One SERVER span per
 * request, from receipt to the response sent; one short span per notification.
 *
 * Nothing here may throw into the server: every hook is guarded, and the original
 * transport behaviour runs whatever happens to the span.
 */

type Json = Record<string, unknown>;

interface Pending {
  span: Span;
  method: string;
}

export interface ObserveOptions {
  tracer: Tracer;
  /** Called when a hook fails; the failure never reaches the server. */
  onInternalError?: (err: unknown) => void;
}

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export function observeTransport(transport: Transport, options: ObserveOptions): void {
  const { tracer } = options;
  const guard = (fn: () => void) => {
    try {
      fn();
    } catch (err) {
      options.onInternalError?.(err);
    }
  };
  const generatedKey = randomUUID();
  const pending = new Map<string, Pending>();
  const network = networkAttributes(transport);
  let client: Attributes = {};

  const sessionAttributes = (): Attributes => {
    const sessionId = transport.sessionId;
    return sessionId
      ? {
          [Semconv.MCP_SESSION_ID]: sessionId,
          [Toolwatch.SESSION_KEY]: sessionId,
          [Toolwatch.SESSION_KEY_SOURCE]: 'mcp-session-id',
        }
      : { [Toolwatch.SESSION_KEY]: generatedKey, [Toolwatch.SESSION_KEY_SOURCE]: 'generated' };
  };

  const startSpan = (message: Json, extra: MessageExtraInfo | undefined): Span => {
    const method = bounded(String(message.method));
    const params = isObject(message.params) ? message.params : undefined;
    const attributes: Attributes = {
      [Semconv.MCP_METHOD_NAME]: method,
      ...network,
      ...sessionAttributes(),
      ...client,
      [Toolwatch.REQUEST_BYTES]: jsonBytes(message.params),
    };
    if (message.id !== undefined && message.id !== null) attributes[Semconv.JSONRPC_REQUEST_ID] = bounded(String(message.id));
    const clientId = extra?.authInfo?.clientId;
    if (clientId) attributes[Toolwatch.CLIENT_ID] = bounded(clientId);

    let target = '';
    if (method === 'tools/call' && params) {
      target = bounded(String(params.name ?? ''));
      attributes[Semconv.GEN_AI_TOOL_NAME] = target;
      attributes[Semconv.GEN_AI_OPERATION_NAME] = 'execute_tool';
      attributes[Toolwatch.ARGUMENTS_HASH] = canonicalHash(params.arguments ?? {});
      attributes[Toolwatch.ARGUMENTS_KEYS] = JSON.stringify(keyShape(params.arguments));
    } else if (method === 'prompts/get' && params) {
      target = bounded(String(params.name ?? ''));
      attributes[Semconv.GEN_AI_PROMPT_NAME] = target;
    } else if (method === 'initialize' && params) {
      if (typeof params.protocolVersion === 'string') attributes[Semconv.MCP_PROTOCOL_VERSION] = bounded(params.protocolVersion, 32);
    }
    return tracer.startSpan(target ? `${method} ${target}` : method, { kind: SpanKind.SERVER, attributes });
  };

  const onRequestOrNotification = (message: Json, extra: MessageExtraInfo | undefined): Span | undefined => {
    if (message.method === 'initialize' && isObject(message.params)) client = clientAttributes(message.params);
    const span = startSpan(message, extra);
    if (message.id === undefined || message.id === null) {
      if (message.method === 'notifications/cancelled' && isObject(message.params)) {
        endIncomplete(idKey(message.params.requestId), 'cancelled');
      }
      span.end();
      return undefined;
    }
    pending.set(idKey(message.id), { span, method: String(message.method) });
    return span;
  };

  const onResponse = (message: Json) => {
    const key = idKey(message.id);
    const entry = pending.get(key);
    if (!entry) return; // a response to a request the server did not receive through us
    pending.delete(key);
    const { span, method } = entry;
    if (isObject(message.error)) {
      const code = message.error.code;
      span.setAttributes({
        [Toolwatch.RESPONSE_BYTES]: jsonBytes(message.error),
        [Semconv.ERROR_TYPE]: typeof code === 'number' ? String(code) : OTHER_ERROR,
        ...(typeof code === 'number' ? { [Semconv.RPC_RESPONSE_STATUS_CODE]: String(code) } : {}),
      });
      span.setStatus({ code: SpanStatusCode.ERROR, message: standardErrorMessage(code) });
    } else {
      const result = isObject(message.result) ? message.result : {};
      span.setAttribute(Toolwatch.RESPONSE_BYTES, jsonBytes(message.result));
      if (method === 'tools/call') {
        if (Array.isArray(result.content)) span.setAttribute(Toolwatch.RESULT_CONTENT_ITEMS, result.content.length);
        if (result.isError === true) {
          span.setAttribute(Semconv.ERROR_TYPE, TOOL_ERROR);
          // The tool's own error text can quote its input; only the type leaves the process.
          span.setStatus({ code: SpanStatusCode.ERROR, message: TOOL_ERROR });
        }
      } else if (method === 'tools/list' && Array.isArray(result.tools)) {
        span.setAttribute(Toolwatch.TOOLS_DEFINITIONS, JSON.stringify(toolDefinitionHashes(result.tools)));
      } else if (method === 'initialize' && typeof result.protocolVersion === 'string') {
        span.setAttribute(Semconv.MCP_PROTOCOL_VERSION, bounded(result.protocolVersion, 32));
      }
    }
    span.end();
  };

  const endIncomplete = (key: string, reason: string) => {
    const entry = pending.get(key);
    if (!entry) return;
    pending.delete(key);
    entry.span.setAttributes({ [Toolwatch.INCOMPLETE]: true, [Semconv.ERROR_TYPE]: reason });
    entry.span.setStatus({ code: SpanStatusCode.ERROR, message: reason });
    entry.span.end();
  };

  const originalOnMessage = transport.onmessage;
  transport.onmessage = (message: JSONRPCMessage, extra?: MessageExtraInfo) => {
    let span: Span | undefined;
    guard(() => {
      const m = message as unknown as Json;
      if (typeof m.method === 'string') span = onRequestOrNotification(m, extra);
    });
    // The handler runs inside the span's context, so spans it starts nest under it.
    const run = () => originalOnMessage?.call(transport, message, extra);
    return span ? context.with(trace.setSpan(context.active(), span), run) : run();
  };

  const originalSend = transport.send.bind(transport);
  transport.send = (message, sendOptions) => {
    // The message goes to the transport first: measuring a large result must not delay it.
    const sent = originalSend(message, sendOptions);
    guard(() => {
      const m = message as unknown as Json;
      if (m.method === undefined && m.id !== undefined && ('result' in m || 'error' in m)) onResponse(m);
    });
    return sent;
  };

  const originalOnClose = transport.onclose;
  transport.onclose = () => {
    guard(() => {
      for (const key of [...pending.keys()]) endIncomplete(key, 'connection_closed');
    });
    originalOnClose?.call(transport);
  };
}

const idKey = (id: unknown): string => `${typeof id}:${String(id)}`;

function clientAttributes(params: Json): Attributes {
  const info = isObject(params.clientInfo) ? params.clientInfo : {};
  return {
    [Toolwatch.CLIENT_NAME]: bounded(String(info.name ?? ''), 64),
    [Toolwatch.CLIENT_VERSION]: bounded(String(info.version ?? ''), 32),
  };
}

/** Name → SHA-256 of the whole canonical definition (description, schemas, annotations):
 * any change to what the model reads about a tool changes the hash. */
function toolDefinitionHashes(tools: unknown[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const tool of tools.slice(0, 1000)) {
    if (isObject(tool) && typeof tool.name === 'string') out[bounded(tool.name)] = canonicalHash(tool);
  }
  return out;
}

// The JSON-RPC and MCP standard messages only: a server's own error message can quote input.
const STANDARD_ERRORS: Record<number, string> = {
  [-32700]: 'Parse error',
  [-32600]: 'Invalid Request',
  [-32601]: 'Method not found',
  [-32602]: 'Invalid params',
  [-32603]: 'Internal error',
  [-32000]: 'Connection closed',
  [-32001]: 'Request timed out',
  [-32002]: 'Resource not found',
};
const standardErrorMessage = (code: unknown): string =>
  (typeof code === 'number' && STANDARD_ERRORS[code]) || 'error';

function networkAttributes(transport: Transport): Attributes {
  const name = transport.constructor?.name ?? '';
  if (/Stdio/i.test(name)) return { [Semconv.NETWORK_TRANSPORT]: 'pipe' };
  if (/StreamableHTTP/i.test(name)) return { [Semconv.NETWORK_TRANSPORT]: 'tcp', [Semconv.NETWORK_PROTOCOL_NAME]: 'http' };
  if (/SSE/i.test(name)) return { [Semconv.NETWORK_TRANSPORT]: 'tcp', [Semconv.NETWORK_PROTOCOL_NAME]: 'http', [Semconv.NETWORK_PROTOCOL_VERSION]: '1.1' };
  return {};
}
