import { describe, expect, it } from 'vitest';
import { decodeSpanRecord, describeIssues, SpanRecord, type DecodeResult } from '@toolwatch/schemas';
import { checkSpanRecord } from '../src/span-record-check.js';
import { spanRecord } from '../../test/support/span-factory.js';

/**
 * The hand-written check must agree with the zod schema on every input: same verdict, and
 * on acceptance the same value (zod's output, not the input: it drops some keys). Inputs
 * are JSON text, as the detector receives them, from valid records broken in seeded,
 * random ways, with the edge cases of each rule (lengths, digits, hex case, -0, 2^53,
 * `__proto__` keys, extra keys, wrong types) over-represented.
 */

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0) / 2 ** 32);
}

// JSON.stringify cannot write -0, 1e400 or a duplicate key: such tokens travel as marked
// strings and are spliced into the text afterwards.
const raw = (token: string) => `@@RAW${token}@@`;
const toText = (value: unknown) => JSON.stringify(value).replace(/"@@RAW(.*?)@@"/g, '$1');

const hex = (n: number, c = 'a') => c.repeat(n);
const STRINGS = [
  '', '0', '7', '1'.repeat(19), '1'.repeat(20), '9223372036854775807', '9223372036854775808', '9'.repeat(19), '1'.repeat(21), '١٢٣', ' 1', '1\n', '+1', '-1', '1.5', '1e3',
  hex(32), hex(32, 'A'), hex(32, 'g'), hex(31), hex(33), hex(16), hex(15), hex(17), `${hex(15)}F`, '0123456789abcdef',
  'x'.repeat(255), 'x'.repeat(256), 'x'.repeat(257), 'x'.repeat(511), 'x'.repeat(512), 'x'.repeat(513),
  'Server', 'server', 'Client', 'Internal', 'Producer', 'Consumer', 'Unset', 'Ok', 'OK', 'Error',
  '__proto__', 'constructor', 'toString', '\ud800', '𝟙𝟚', 'tools/call', 'x',
  // each side of the character ranges the checks compare against
  '12:3', '1/3', `${hex(31)}:`, `${hex(31)}/`, `${hex(31)}\``, `${hex(31)}@`, `${hex(15)}:`, `${hex(15)}/`, `${hex(15)}\``, `${hex(15)}g`,
];
const OTHERS: unknown[] = [
  null, true, false, 0, 1, -1, 1.5, 2 ** 53 - 1, 2 ** 53, 1e21, raw('-0'), raw('1e400'), raw('-1e400'), raw('1.0'),
  [], [1], ['a'], {}, { a: 'b' }, { a: 1 }, [{}],
];
const KEYS = ['a', '', '__proto__', 'constructor', 'toString', 'hasOwnProperty', '0', '10', 'k'.repeat(256), 'k'.repeat(257), 'service.name', 'Timestamp'];
const TOP = Object.keys(spanRecord({ session: 's', timeMs: 0 }));

