import type { Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { isObject, type Json } from '../observer/span-attributes.js';

/**
 * A copy of a message body for observation, up to a cap: past it the copy is dropped at
 * once (the bytes still reach the other side, through another path).
 */
export class BodyCopy {
  private parts: Buffer[] = [];
  private size = 0;
  oversized = false;

  constructor(private readonly maxBytes: number) {}

  push(chunk: Buffer): void {
    if (this.oversized) return;
    this.size += chunk.length;
    if (this.size > this.maxBytes) {
      this.oversized = true;
      this.parts = [];
      return;
    }
    this.parts.push(chunk);
  }

  text(): string {
    return Buffer.concat(this.parts, this.size).toString('utf8');
  }
}

/** A JSON-RPC message or batch; undefined when the text is neither. */
export function parseMessages(text: string): Json[] | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const messages = Array.isArray(value) ? value : [value];
  return messages.length > 0 && messages.every(isObject) ? messages : undefined;
}

/**
 * Feeds `onChunk` the decoded bytes of a stream whose Content-Encoding is `encoding`, so
 * that a compressing server is observed too. Returns undefined for an encoding it cannot
 * read. The decoder works on a copy: the encoded bytes are what the client gets.
 */
export function decodedCopy(
  encoding: string | undefined,
  onChunk: (chunk: Buffer) => void,
  onEnd: () => void,
  onError: (reason: string) => void,
): { write(chunk: Buffer): void; end(): void; stop(): void } | undefined {
  const name = (encoding ?? '').trim().toLowerCase();
  if (name === '' || name === 'identity') {
    let stopped = false;
    return { write: (c) => stopped || onChunk(c), end: () => stopped || onEnd(), stop: () => (stopped = true) };
  }
  const decoder = decoderFor(name);
  if (!decoder) return undefined;
  decoder.on('data', onChunk);
  decoder.once('end', onEnd);
  decoder.once('error', () => onError(`body not decodable as ${name}`));
  return {
    write: (c) => {
      if (!decoder.destroyed) decoder.write(c);
    },
    end: () => {
      if (!decoder.destroyed) decoder.end();
    },
    // A cap reached, or a stream abandoned: no point decoding the rest.
    stop: () => decoder.destroy(),
  };
}

function decoderFor(name: string): Transform | undefined {
  if (name === 'gzip' || name === 'x-gzip') return createGunzip();
  if (name === 'deflate') return createInflate();
  if (name === 'br') return createBrotliDecompress();
  return undefined;
}
