import { createHash } from 'node:crypto';
import { Semconv, Toolwatch } from '@toolwatch/schemas';
import { flattenValue } from './any-value.js';
import type { AnyValue } from './otlp-model.js';

const MAX_KEY_LENGTH = 256;

/**
 * `toolwatch.session.key` (and its source) for a span from another instrumentation: the
 * span's own key if it has one, else its `mcp.session.id`, else a stable hash of service
 * and trace id, so that one trace scores as one session.
 *
 * `raw` holds the attributes as received, `redacted` as they will be sent. A key that
 * redaction changed (it looked like a secret) or that is too long to be a Kafka key goes out
 * as a hash of itself: still one key per session, and not the value.
 */
export function sessionKey(
  raw: Map<string, AnyValue>,
  redacted: Record<string, string>,
  serviceName: string,
  traceId: string,
): Record<string, string> {
  const own = flat(raw, Toolwatch.SESSION_KEY);
  if (own) return { [Toolwatch.SESSION_KEY]: safeKey(own, redacted[Toolwatch.SESSION_KEY]) };
  const sessionId = flat(raw, Semconv.MCP_SESSION_ID);
  if (sessionId) {
    return {
      [Toolwatch.SESSION_KEY]: safeKey(sessionId, redacted[Semconv.MCP_SESSION_ID]),
      [Toolwatch.SESSION_KEY_SOURCE]: redacted[Toolwatch.SESSION_KEY_SOURCE] ?? 'mcp-session-id',
    };
  }
  return {
    [Toolwatch.SESSION_KEY]: `trace-${sha256(`${serviceName}\u0000${traceId}`)}`,
    [Toolwatch.SESSION_KEY_SOURCE]: redacted[Toolwatch.SESSION_KEY_SOURCE] ?? 'generated',
  };
}

function safeKey(raw: string, redacted: string | undefined): string {
  return redacted === raw && raw.length <= MAX_KEY_LENGTH ? raw : `sha256-${sha256(raw)}`;
}

function flat(raw: Map<string, AnyValue>, key: string): string {
  const v = raw.get(key);
  return v ? flattenValue(v) : '';
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 32);
