import { createReadStream, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

/** One line of a JSON Lines input, or the note that it was too long to keep. */
export type Line = { number: number; text: string } | { number: number; tooLong: number };

export interface LineSource {
  lines: AsyncIterable<Line>;
  /** Bytes taken from the file (compressed bytes for gzip), for the progress bar. */
  bytesRead(): number;
  /** The file's size, or undefined for stdin and pipes. */
  size: number | undefined;
}

const GZIP_MAGIC = [0x1f, 0x8b];

/**
 * Opens `path` (`-` for stdin) as a stream of lines, gunzipping when the name ends in
 * `.gz` or the data starts with the gzip magic. Memory stays bounded by `maxLineBytes`:
 * a longer line is skipped as it streams past, never held whole.
 */
export function openLines(path: string, maxLineBytes = 16 << 20, stdin: Readable = process.stdin): LineSource {
  let raw: Readable;
  let size: number | undefined;
  if (path === '-') {
    raw = stdin;
  } else {
    const stat = statSync(path); // throws ENOENT before anything starts
    if (stat.isFile()) size = stat.size;
    raw = createReadStream(path, { highWaterMark: 1 << 20 });
  }
  let read = 0;
  raw.on('data', (chunk: Buffer) => (read += chunk.length));
  return {
    lines: splitLines(maybeGunzip(raw, path.endsWith('.gz')), maxLineBytes),
    bytesRead: () => read,
    size,
  };
}

async function* maybeGunzip(raw: Readable, byName: boolean): AsyncGenerator<Buffer> {
  const chunks = raw[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const first = await chunks.next();
  if (first.done) return;
  const head = first.value;
  const gzip = byName || (head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1]);
  const rest = (async function* () {
    yield head;
    for (let next = await chunks.next(); !next.done; next = await chunks.next()) yield next.value;
  })();
  if (!gzip) {
    yield* rest;
    return;
  }
  const gunzip = createGunzip();
  Readable.from(rest).on('error', (err) => gunzip.destroy(err)).pipe(gunzip);
  for await (const chunk of gunzip) yield chunk as Buffer;
}

/** Splits on `\n` (a trailing `\r` goes too); the last line needs no newline. */
export async function* splitLines(chunks: AsyncIterable<Buffer>, maxLineBytes: number): AsyncGenerator<Line> {
  let parts: Buffer[] = [];
  let partBytes = 0;
  let skipping = 0; // bytes of an over-long line seen so far; 0 when not skipping
  let number = 0;
  const finish = (tail: Buffer): Line | undefined => {
    number += 1;
    if (skipping > 0) {
      const tooLong = skipping + tail.length;
      skipping = 0;
      return { number, tooLong };
    }
    let line = partBytes === 0 ? tail : Buffer.concat([...parts, tail]);
    parts = [];
    partBytes = 0;
    if (line.length > 0 && line[line.length - 1] === 0x0d) line = line.subarray(0, line.length - 1);
    if (line.length > maxLineBytes) return { number, tooLong: line.length };
    return { number, text: line.toString('utf8') };
  };
  for await (const chunk of chunks) {
    let start = 0;
    for (let nl = chunk.indexOf(0x0a, start); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
      const line = finish(chunk.subarray(start, nl));
      if (line) yield line;
      start = nl + 1;
    }
    if (start >= chunk.length) continue;
    const rest = chunk.subarray(start);
    if (skipping > 0) {
      skipping += rest.length;
    } else if (partBytes + rest.length > maxLineBytes) {
      skipping = partBytes + rest.length;
      parts = [];
      partBytes = 0;
    } else {
      // A copy: a view would keep the whole 1 MiB chunk alive for its last few bytes.
      parts.push(Buffer.from(rest));
      partBytes += rest.length;
    }
  }
  if (partBytes > 0 || skipping > 0) {
    const line = finish(Buffer.alloc(0));
    if (line) yield line;
  }
}
