import { BadRequestError } from './otlp-model.js';

/** Protobuf wire types (proto3 has no groups). */
export const WireType = { VARINT: 0, FIXED64: 1, LEN: 2, FIXED32: 5 } as const;

const utf8 = new TextDecoder('utf-8');

/**
 * A bounds-checked protobuf wire reader over one message. Every read checks the buffer
 * end, so a truncated or forged length fails with a BadRequestError naming the offset.
 * 64-bit values are read as bigint: nanosecond times and int64 attributes exceed 2^53.
 */
export class ProtobufReader {
  private pos: number;
  private readonly end: number;

  constructor(
    private readonly buf: Uint8Array,
    start = 0,
    end = buf.length,
  ) {
    this.pos = start;
    this.end = end;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  tag(): { field: number; wireType: number } {
    const at = this.pos;
    const raw = this.uint();
    const field = Math.floor(raw / 8);
    if (field === 0 || field > 0x1fffffff) throw this.error('invalid field number', at);
    return { field, wireType: raw % 8 };
  }

  /** A varint as a JS number, for tags, lengths, enums and counts: the common case, without
   * bigint arithmetic. Precision above 2^53 is lost, which none of those can reach legally. */
  uint(): number {
    const at = this.pos;
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw this.error('truncated varint', at);
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return result;
      scale *= 128;
    }
    throw this.error('varint longer than 10 bytes', at);
  }

  varint(): bigint {
    const at = this.pos;
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.pos >= this.end) throw this.error('truncated varint', at);
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return BigInt.asUintN(64, result);
    }
    throw this.error('varint longer than 10 bytes', at);
  }

  int64(): bigint {
    return BigInt.asIntN(64, this.varint());
  }

  bool(): boolean {
    return this.uint() !== 0;
  }

  fixed64(): bigint {
    const view = this.take(8);
    return new DataView(view.buffer, view.byteOffset, 8).getBigUint64(0, true);
  }

  double(): number {
    const view = this.take(8);
    return new DataView(view.buffer, view.byteOffset, 8).getFloat64(0, true);
  }

  fixed32(): number {
    const view = this.take(4);
    return new DataView(view.buffer, view.byteOffset, 4).getUint32(0, true);
  }

  bytes(): Uint8Array {
    return this.take(this.length());
  }

  string(): string {
    return utf8.decode(this.bytes());
  }

  /** A reader over an embedded message. */
  message(): ProtobufReader {
    const length = this.length();
    const start = this.pos;
    this.pos += length;
    return new ProtobufReader(this.buf, start, start + length);
  }

  private length(): number {
    const at = this.pos;
    const length = this.uint();
    if (length > this.end - this.pos) throw this.error('length past the end of its message', at);
    return length;
  }

  skip(wireType: number): void {
    switch (wireType) {
      case WireType.VARINT:
        this.uint();
        return;
      case WireType.FIXED64:
        this.take(8);
        return;
      case WireType.LEN:
        this.bytes();
        return;
      case WireType.FIXED32:
        this.take(4);
        return;
      default:
        throw this.error(`unsupported wire type ${wireType}`, this.pos);
    }
  }

  /** Fails unless the field has the wire type its schema gives it. */
  expect(wireType: number, expected: number, field: string): void {
    if (wireType !== expected) throw this.error(`${field} has wire type ${wireType}, expected ${expected}`, this.pos);
  }

  private take(n: number): Uint8Array {
    if (this.pos + n > this.end) throw this.error('truncated message', this.pos);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  private error(reason: string, at: number): BadRequestError {
    return new BadRequestError(`invalid protobuf: ${reason} at byte ${at}`);
  }
}
