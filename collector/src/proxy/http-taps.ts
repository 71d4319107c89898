import type { IncomingHttpHeaders } from 'node:http';
import type { Json } from '../observer/span-attributes.js';
import { BodyCopy, decodedCopy, parseMessages } from './http-body.js';
import { SseParser, type SseEvent } from './http-sse.js';

/** A copy of a body as it streams: `write` each chunk, then `end`; `stop` abandons it. */
export interface BodyTap {
  write(chunk: Buffer): void;
  end(): void;
  stop(): void;
}

/** Where a tap reports. `settled` comes once, last, however the copy ended. */
export interface TapSink {
  oversized(reason: string): void;
  malformed(reason: string): void;
  settled(): void;
}

export const header = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const v = headers[name];
  return (Array.isArray(v) ? v[0] : v) || undefined;
};

export const mediaType = (headers: IncomingHttpHeaders): string => (header(headers, 'content-type') ?? '').split(';')[0]!.trim().toLowerCase();

/** A JSON body (a message or a batch), delivered whole once it has ended. */
export function jsonTap(headers: IncomingHttpHeaders, maxBytes: number, deliver: (messages: Json[]) => void, sink: TapSink): BodyTap | undefined {
  const copy = new BodyCopy(maxBytes);
  let done = false;
  // The first outcome counts (past the cap, the end, a decoding error), then it settles.
  const finish = (fn: () => void) => {
    if (done) return;
    done = true;
    fn();
    sink.settled();
  };
  const tap = decodedCopy(
    header(headers, 'content-encoding'),
    (chunk) => {
      copy.push(chunk);
      if (!copy.oversized) return;
      tap?.stop();
      finish(() => sink.oversized(`body over ${maxBytes} bytes`));
    },
    () =>
      finish(() => {
        const text = copy.text();
        const messages = parseMessages(text);
        if (messages) deliver(messages);
        else sink.malformed(`body not JSON-RPC (${Buffer.byteLength(text)} bytes)`);
      }),
    (reason) => finish(() => sink.malformed(reason)),
  );
  return withSettledStop(tap, headers, sink, () => finish(() => {}));
}

/** An event stream, each event's JSON-RPC delivered as it completes. */
export function sseTap(headers: IncomingHttpHeaders, maxBytes: number, onEvent: (event: SseEvent) => void, sink: TapSink): BodyTap | undefined {
  const parser = new SseParser(onEvent, (reason) => sink.oversized(reason), maxBytes);
  const settle = once(sink.settled);
  const tap = decodedCopy(
    header(headers, 'content-encoding'),
    (chunk) => parser.push(chunk),
    settle,
    (reason) => {
      sink.malformed(reason);
      settle();
    },
  );
  return withSettledStop(tap, headers, sink, settle);
}

function withSettledStop(tap: BodyTap | undefined, headers: IncomingHttpHeaders, sink: TapSink, settle: () => void): BodyTap | undefined {
  if (!tap) {
    sink.malformed(`content-encoding ${JSON.stringify(header(headers, 'content-encoding') ?? '').slice(0, 40)} not readable`);
    sink.settled();
    return undefined;
  }
  return {
    write: tap.write,
    end: tap.end,
    stop: () => {
      tap.stop();
      settle();
    },
  };
}

function once(fn: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    fn();
  };
}
