import type { FindingCounts, RedactedValue, RedactionFinding, RedactionOptions, ValueScan } from './api.js';
import { base64Shape, decodeBase64Text, encodeLike, type Base64Text } from './base64.js';
import { countFindings, detect, resolve, type RawFinding } from './engine.js';
import { maxBytesOf, safeCut, TRUNCATED, utf8Length, utf8Prefix } from './limits.js';
import { RULES_BY_ID } from './rules.js';
import { classifyName, isSecretValue, type NamedRule } from './secret-names.js';
import { applyRedactions, placeholder } from './text.js';

/**
 * JSON-like values: every string (object keys too), every number long enough to be a card,
 * and the decoded text of base64 strings, gathered into one text separated by NUL and
 * scanned once — a scan per string would cost more in calls than in scanning. A string
 * under a secret-ish key (`"password": …`, `["--api-key", …]`) is judged by that key.
 */

const SEPARATOR = '\u0000';
// No rule matches fewer characters (a@b.co): shorter strings are counted, not scanned.
// The shortest thing worth scanning: `.env`, a path that names a credentials file.
const MIN_SCAN = 4;
const MAX_DEPTH = 100;
const MAX_BASE64_NESTING = 2;
const CIRCULAR = '[CIRCULAR]';

interface Segment {
  text: string;
  /** Offset in the joined text, or -1 when too short to be scanned. */
  at: number;
  /** Only a prefix of the original was scanned: the byte cap ran out inside it. */
  partial: boolean;
  findings: RedactionFinding[];
}

type Node =
  | { t: 'keep'; v: unknown }
  | StringNode
  | { t: 'num'; seg: Segment; v: unknown }
  | { t: 'arr'; items: Node[]; cut: boolean }
  | { t: 'obj'; entries: [Segment, Node][]; cut: boolean }
  | { t: 'cut' }
  | { t: 'circular' };

/** A string; if it is base64 of text, `b64` holds the decoded text as a string node of its
 * own (which may itself be base64). */
interface StringNode {
  t: 'str';
  seg: Segment;
  b64?: { inner: StringNode; info: Base64Text };
  /** Base64 cut by the budget before it could be decoded: its head may encode a secret,
   * so only its data: header survives. */
  undecoded?: number;
}

const CUT: Node = { t: 'cut' };

class Walk {
  readonly parts: string[] = [];
  readonly segments: Segment[] = [];
  readonly keyed: RawFinding[] = [];
  length = 0;
  truncated = false;
  private readonly path = new Set<object>();

  /** `build` keeps what redactValue needs to rebuild the value; scanValue only counts. */
  constructor(
    private budget: number,
    private readonly build: boolean,
  ) {}

  /** Charges one unit for any node, so a million empty arrays cost as much as a million
   * bytes; false when the budget is spent and the node is cut. */
  private charge(): boolean {
    if (this.budget <= 0) {
      this.truncated = true;
      return false;
    }
    this.budget--;
    return true;
  }

  segment(s: string, keyRule?: NamedRule): Segment {
    const bytes = utf8Length(s);
    let text = s;
    let partial = false;
    if (bytes > this.budget) {
      text = s.slice(0, utf8Prefix(s, this.budget));
      partial = true;
      this.truncated = true;
      this.budget = 0;
    } else this.budget -= bytes;
    // Under a secret's name, a value the budget cut is withheld whole: its head alone
    // could be most of a passphrase.
    const keyedSecret = keyRule !== undefined && (partial ? text.length > 0 : isSecretValue(keyRule, s, true));
    const seg: Segment = { text, at: -1, partial, findings: [] };
    if (text.length >= MIN_SCAN || keyedSecret) {
      seg.at = this.length;
      this.parts.push(text, SEPARATOR);
      this.length += text.length + 1;
      this.segments.push(seg);
    }
    if (keyedSecret && keyRule) {
      const rule = RULES_BY_ID.get(keyRule);
      if (rule) this.keyed.push({ rule, start: seg.at, end: seg.at + text.length });
    }
    return seg;
  }

  visit(v: unknown, depth: number, keyRule?: NamedRule, nesting = 0): Node {
    if (!this.charge()) return CUT;
    switch (typeof v) {
      case 'string':
        return this.string(v, keyRule, nesting);
      case 'number':
        // 12+ digit integers only: shorter ones cannot be a card, and phone numbers are
        // written as text.
        return Number.isInteger(v) && Math.abs(v) >= 1e11 && Math.abs(v) < 1e21 ? { t: 'num', seg: this.segment(String(v)), v } : { t: 'keep', v };
      case 'bigint':
        return { t: 'num', seg: this.segment(v.toString()), v };
      case 'object':
        break;
      default:
        return { t: 'keep', v };
    }
    if (v === null) return { t: 'keep', v };
    if (depth >= MAX_DEPTH) {
      this.truncated = true;
      return CUT;
    }
    if (this.path.has(v)) return { t: 'circular' };
    const toJSON = (v as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') {
      // What JSON.stringify would send is what must be scanned (Date, Buffer, …).
      let json: unknown;
      try {
        json = toJSON.call(v);
      } catch {
        this.truncated = true;
        return CUT;
      }
      if (json !== v) return this.visit(json, depth + 1, keyRule, nesting);
    }
    this.path.add(v);
    try {
      return Array.isArray(v) ? this.array(v, depth) : this.object(v as Record<string, unknown>, depth);
    } finally {
      this.path.delete(v);
    }
  }

