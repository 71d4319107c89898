import { context, trace, type Context, type Link } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

const propagator = new W3CTraceContextPropagator();
// A client controls `_meta`: cap what is read from it (traceparent is 55 characters).
const MAX_TRACEPARENT = 64;
const MAX_TRACESTATE = 512;

/**
 * The parent of a span for a message that carries W3C trace context in `params._meta`
 * (SEP-414: unprefixed `traceparent`, `tracestate`), and the ambient context (say, an HTTP
 * server span) as a link: MCP and transport traces are independent.
 */
export function contextFromMeta(params: unknown): { parent: Context; links: Link[] } {
  const active = context.active();
  const ambient = trace.getSpanContext(active);
  const links: Link[] = ambient && trace.isSpanContextValid(ambient) ? [{ context: ambient }] : [];
  const meta = (params as { _meta?: unknown } | undefined)?._meta;
  if (typeof meta !== 'object' || meta === null) return { parent: trace.deleteSpan(active), links };
  const carrier = meta as Record<string, unknown>;
  const read = (key: string, max: number) => {
    const v = carrier[key];
    return typeof v === 'string' && v.length <= max ? v : undefined;
  };
  const headers: Record<string, string> = {};
  const traceparent = read('traceparent', MAX_TRACEPARENT);
  if (!traceparent) return { parent: trace.deleteSpan(active), links };
  headers.traceparent = traceparent;
  const tracestate = read('tracestate', MAX_TRACESTATE);
  if (tracestate) headers.tracestate = tracestate;
  const parent = propagator.extract(trace.deleteSpan(active), headers, {
    get: (c, k) => c[k],
    keys: (c) => Object.keys(c),
  });
  return { parent, links };
}
