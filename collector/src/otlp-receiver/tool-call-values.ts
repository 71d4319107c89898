import { Toolwatch } from '@toolwatch/schemas';
import { canonicalHash, keyShape } from '../summarize.js';
import { flattenValue, plainValue } from './any-value.js';
import type { AnyValue } from './otlp-model.js';

/** The convention's opt-in attributes that carry tool argument and result values. */
export const GEN_AI_TOOL_CALL_ARGUMENTS = 'gen_ai.tool.call.arguments';
export const GEN_AI_TOOL_CALL_RESULT = 'gen_ai.tool.call.result';
export const TOOL_CALL_VALUE_KEYS: ReadonlySet<string> = new Set([GEN_AI_TOOL_CALL_ARGUMENTS, GEN_AI_TOOL_CALL_RESULT]);

/**
 * What toolwatch's own instrumentation says about argument and result values without
 * carrying them — sizes, the canonical hash, the key shape, the content item count —
 * derived from the convention's value attributes where another instrumentation sent them.
 * The value may be structured or a JSON string; the convention allows both.
 */
export function summarizeToolCall(raw: Map<string, AnyValue>): Record<string, string> {
  const out: Record<string, string> = {};
  const args = raw.get(GEN_AI_TOOL_CALL_ARGUMENTS);
  if (args) {
    out[Toolwatch.REQUEST_BYTES] = String(Buffer.byteLength(flattenValue(args), 'utf8'));
    const value = plainValue(args, true);
    out[Toolwatch.ARGUMENTS_HASH] = canonicalHash(value);
    out[Toolwatch.ARGUMENTS_KEYS] = JSON.stringify(keyShape(value));
  }
  const result = raw.get(GEN_AI_TOOL_CALL_RESULT);
  if (result) {
    out[Toolwatch.RESPONSE_BYTES] = String(Buffer.byteLength(flattenValue(result), 'utf8'));
    const value = plainValue(result, true);
    if (value !== null && typeof value === 'object' && Array.isArray((value as { content?: unknown }).content)) {
      out[Toolwatch.RESULT_CONTENT_ITEMS] = String((value as { content: unknown[] }).content.length);
    }
  }
  return out;
}