  private string(s: string, keyRule: NamedRule | undefined, nesting: number): StringNode {
    const seg = this.segment(s, keyRule);
    if (seg.partial) {
      const header = base64Shape(seg.text);
      return header >= 0 ? { t: 'str', seg, undecoded: header } : { t: 'str', seg };
    }
    if (nesting >= MAX_BASE64_NESTING) return { t: 'str', seg };
    const info = decodeBase64Text(s, Math.floor((this.budget * 4) / 3));
    if (!info) return { t: 'str', seg };
    const inner = this.string(info.decoded, undefined, nesting + 1);
    if (info.partial) {
      // Encoded text longer than the budget: what was not decoded was not scanned.
      inner.seg.partial = true;
      this.truncated = true;
    }
    return { t: 'str', seg, b64: { inner, info } };
  }

  private array(a: unknown[], depth: number): Node {
    const items: Node[] = [];
    let flagRule: NamedRule | undefined;
    for (let i = 0; i < a.length; i++) {
      if (this.budget <= 0) {
        this.truncated = true;
        return { t: 'arr', items, cut: true };
      }
      const item = a[i];
      const node = this.visit(item, depth + 1, flagRule);
      if (this.build) items.push(node);
      // ["--api-key", "…"]: command lines in tool arguments.
      flagRule = typeof item === 'string' && item.startsWith('-') && item.length < 64 ? classifyName(item) : undefined;
    }
    return { t: 'arr', items, cut: false };
  }

  private object(o: Record<string, unknown>, depth: number): Node {
    const entries: [Segment, Node][] = [];
    for (const key of Object.keys(o)) {
      if (this.budget <= 0) {
        this.truncated = true;
        return { t: 'obj', entries, cut: true };
      }
      const keySeg = this.segment(key);
      const node = this.visit(o[key], depth + 1, classifyName(key));
      if (this.build) entries.push([keySeg, node]);
    }
    return { t: 'obj', entries, cut: false };
  }

  /** One scan of the joined text; findings go back to their segments. */
  scan(): RedactionFinding[] {
    const joined = this.parts.join('');
    const findings = resolve(detect(joined, this.keyed));
    if (!this.build) return findings;
    let s = 0;
    for (const f of findings) {
      while (s < this.segments.length && segEnd(this.segments[s] as Segment) <= f.start) s++;
      for (let k = s; k < this.segments.length; k++) {
        const seg = this.segments[k] as Segment;
        if (seg.at >= f.end) break;
        const start = Math.max(f.start, seg.at) - seg.at;
        const end = Math.min(f.end, segEnd(seg)) - seg.at;
        if (end > start) seg.findings.push({ rule: f.rule, kind: f.kind, start, end });
      }
    }
    return findings;
  }
}

const segEnd = (seg: Segment) => seg.at + seg.text.length;

function walk(value: unknown, build: boolean, options?: RedactionOptions): { root: Node; findings: FindingCounts; truncated: boolean } {
  const w = new Walk(maxBytesOf(options), build);
  const root = w.visit(value, 0);
  const findings = countFindings(w.scan());
  return { root, findings, truncated: w.truncated };
}

export function scanValue(value: unknown, options?: RedactionOptions): ValueScan {
  const { findings, truncated } = walk(value, false, options);
  return { findings, truncated };
}

/** A redacted deep copy. A string or number with a finding becomes a string with
 * placeholders (so a card number given as a JSON number comes back as a string); whatever
 * lay past the byte cap is cut and marked `[TRUNCATED]`. */
export function redactValue<T>(value: T, options?: RedactionOptions): RedactedValue<T> {
  const { root, findings, truncated } = walk(value, true, options);
  return { value: emit(root) as T, findings, truncated };
}

function redactSegment(seg: Segment): string {
  if (!seg.partial) return applyRedactions(seg.text, seg.findings);
  return applyRedactions(seg.text, seg.findings, safeCut(seg.text, seg.text.length)) + TRUNCATED;
}

function emit(node: Node): unknown {
  switch (node.t) {
    case 'keep':
      return node.v;
    case 'cut':
      return TRUNCATED;
    case 'circular':
      return CIRCULAR;
    case 'num':
      return node.seg.findings.length > 0 || node.seg.partial ? redactSegment(node.seg) : node.v;
    case 'str':
      return emitString(node);
    case 'arr': {
      const out = node.items.map(emit);
      if (node.cut) out.push(TRUNCATED);
      return out;
    }
    case 'obj': {
      const out: Record<string, unknown> = {};
      for (const [keySeg, child] of node.entries) define(out, redactSegment(keySeg), emit(child));
      if (node.cut) define(out, TRUNCATED, TRUNCATED);
      return out;
    }
  }
}

function emitString(node: StringNode): string {
  const { seg, b64 } = node;
  if (node.undecoded !== undefined) return seg.text.slice(0, node.undecoded) + TRUNCATED;
  if (!b64 || !changed(b64.inner)) return seg.findings.length > 0 || seg.partial ? redactSegment(seg) : seg.text;
  // A secret in the encoded form and in the decoded one: nothing of it can stay.
  if (seg.findings.length > 0) return placeholder(seg.findings[0]?.rule ?? 'base64');
  return seg.text.slice(0, b64.info.header) + encodeLike(b64.info, emitString(b64.inner));
}

const changed = (node: StringNode): boolean =>
  node.seg.findings.length > 0 || node.seg.partial || (node.b64 !== undefined && changed(node.b64.inner));

/** Sets a key as an own property (`__proto__` included) and keeps keys distinct when two
 * redact to the same placeholder. */
function define(out: Record<string, unknown>, key: string, value: unknown): void {
  let k = key;
  for (let n = 2; Object.prototype.hasOwnProperty.call(out, k); n++) k = `${key}#${n}`;
  Object.defineProperty(out, k, { value, enumerable: true, writable: true, configurable: true });
}
