import type { AnyValue, KeyValue } from './otlp-model.js';

/**
 * An attribute value in the `Map(String, String)` form of `otel_traces`, as the OTel
 * Collector writes it: scalars as text, bytes as base64, arrays and kvlists as JSON.
 */
export function flattenValue(v: AnyValue): string {
  switch (v.type) {
    case 'string':
      return v.value;
    case 'bool':
      return v.value ? 'true' : 'false';
    case 'int':
      return v.value.toString();
    case 'double':
      return String(v.value);
    case 'bytes':
      return Buffer.from(v.value).toString('base64');
    case 'array':
    case 'kvlist':
      return jsonText(v);
    case 'empty':
      return '';
  }
}

/** JSON text of a value; int64 digits are kept exactly, which JSON.stringify cannot do. */
function jsonText(v: AnyValue): string {
  switch (v.type) {
    case 'string':
      return JSON.stringify(v.value);
    case 'bool':
      return v.value ? 'true' : 'false';
    case 'int':
      return v.value.toString();
    case 'double':
      return Number.isFinite(v.value) ? JSON.stringify(v.value) : JSON.stringify(String(v.value));
    case 'bytes':
      return JSON.stringify(Buffer.from(v.value).toString('base64'));
    case 'array':
      return `[${v.values.map(jsonText).join(',')}]`;
    case 'kvlist':
      return `{${v.values.map((kv) => `${JSON.stringify(kv.key)}:${jsonText(kv.value)}`).join(',')}}`;
    case 'empty':
      return 'null';
  }
}

/** The value as plain JS, for hashing and key shape: a JSON string attribute (the
 * convention allows it for tool arguments) is parsed; int64 beyond 2^53 becomes its digits. */
export function plainValue(v: AnyValue, parseJsonString = false): unknown {
  switch (v.type) {
    case 'string':
      if (!parseJsonString) return v.value;
      try {
        return JSON.parse(v.value) as unknown;
      } catch {
        return v.value;
      }
    case 'bool':
    case 'double':
      return v.value;
    case 'int':
      return v.value >= BigInt(Number.MIN_SAFE_INTEGER) && v.value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v.value) : v.value.toString();
    case 'bytes':
      return Buffer.from(v.value).toString('base64');
    case 'array':
      return v.values.map((x) => plainValue(x));
    case 'kvlist':
      return Object.fromEntries(v.values.map((kv: KeyValue) => [kv.key, plainValue(kv.value)]));
    case 'empty':
      return null;
  }
}
