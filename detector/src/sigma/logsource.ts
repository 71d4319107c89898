/**
 * The Sigma log source of toolwatch records. Sigma has no MCP log source of its own, so
 * toolwatch documents one: `category: application`, `product: mcp`, and a service per
 * kind of record. Field names are the record's own keys: span attribute keys (the
 * OpenTelemetry MCP semantic conventions and `toolwatch.*`) for spans, the alert record's
 * keys for alerts. Every value is a string, numbers included (`toolwatch.response.bytes`
 * is "1024"), as in the `otel_traces` attribute map.
 */
export type McpService = 'tool_call' | 'tools_list' | 'session' | 'toolwatch_alert';

const SPANS =
  'toolwatch span records: one OpenTelemetry span per MCP request (the otel_traces row, the Kafka message value, a line of the JSONL audit log); fields are SpanAttributes keys';

export const SERVICE_DEFINITIONS: Record<McpService, string> = {
  tool_call: `${SPANS}; only spans with mcp.method.name tools/call`,
  tools_list: `${SPANS}; only spans with mcp.method.name tools/list (toolwatch.tools.definitions holds name -> SHA-256 of each advertised definition)`,
  session: `${SPANS}; every request of an MCP session, keyed by toolwatch.session.key (mcp.session.id when the transport has one)`,
  toolwatch_alert:
    'toolwatch alert records (the toolwatch_alerts table, the data of the toolwatch.alert webhook); fields are the alert record keys: rule, kind, severity, sessionKey, serviceName, clientName, tool, tags',
};

export const logsource = (service: McpService) => ({
  category: 'application',
  product: 'mcp',
  service,
  definition: SERVICE_DEFINITIONS[service],
});

/** Field names the rules use, in one place. */
export const F = {
  method: 'mcp.method.name',
  tool: 'gen_ai.tool.name',
  session: 'toolwatch.session.key',
  mcpSession: 'mcp.session.id',
  argsHash: 'toolwatch.arguments.hash',
  responseBytes: 'toolwatch.response.bytes',
  argsFindings: 'toolwatch.arguments.findings',
  resultFindings: 'toolwatch.result.findings',
  client: 'toolwatch.client.name',
} as const;
