import { context, trace } from '@opentelemetry/api';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage, MessageExtraInfo } from '@modelcontextprotocol/sdk/types.js';
import { McpObserver, type ObserverSettings } from './observer/mcp-observer.js';
import { networkAttributes, type Json } from './observer/span-attributes.js';

/**
 * Watches one MCP connection at its transport, where every message passes: also the ones
 * no handler sees (unknown methods, unknown tools, parse errors). Every hook is guarded:
 * nothing here may throw into the server, and the transport's own behaviour runs
 * whatever happens to the span.
 */
export function observeTransport(transport: Transport, settings: ObserverSettings): McpObserver {
  const observer = new McpObserver(settings, {
    network: networkAttributes(transport.constructor?.name ?? ''),
    sessionId: () => transport.sessionId,
  });
  const guard = <T>(fn: () => T): T | undefined => {
    try {
      return fn();
    } catch (err) {
      settings.onInternalError?.(err);
      return undefined;
    }
  };

  const onmessage = transport.onmessage;
  transport.onmessage = (message: JSONRPCMessage, extra?: MessageExtraInfo) => {
    const span = guard(() => observer.received(message as unknown as Json, extra));
    // The handler runs inside the span's context, so spans it starts nest under it.
    const run = () => onmessage?.call(transport, message, extra);
    return span ? context.with(trace.setSpan(context.active(), span), run) : run();
  };

  const send = transport.send.bind(transport);
  transport.send = (message, options) => {
    // The message goes to the transport first: observing it must not delay it.
    const sent = send(message, options);
    guard(() => observer.sent(message as unknown as Json, options?.relatedRequestId));
    return sent;
  };

  const onclose = transport.onclose;
  transport.onclose = () => {
    guard(() => observer.closed());
    onclose?.call(transport);
  };
  return observer;
}
