import type { SpanRecord } from '@toolwatch/schemas';
import { sessionKeyOf } from './session-key.js';

interface Entry {
  ns: bigint;
  session: string;
  record: SpanRecord;
}

/**
 * Event-time order from input that is only roughly ordered. The event time of a span is
 * its end (start + duration), the order the live stream delivers. A record is held until
 * the newest event time seen is `windowMs` past it, then released in a total order (end
 * time, session, span id, trace id) that does not depend on the order of arrival: the
 * same records within the window always come out the same way.
 *
 * A record older than one already released is late: it is released at once (scored out
 * of order) and counted. `maxHeld` caps memory when the input's clock jumps around.
 */
export class ReorderBuffer {
  late = 0;
  forced = 0;
  private readonly heap: Entry[] = [];
  private newest: bigint | undefined;
  private released: Entry | undefined;
  private readonly windowNs: bigint;

  constructor(
    windowMs: number,
    private readonly maxHeld = 250_000,
  ) {
    this.windowNs = BigInt(Math.round(windowMs * 1e6));
  }

  get held(): number {
    return this.heap.length;
  }

  /** Adds a record; returns the records it releases, in order. */
  push(record: SpanRecord): SpanRecord[] {
    // By end time (start + duration): spans are exported as they end, so that is the order
    // the detector sees live. By start, the mcp.session span (which starts when the
    // connection opens) would end every session before its calls were scored.
    const entry: Entry = { ns: BigInt(record.Timestamp) + BigInt(record.Duration), session: sessionKeyOf(record), record };
    if (this.released && before(entry, this.released)) {
      this.late += 1;
      return [record];
    }
    if (this.newest === undefined || entry.ns > this.newest) this.newest = entry.ns;
    heapPush(this.heap, entry);
    const out: SpanRecord[] = [];
    const watermark = this.newest - this.windowNs;
    while (this.heap.length > 0 && (this.heap[0]!.ns <= watermark || this.heap.length > this.maxHeld)) {
      if (this.heap[0]!.ns > watermark) this.forced += 1;
      out.push(this.release());
    }
    return out;
  }

  /** Everything still held, in order: the end of the input. */
  flush(): SpanRecord[] {
    const out: SpanRecord[] = [];
    while (this.heap.length > 0) out.push(this.release());
    return out;
  }

  private release(): SpanRecord {
    const entry = heapPop(this.heap);
    this.released = entry;
    return entry.record;
  }
}

function before(a: Entry, b: Entry): boolean {
  if (a.ns !== b.ns) return a.ns < b.ns;
  if (a.session !== b.session) return a.session < b.session;
  if (a.record.SpanId !== b.record.SpanId) return a.record.SpanId < b.record.SpanId;
  return a.record.TraceId < b.record.TraceId;
}

function heapPush(heap: Entry[], entry: Entry): void {
  heap.push(entry);
  let i = heap.length - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (!before(heap[i]!, heap[parent]!)) break;
    [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
    i = parent;
  }
}

function heapPop(heap: Entry[]): Entry {
  const top = heap[0]!;
  const last = heap.pop()!;
  if (heap.length === 0) return top;
  heap[0] = last;
  for (let i = 0; ; ) {
    const l = 2 * i + 1;
    const r = l + 1;
    let min = i;
    if (l < heap.length && before(heap[l]!, heap[min]!)) min = l;
    if (r < heap.length && before(heap[r]!, heap[min]!)) min = r;
    if (min === i) break;
    [heap[i], heap[min]] = [heap[min]!, heap[i]!];
    i = min;
  }
  return top;
}
