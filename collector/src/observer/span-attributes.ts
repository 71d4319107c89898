import type { Attributes } from '@opentelemetry/api';
import { Semconv, Toolwatch } from '@toolwatch/schemas';
import type { MessageExtraInfo } from '@modelcontextprotocol/sdk/types.js';
import { CLIENT_ADDRESS_HEADER } from '../client-address.js';
import { bounded, canonicalHash } from '../summarize.js';

export type Json = Record<string, unknown>;
export const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

const RESOURCE_METHODS = new Set(['resources/read', 'resources/subscribe', 'resources/unsubscribe', 'notifications/resources/updated']);

/** Name and attributes of the span for an MCP message, from its method and params. */
export function messageAttributes(method: string, id: unknown, params: Json | undefined): { name: string; attributes: Attributes } {
  const attributes: Attributes = { [Semconv.MCP_METHOD_NAME]: method };
  if (id !== undefined && id !== null) attributes[Semconv.JSONRPC_REQUEST_ID] = bounded(String(id));
  let target = '';
  if (method === 'tools/call' && params) {
    target = bounded(String(params.name ?? ''));
    attributes[Semconv.GEN_AI_TOOL_NAME] = target;
    attributes[Semconv.GEN_AI_OPERATION_NAME] = 'execute_tool';
  } else if (method === 'prompts/get' && params) {
    target = bounded(String(params.name ?? ''));
    attributes[Semconv.GEN_AI_PROMPT_NAME] = target;
  } else if (RESOURCE_METHODS.has(method) && params && typeof params.uri === 'string') {
    // A URI can carry a token in its query: keep scheme, host and path only.
    attributes[Semconv.MCP_RESOURCE_URI] = bounded(withoutQuery(params.uri), 256);
  }
  return { name: target ? `${method} ${target}` : method, attributes };
}

function withoutQuery(uri: string): string {
  const cut = uri.search(/[?#]/);
  return cut === -1 ? uri : uri.slice(0, cut);
}

/** `clientInfo` of an `initialize` request. */
export function clientInfoAttributes(params: Json): Attributes {
  const info = isObject(params.clientInfo) ? params.clientInfo : {};
  const out: Attributes = {
    [Toolwatch.CLIENT_NAME]: bounded(String(info.name ?? ''), 64),
    [Toolwatch.CLIENT_VERSION]: bounded(String(info.version ?? ''), 32),
  };
  if (typeof params.protocolVersion === 'string') out[Semconv.MCP_PROTOCOL_VERSION] = bounded(params.protocolVersion, 32);
  return out;
}

/** Who sent a message over HTTP: the OAuth client, the original address behind proxies,
 * the user agent. The SDK gives no socket address; the HTTP proxy mode adds it. */
export function requestOriginAttributes(extra: MessageExtraInfo | undefined): Attributes {
  const out: Attributes = {};
  const clientId = extra?.authInfo?.clientId;
  if (clientId) out[Toolwatch.CLIENT_ID] = bounded(clientId, 128);
  const headers = extra?.requestInfo?.headers;
  if (!headers) return out;
  const header = (name: string) => {
    const v = headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  // The original client behind proxies first (the conventions' client.address), else the
  // socket peer that the clientAddress() middleware recorded.
  const forwarded = header('x-forwarded-for')?.split(',')[0]?.trim() || header('x-real-ip')?.trim();
  const [socketAddress, socketPort] = (header(CLIENT_ADDRESS_HEADER) ?? '').split(' ');
  const address = forwarded || socketAddress;
  if (address && /^[0-9a-fA-F:.]{2,45}$/.test(address)) {
    out[Semconv.CLIENT_ADDRESS] = address;
    if (!forwarded && socketPort && /^\d{1,5}$/.test(socketPort)) out[Semconv.CLIENT_PORT] = Number(socketPort);
  }
  const agent = header('user-agent');
  if (agent) out['user_agent.original'] = bounded(agent, 256);
  return out;
}

/** Name → SHA-256 of the whole canonical definition (description, schemas, annotations):
 * any change to what the model reads about a tool changes the hash. */
export function toolDefinitionHashes(tools: unknown[]): Record<string, string> {
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
  [-32042]: 'URL elicitation required',
};
export const standardErrorMessage = (code: unknown): string => (typeof code === 'number' && STANDARD_ERRORS[code]) || 'error';

/** `network.*` from the transport's class: the SDK's transports are named for what they are. */
export function networkAttributes(transportName: string): Attributes {
  if (/Stdio/i.test(transportName)) return { [Semconv.NETWORK_TRANSPORT]: 'pipe' };
  if (/StreamableHTTP/i.test(transportName)) return { [Semconv.NETWORK_TRANSPORT]: 'tcp', [Semconv.NETWORK_PROTOCOL_NAME]: 'http' };
  if (/SSE/i.test(transportName)) return { [Semconv.NETWORK_TRANSPORT]: 'tcp', [Semconv.NETWORK_PROTOCOL_NAME]: 'http' };
  if (/WebSocket/i.test(transportName)) return { [Semconv.NETWORK_TRANSPORT]: 'tcp', [Semconv.NETWORK_PROTOCOL_NAME]: 'websocket' };
  return {};
}