function corpus(count: number, seed: number): string[] {
  const random = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const value = () => (random() < 0.6 ? pick(STRINGS) : pick(OTHERS));
  // Own enumerable, so that JSON.stringify writes it, even for `__proto__`.
  const put = (o: Record<string, unknown>, k: string, v: unknown) => Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  const map = (): Record<string, unknown> => {
    const m: Record<string, unknown> = {};
    for (let i = Math.floor(random() * 3); i > 0; i--) put(m, `k${i}`, `v${i}`);
    return m;
  };
  const event = () => ({ Timestamp: '1763700000000000123', Name: 'exception', Attributes: map() });
  const link = () => ({ TraceId: hex(32, 'b'), SpanId: hex(16, 'c'), TraceState: '', Attributes: map() });

  const out = ['null', '[]', '"x"', '1', 'true', '[{}]', '{}'];
  // Every edge value in every field, one at a time; then random combinations.
  const base = () => ({ ...spanRecord({ session: 's', timeMs: 1_763_700_000_000 }), Events: [event()], Links: [link()] }) as Record<string, unknown>;
  for (const v of [...STRINGS, ...OTHERS]) {
    for (const k of TOP) out.push(toText({ ...base(), [k]: v }));
    for (const k of ['Timestamp', 'Name', 'Attributes', 'Extra']) out.push(toText({ ...base(), Events: [{ ...event(), [k]: v }] }));
    for (const k of ['TraceId', 'SpanId', 'TraceState', 'Attributes', 'Extra']) out.push(toText({ ...base(), Links: [{ ...link(), [k]: v }] }));
    for (const k of KEYS) {
      const r = base();
      put(r.SpanAttributes as Record<string, unknown>, k, v);
      out.push(toText(r));
    }
  }
  while (out.length < count) {
    const r = spanRecord({ session: `s${out.length}`, tool: random() < 0.5 ? 'search' : undefined, timeMs: 1_763_700_000_000 }) as unknown as Record<string, unknown>;
    const events = (r.Events = Array.from({ length: Math.floor(random() * 3) }, event)) as Record<string, unknown>[];
    const links = (r.Links = Array.from({ length: Math.floor(random() * 2) }, link)) as Record<string, unknown>[];
    if (random() < 0.5) r.ParentSpanId = hex(16, 'd');
    const maps = () => [r.SpanAttributes, r.ResourceAttributes, ...[...events, ...links].map((x) => x?.Attributes)].filter((m) => typeof m === 'object' && m !== null) as Record<string, unknown>[];
    const mutations = random() < 0.15 ? 0 : 1 + Math.floor(random() * 3);
    for (let m = 0; m < mutations; m++) {
      const what = random();
      if (what < 0.3) r[pick(TOP)] = value();
      else if (what < 0.38) delete r[pick(TOP)];
      else if (what < 0.45) put(r, pick(['Extra', '__proto__', 'constructor', 'timestamp']), value());
      else if (what < 0.65) put(pick([...maps(), r]), pick(KEYS), value());
      else if (what < 0.7) put(r, pick(['SpanAttributes', 'ResourceAttributes']), value());
      else {
        const list = random() < 0.6 ? events : links;
        let item = pick(list);
        if (typeof item !== 'object' || item === null || Array.isArray(item)) list.push((item = list === events ? event() : link()));
        const field = pick([...Object.keys(item), 'Extra', '__proto__']);
        if (random() < 0.2) list.push(value() as Record<string, unknown>);
        else if (random() < 0.2) delete item[field];
        else put(item, field, value());
      }
    }
    out.push(toText(r));
  }
  return out;
}

/** What decoding was before the hand-written check: JSON.parse, then zod alone. */
function decodeWithZod(text: string): DecodeResult<SpanRecord> {
  const parsed = SpanRecord.safeParse(JSON.parse(text));
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, reason: `not a span record: ${describeIssues(parsed.error)}` };
}

describe('the hand-written span record check', () => {
  const texts = corpus(8_000, 7);

  it('accepts exactly what the zod schema accepts, and returns what zod returns', () => {
    let accepted = 0;
    let reshaped = 0;
    for (const text of texts) {
      const zod = SpanRecord.safeParse(JSON.parse(text));
      const fast = checkSpanRecord(JSON.parse(text));
      expect(fast !== undefined, text).toBe(zod.success);
      if (!zod.success) continue;
      accepted += 1;
      expect(fast, text).toStrictEqual(zod.data);
      if (JSON.stringify(zod.data) !== JSON.stringify(JSON.parse(text))) reshaped += 1;
    }
    // The corpus means something only if both verdicts, and zod's reshaping, are common.
    expect(accepted).toBeGreaterThan(texts.length * 0.15);
    expect(texts.length - accepted).toBeGreaterThan(texts.length * 0.3);
    expect(reshaped).toBeGreaterThan(50);
  });

  it('leaves decodeSpanRecord answering as zod alone did, reasons included', () => {
    for (const text of texts) {
      expect(decodeSpanRecord(text), text).toStrictEqual(decodeWithZod(text));
      expect(decodeSpanRecord(Buffer.from(text)), text).toStrictEqual(decodeWithZod(text));
    }
  });

  it('decodes a message that is a slice of a larger buffer, as Kafka clients hand them over', () => {
    const text = toText(spanRecord({ session: 's', timeMs: 1 }));
    const pool = Buffer.from(`garbage${text}garbage`);
    const slice = pool.subarray(7, 7 + Buffer.byteLength(text));
    expect(decodeSpanRecord(slice)).toStrictEqual(decodeWithZod(text));
    expect(decodeSpanRecord(new Uint8Array(slice.buffer, slice.byteOffset, slice.byteLength))).toStrictEqual(decodeWithZod(text));
  });
});
