import { SERVICE_NAME, SpanRecord, Toolwatch, type SpanRecord as SpanRecordType } from '@toolwatch/schemas';
import type { FindingCounts } from '../redaction/api.js';
import { flattenValue } from './any-value.js';
import { sessionKey } from './session-key.js';
import { summarizeToolCall, TOOL_CALL_VALUE_KEYS } from './tool-call-values.js';
import type { AnyValue, KeyValue, OtlpSpan, OtlpTraceRequest } from './otlp-model.js';
import { addCounts, formatFindings, parseFindings, RedactionScope, type TextRedactor } from './redactor.js';
import { describeRecordIssues } from './record-issues.js';

export interface ConvertOptions {
  redactor: TextRedactor;
  /** Keep `gen_ai.tool.call.arguments`/`.result`, redacted, instead of only their sizes.
   * Off by default: a span carries no argument or result values. */
  keepToolCallValues?: boolean;
}

export interface RejectedSpan {
  /** Where the span was in the request, e.g. `resourceSpans[0].scopeSpans[1].spans[4]`. */
  at: string;
  /** Field names and reasons only, never a value. */
  reason: string;
}

export interface ConvertedRequest {
  records: SpanRecordType[];
  rejected: RejectedSpan[];
}

const KIND: Record<number, SpanRecordType['SpanKind']> = { 0: 'Internal', 1: 'Internal', 2: 'Server', 3: 'Client', 4: 'Producer', 5: 'Consumer' };
const STATUS: Record<number, SpanRecordType['StatusCode']> = { 0: 'Unset', 1: 'Ok', 2: 'Error' };

/**
 * Every span of a request as a redacted, validated span record. A span that cannot be one
 * is rejected with its reason; the others go on (OTLP partial success).
 */
export function convertTraceRequest(request: OtlpTraceRequest, options: ConvertOptions): ConvertedRequest {
  const scope = new RedactionScope(options.redactor);
  const out: ConvertedRequest = { records: [], rejected: [] };
  request.resourceSpans.forEach((rs, i) => {
    // A resource is shared by its spans: redacted once, its findings counted on each span.
    const resourceFindings: FindingCounts = {};
    const resource = attributeMap(rs.resourceAttributes, scope, resourceFindings);
    rs.scopeSpans.forEach((ss, j) => {
      ss.spans.forEach((span, k) => {
        const at = `resourceSpans[${i}].scopeSpans[${j}].spans[${k}]`;
        const findings: FindingCounts = { ...resourceFindings };
        const problem = span.invalid ?? structuralProblem(span);
        if (problem) {
          out.rejected.push({ at, reason: problem });
          return;
        }
        const record = toRecord(span, {
          resource,
          scopeName: scope.text(ss.scopeName, findings),
          scopeVersion: scope.text(ss.scopeVersion, findings),
          findings,
          scope,
          keepToolCallValues: options.keepToolCallValues ?? false,
        });
        const parsed = SpanRecord.safeParse(record);
        if (parsed.success) out.records.push(parsed.data);
        else out.rejected.push({ at, reason: describeRecordIssues(parsed.error) });
      });
    });
  });
  return out;
}

interface SpanContext {
  resource: Record<string, string>;
  scopeName: string;
  scopeVersion: string;
  findings: FindingCounts;
  scope: RedactionScope;
  keepToolCallValues: boolean;
}

function toRecord(span: OtlpSpan, ctx: SpanContext): SpanRecordType {
  const { scope, findings } = ctx;
  const raw = lastWins(span.attributes);
  const upstreamFindings = parseFindings(flatRaw(raw, Toolwatch.REDACTION_FINDINGS), scope);
  raw.delete(Toolwatch.REDACTION_FINDINGS);

  // Sizes and shape come from the values before redaction, as in-process instrumentation
  // measures them; the values themselves then go, unless the operator keeps them.
  const derived = summarizeToolCall(raw);
  const attributes: Record<string, string> = {};
  for (const [key, value] of raw) {
    if (TOOL_CALL_VALUE_KEYS.has(key) && !ctx.keepToolCallValues) continue;
    attributes[scope.text(key, findings)] = scope.text(flattenValue(value), findings);
  }
  for (const [key, value] of Object.entries(derived)) attributes[key] ??= value;

  const serviceName = ctx.resource[SERVICE_NAME] ?? '';
  Object.assign(attributes, sessionKey(raw, attributes, serviceName, span.traceId));

  const record: SpanRecordType = {
    Timestamp: span.startTimeUnixNano.toString(),
    TraceId: span.traceId,
    SpanId: span.spanId,
    ParentSpanId: span.parentSpanId,
    TraceState: scope.text(span.traceState, findings),
    SpanName: scope.text(span.name, findings),
    SpanKind: KIND[span.kind] ?? 'Internal',
    ServiceName: serviceName,
    ResourceAttributes: ctx.resource,
    ScopeName: ctx.scopeName,
    ScopeVersion: ctx.scopeVersion,
    SpanAttributes: attributes,
    Duration: Number(span.endTimeUnixNano - span.startTimeUnixNano),
    StatusCode: STATUS[span.statusCode] ?? 'Unset',
    StatusMessage: scope.text(span.statusMessage, findings),
    Events: span.events.map((e) => ({
      Timestamp: e.timeUnixNano.toString(),
      Name: scope.text(e.name, findings),
      Attributes: attributeMap(e.attributes, scope, findings),
    })),
    Links: span.links.map((l) => ({
      TraceId: l.traceId,
      SpanId: l.spanId,
      TraceState: scope.text(l.traceState, findings),
      Attributes: attributeMap(l.attributes, scope, findings),
    })),
  };
  // Counted last, so that findings in events and links are in it too.
  addCounts(findings, upstreamFindings);
  if (Object.keys(findings).length > 0) attributes[Toolwatch.REDACTION_FINDINGS] = formatFindings(findings);
  return record;
}

function attributeMap(list: KeyValue[], scope: RedactionScope, findings: FindingCounts): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of lastWins(list)) out[scope.text(key, findings)] = scope.text(flattenValue(value), findings);
  return out;
}

/** OTLP allows repeated keys; the last one wins, as in the SDKs. */
function lastWins(list: KeyValue[]): Map<string, AnyValue> {
  const map = new Map<string, AnyValue>();
  for (const kv of list) map.set(kv.key, kv.value);
  return map;
}

function flatRaw(raw: Map<string, AnyValue>, key: string): string | undefined {
  const v = raw.get(key);
  return v ? flattenValue(v) : undefined;
}

const MAX_DURATION = BigInt(Number.MAX_SAFE_INTEGER);

/** What the schema would also catch, said more plainly. */
function structuralProblem(span: OtlpSpan): string | undefined {
  if (!validId(span.traceId, 16)) return 'TraceId: expected 16 bytes, not all zero';
  if (!validId(span.spanId, 8)) return 'SpanId: expected 8 bytes, not all zero';
  if (span.parentSpanId !== '' && !validId(span.parentSpanId, 8)) return 'ParentSpanId: expected 8 bytes or none';
  if (span.startTimeUnixNano === 0n) return 'missing start time';
  if (span.endTimeUnixNano < span.startTimeUnixNano) return 'end time before start time';
  if (span.endTimeUnixNano - span.startTimeUnixNano > MAX_DURATION) return 'duration longer than 2^53 ns';
  return undefined;
}

const validId = (hex: string, bytes: number) => hex.length === bytes * 2 && /^[0-9a-f]+$/.test(hex) && !/^0+$/.test(hex);
