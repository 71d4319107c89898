/**
 * OTLP/HTTP response bodies, in the encoding of the request: ExportTraceServiceResponse on
 * success (with `partial_success` when spans were rejected) and google.rpc.Status on errors.
 */

export type BodyEncoding = 'protobuf' | 'json';

export const CONTENT_TYPE: Record<BodyEncoding, string> = {
  protobuf: 'application/x-protobuf',
  json: 'application/json',
};

/** google.rpc.Code values for the Status of an error response. */
export const RpcCode = {
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 5,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
  UNIMPLEMENTED: 12,
} as const;

/** Full success leaves `partial_success` unset, as the specification asks. */
export function exportResponse(encoding: BodyEncoding, rejectedSpans: number, errorMessage: string): Buffer {
  if (encoding === 'json') {
    if (rejectedSpans === 0 && !errorMessage) return Buffer.from('{}');
    // int64 is a decimal string in the proto3 JSON mapping.
    return Buffer.from(JSON.stringify({ partialSuccess: { rejectedSpans: String(rejectedSpans), errorMessage } }));
  }
  if (rejectedSpans === 0 && !errorMessage) return Buffer.alloc(0);
  const partial = Buffer.concat([
    rejectedSpans ? Buffer.concat([tag(1, 0), varint(rejectedSpans)]) : Buffer.alloc(0),
    errorMessage ? lengthDelimited(2, Buffer.from(errorMessage, 'utf8')) : Buffer.alloc(0),
  ]);
  return lengthDelimited(1, partial);
}

export function statusBody(encoding: BodyEncoding, code: number, message: string): Buffer {
  if (encoding === 'json') return Buffer.from(JSON.stringify({ code, message }));
  return Buffer.concat([tag(1, 0), varint(code), lengthDelimited(2, Buffer.from(message, 'utf8'))]);
}

const tag = (field: number, wireType: number) => varint(field * 8 + wireType);

function lengthDelimited(field: number, body: Buffer): Buffer {
  return Buffer.concat([tag(field, 2), varint(body.length), body]);
}

function varint(n: number): Buffer {
  const bytes: number[] = [];
  let v = n;
  while (v >= 0x80) {
    bytes.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  bytes.push(v);
  return Buffer.from(bytes);
}
