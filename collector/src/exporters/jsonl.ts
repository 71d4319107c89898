import { mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { KeyedRecord, RecordTransport } from './record-transport.js';

export interface JsonlFileOptions {
  path: string;
  /** Rotate once the file holds this many bytes: `path` becomes `path.1`, `path.1` becomes
   * `path.2`, …; 0 (the default) never rotates. */
  maxBytes?: number;
  /** Rotated files kept (default 5); older ones are deleted. */
  maxFiles?: number;
  /** `interval` (default) syncs to the device at most every `syncIntervalMs` (1000) after a
   * write; `always` after every batch, before `send` resolves; `never` leaves it to the OS. */
  fsync?: 'always' | 'interval' | 'never';
  syncIntervalMs?: number;
  /** Told of failures of the background sync, which no send waits for. */
  onError?: (err: unknown) => void;
}

/**
 * An audit log: one span record per line, appended to a file. The file is opened on the
 * first send, so a bad path surfaces as a rejected send (counted by the exporter), never
 * as a throw into the server.
 */
export class JsonlFileTransport implements RecordTransport {
  readonly name = 'jsonl';
  readonly path: string;
  readonly stats = { written: 0, rotations: 0 };
  private handle: FileHandle | undefined;
  private size = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private syncTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly options: JsonlFileOptions) {
    this.path = resolve(options.path);
  }

  send(records: KeyedRecord[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error('jsonl: closed'));
    if (records.length === 0) return Promise.resolve();
    return this.exclusive(async () => {
      // A raw line break can only be whitespace between JSON tokens: a space keeps the
      // record intact and the file one record per line.
      const data = Buffer.from(records.map((r) => r.value.replace(/[\r\n]/g, ' ') + '\n').join(''));
      const handle = await this.open();
      try {
        let written = 0;
        while (written < data.length) written += (await handle.write(data, written)).bytesWritten;
        if (this.options.fsync === 'always') await handle.datasync();
      } catch (err) {
        await this.drop(); // reopened (and re-measured) by the next send
        throw err;
      }
      this.size += data.length;
      this.stats.written += records.length;
      if (this.options.fsync !== 'always' && this.options.fsync !== 'never') this.scheduleSync();
      const max = this.options.maxBytes ?? 0;
      if (max > 0 && this.size >= max) await this.rotate();
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.syncTimer);
    await this.exclusive(async () => {
      if (!this.handle) return;
      if (this.options.fsync !== 'never') await this.handle.datasync().catch(() => {});
      await this.drop();
    });
  }

  private async open(): Promise<FileHandle> {
    if (this.handle) return this.handle;
    await mkdir(dirname(this.path), { recursive: true });
    const handle = await open(this.path, 'a', 0o600);
    this.size = (await handle.stat()).size;
    this.handle = handle;
    return handle;
  }

  private async rotate(): Promise<void> {
    if (this.options.fsync !== 'never') await this.handle?.datasync();
    await this.drop();
    const keep = Math.max(1, this.options.maxFiles ?? 5);
    await rm(`${this.path}.${keep}`, { force: true });
    for (let i = keep - 1; i >= 1; i--) {
      await rename(`${this.path}.${i}`, `${this.path}.${i + 1}`).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
    }
    await rename(this.path, `${this.path}.1`);
    this.stats.rotations++;
  }

  private scheduleSync(): void {
    if (this.syncTimer) return;
    this.syncTimer = setTimeout(() => {
      this.syncTimer = undefined;
      void this.exclusive(async () => this.handle?.datasync()).catch((err: unknown) => {
        try {
          this.options.onError?.(err);
        } catch {
          // nothing may escape a timer into the server
        }
      });
    }, this.options.syncIntervalMs ?? 1000).unref();
  }

  private async drop(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close().catch(() => {});
  }

  /** Writes, syncs and rotations one at a time, in order. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => {});
    return run;
  }
}
