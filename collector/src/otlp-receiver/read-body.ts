import type { IncomingMessage } from 'node:http';
import { createGunzip, type Gunzip } from 'node:zlib';

export type BodyErrorKind = 'too-large' | 'bad-encoding' | 'aborted';

export class BodyError extends Error {
  constructor(
    readonly kind: BodyErrorKind,
    message: string,
  ) {
    super(message);
  }
}

export interface ReadBodyOptions {
  /** Bytes allowed on the wire, and again after decompression (a small gzip body can
   * inflate a thousandfold). */
  maxBytes: number;
  gzip: boolean;
  /** Told of every chunk read off the socket. */
  onBytes?: (n: number) => void;
}

/**
 * Reads a request body, stopping at the cap as the bytes arrive rather than after
 * buffering them all. On `too-large` the request is left paused and unread: the caller
 * answers 413 with `Connection: close`, and Node closes the socket after the answer.
 */
export function readBody(req: IncomingMessage, options: ReadBodyOptions): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let wire = 0;
    let decoded = 0;
    let settled = false;
    let gunzip: Gunzip | undefined;

    const finish = (err: BodyError | undefined) => {
      if (settled) return;
      settled = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onAborted);
      req.off('close', onClose);
      if (err) {
        req.pause();
        gunzip?.destroy();
        reject(err);
      } else resolve(Buffer.concat(chunks, decoded));
    };
    const tooLarge = () => new BodyError('too-large', `body larger than ${options.maxBytes} bytes`);
    const keep = (chunk: Buffer) => {
      if (settled) return;
      decoded += chunk.length;
      if (decoded > options.maxBytes) return finish(tooLarge());
      chunks.push(chunk);
    };

    if (options.gzip) {
      gunzip = createGunzip();
      gunzip.on('data', keep);
      gunzip.on('error', () => finish(new BodyError('bad-encoding', 'body is not valid gzip')));
      gunzip.on('end', () => finish(undefined));
    }
    const onData = (chunk: Buffer) => {
      wire += chunk.length;
      options.onBytes?.(chunk.length);
      if (wire > options.maxBytes) return finish(tooLarge());
      if (gunzip) gunzip.write(chunk);
      else keep(chunk);
    };
    const onEnd = () => {
      if (gunzip) gunzip.end();
      else finish(undefined);
    };
    const onAborted = () => finish(new BodyError('aborted', 'client went away'));
    const onClose = () => {
      if (!req.complete) onAborted();
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onAborted);
    req.on('close', onClose);
  });
}
