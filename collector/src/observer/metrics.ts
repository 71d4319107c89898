import { metrics, type Attributes, type Histogram, type MeterProvider } from '@opentelemetry/api';
import { Semconv } from '@toolwatch/schemas';

/** `model/mcp/metrics.yaml` of the OTel MCP conventions: seconds, these boundaries. */
export const DURATION_BUCKETS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300];

// Attributes a duration histogram may carry: never the session id (cardinality).
const OPERATION_KEYS = [
  Semconv.MCP_METHOD_NAME,
  Semconv.ERROR_TYPE,
  Semconv.GEN_AI_TOOL_NAME,
  Semconv.GEN_AI_PROMPT_NAME,
  Semconv.RPC_RESPONSE_STATUS_CODE,
  Semconv.GEN_AI_OPERATION_NAME,
  Semconv.JSONRPC_PROTOCOL_VERSION,
  Semconv.MCP_PROTOCOL_VERSION,
  Semconv.NETWORK_PROTOCOL_NAME,
  Semconv.NETWORK_PROTOCOL_VERSION,
  Semconv.NETWORK_TRANSPORT,
  Semconv.MCP_RESOURCE_URI,
];
const SESSION_KEYS = [
  Semconv.ERROR_TYPE,
  Semconv.JSONRPC_PROTOCOL_VERSION,
  Semconv.MCP_PROTOCOL_VERSION,
  Semconv.NETWORK_PROTOCOL_NAME,
  Semconv.NETWORK_PROTOCOL_VERSION,
  Semconv.NETWORK_TRANSPORT,
];

const pick = (attributes: Attributes, keys: string[]): Attributes => {
  const out: Attributes = {};
  for (const k of keys) if (attributes[k] !== undefined) out[k] = attributes[k];
  return out;
};

/** The four MCP duration histograms, through the OTel metrics API: a no-op unless the
 * application (or the caller) provides a MeterProvider. */
export class McpMetrics {
  private readonly serverOperation: Histogram;
  private readonly clientOperation: Histogram;
  private readonly serverSession: Histogram;

  constructor(provider: MeterProvider = metrics.getMeterProvider()) {
    const meter = provider.getMeter('@toolwatch/collector');
    const histogram = (name: string, description: string) =>
      meter.createHistogram(name, { unit: 's', description, advice: { explicitBucketBoundaries: DURATION_BUCKETS } });
    this.serverOperation = histogram('mcp.server.operation.duration', 'MCP request or notification duration as observed on the receiver');
    this.clientOperation = histogram('mcp.client.operation.duration', 'MCP request or notification duration as observed on the sender');
    this.serverSession = histogram('mcp.server.session.duration', 'The duration of the MCP session as observed on the MCP server');
  }

  operation(kind: 'server' | 'client', seconds: number, attributes: Attributes): void {
    (kind === 'server' ? this.serverOperation : this.clientOperation).record(seconds, pick(attributes, OPERATION_KEYS));
  }

  session(seconds: number, attributes: Attributes): void {
    this.serverSession.record(seconds, pick(attributes, SESSION_KEYS));
  }
}
