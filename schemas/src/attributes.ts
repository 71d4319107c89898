/**
 * Attribute keys of a toolwatch span record.
 *
 * The MCP keys are the OpenTelemetry MCP semantic conventions (Development stability,
 * open-telemetry/semantic-conventions-genai docs/gen-ai/mcp.md). They are our own string
 * constants on purpose: the incubating exports of @opentelemetry/semantic-conventions may
 * rename or drop them, and a span record must not change shape when a dependency does.
 */
export const Semconv = {
  MCP_METHOD_NAME: 'mcp.method.name',
  MCP_SESSION_ID: 'mcp.session.id',
  MCP_PROTOCOL_VERSION: 'mcp.protocol.version',
  MCP_RESOURCE_URI: 'mcp.resource.uri',
  GEN_AI_TOOL_NAME: 'gen_ai.tool.name',
  GEN_AI_PROMPT_NAME: 'gen_ai.prompt.name',
  GEN_AI_OPERATION_NAME: 'gen_ai.operation.name',
  JSONRPC_REQUEST_ID: 'jsonrpc.request.id',
  JSONRPC_PROTOCOL_VERSION: 'jsonrpc.protocol.version',
  RPC_RESPONSE_STATUS_CODE: 'rpc.response.status_code',
  ERROR_TYPE: 'error.type',
  NETWORK_TRANSPORT: 'network.transport',
  NETWORK_PROTOCOL_NAME: 'network.protocol.name',
  NETWORK_PROTOCOL_VERSION: 'network.protocol.version',
  CLIENT_ADDRESS: 'client.address',
  CLIENT_PORT: 'client.port',
  /** Opt-in only, and then redacted: see the capture policy. */
  GEN_AI_TOOL_CALL_ARGUMENTS: 'gen_ai.tool.call.arguments',
  GEN_AI_TOOL_CALL_RESULT: 'gen_ai.tool.call.result',
} as const;

/**
 * What the conventions lack, in one documented namespace. Every value is a string in the
 * record (the `otel_traces` map is `Map(String, String)`), so numbers are decimal strings
 * and lists are JSON.
 */
export const Toolwatch = {
  /** The key the detector scores by and Kafka partitions by: `mcp.session.id` when the
   * transport has one, otherwise an id generated per connection (see SESSION_KEY_SOURCE). */
  SESSION_KEY: 'toolwatch.session.key',
  /** `mcp-session-id` or `generated` (stdio and stateless HTTP have no session id). */
  SESSION_KEY_SOURCE: 'toolwatch.session.key_source',
  /** `clientInfo` from the session's `initialize` request. */
  CLIENT_NAME: 'toolwatch.client.name',
  CLIENT_VERSION: 'toolwatch.client.version',
  /** OAuth client id, when the transport authenticated one. */
  CLIENT_ID: 'toolwatch.client.id',
  /** UTF-8 byte length of the JSON-RPC `params` received / `result` (or `error`) sent. */
  REQUEST_BYTES: 'toolwatch.request.bytes',
  RESPONSE_BYTES: 'toolwatch.response.bytes',
  /** SHA-256 (hex) of the RFC 8785 canonical JSON of the tool-call arguments. */
  ARGUMENTS_HASH: 'toolwatch.arguments.hash',
  /** JSON array of the sorted top-level argument names; names that do not look like
   * identifiers are replaced by `?` so that a value can never hide in a key. */
  ARGUMENTS_KEYS: 'toolwatch.arguments.keys',
  /** Number of `content[]` items in a tool result. */
  RESULT_CONTENT_ITEMS: 'toolwatch.result.content_items',
  /** JSON object rule id → count: what the secret/PII scan found in the tool-call
   * arguments, and in the result (or resource, prompt) sent back. Never the value. */
  ARGUMENTS_FINDINGS: 'toolwatch.arguments.findings',
  RESULT_FINDINGS: 'toolwatch.result.findings',
  /** JSON object rule id → count of values the redactor replaced in this span's own
   * attributes (captured previews, spans from other instrumentations). */
  REDACTION_FINDINGS: 'toolwatch.redaction.findings',
  /** On a `tools/list` span: JSON object tool name → SHA-256 of its canonical definition. */
  TOOLS_DEFINITIONS: 'toolwatch.tools.definitions',
  /** `true` when the span was cut short: cancelled, timed out or the connection closed. */
  INCOMPLETE: 'toolwatch.incomplete',
  /** `true` on the `mcp.session` span that marks the end of a connection (from its start
   * to its close): the detector learns what only a whole session teaches from it. */
  SESSION_END: 'toolwatch.session.end',
} as const;

export type SemconvKey = (typeof Semconv)[keyof typeof Semconv];
export type ToolwatchKey = (typeof Toolwatch)[keyof typeof Toolwatch];

/** Name of the INTERNAL span that covers one connection, ended when it closes. */
export const SESSION_SPAN_NAME = 'mcp.session';

/** `error.type` for a `tools/call` whose result has `isError: true`. */
export const TOOL_ERROR = 'tool_error';
/** `error.type` when no better value is known. */
export const OTHER_ERROR = '_OTHER';

/** The `ServiceName` resource attribute key of OpenTelemetry. */
export const SERVICE_NAME = 'service.name';

/** Redaction rule ids by what they find, so that readers of findings (the detector) can
 * tell a leaked secret from personal data or a path without knowing every rule: any rule
 * not named here finds a secret. */
export const PII_FINDING_RULES: readonly string[] = ['email', 'phone-number', 'credit-card', 'iban'];
export const PATH_FINDING_RULES: readonly string[] = ['sensitive-path'];
export const findingKind = (rule: string): 'secret' | 'pii' | 'path' =>
  PII_FINDING_RULES.includes(rule) ? 'pii' : PATH_FINDING_RULES.includes(rule) ? 'path' : 'secret';
