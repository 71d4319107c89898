import { lstat, mkdir, open, readdir, readFile, rename, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { KeyedRecord } from './record-transport.js';

export interface SpoolOptions {
  /** Total bytes of segment files kept; past it the oldest segments are dropped. */
  maxBytes: number;
  /** A segment is sealed and a new one started once it holds this many bytes. */
  segmentBytes?: number;
  /** `always` syncs every append to the device; `segment` (default) syncs when a segment is
   * sealed and on close, so a process crash loses nothing and a power cut loses little. */
  sync?: 'always' | 'segment';
  /** Told of records lost: a segment dropped at the cap, or unreadable lines skipped. */
  onDrop?: (reason: 'spool_full' | 'corrupt', records: number) => void;
}

/** A place in the spool: segment number and byte offset in it. */
export interface SpoolPosition {
  segment: number;
  offset: number;
}

/** Records read from the spool and not yet committed. */
export interface SpoolBatch {
  records: KeyedRecord[];
  end: SpoolPosition;
  /** Unreadable lines skipped in this batch (a torn write, a damaged disk). */
  corrupt: number;
}

export class SpoolLockedError extends Error {}

interface Segment {
  seq: number;
  bytes: number;
}

const SEGMENT = /^(\d{12})\.jsonl$/;
const CURSOR = 'cursor.json';
const LOCK = 'lock';
const READ_CHUNK = 1 << 20;
/** Directories locked by this process: a lock file with our own pid may be another
 * instance here, or a dead predecessor that had the same pid (containers reuse pids). */
const heldHere = new Set<string>();

/**
 * A disk queue of keyed records: append-only segment files of JSON lines
 * (`{"key":…,"value":…}`), read in order from a cursor that survives restarts. One process
 * owns a spool directory at a time (a lock file with its pid).
 */
export class Spool {
  private active: { seq: number; handle: FileHandle } | undefined;
  private outstanding: number | undefined; // segment of a batch read and not yet committed
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    readonly dir: string,
    private readonly segments: Segment[],
    private cursor: SpoolPosition,
    private readonly maxBytes: number,
    private readonly segmentBytes: number,
    private readonly syncEach: boolean,
    private readonly onDrop: NonNullable<SpoolOptions['onDrop']>,
  ) {}

  /** Opens (creating) and locks the spool in `dir`. Throws SpoolLockedError when a live
   * process or another instance here holds it. */
  static async open(dir: string, options: SpoolOptions): Promise<Spool> {
    dir = resolve(dir);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    // In a shared tmpdir someone else may have made the directory first, to read along.
    const info = await lstat(dir);
    if (!info.isDirectory()) throw new Error(`spool ${dir} is not a directory`);
    if (process.getuid && info.uid !== process.getuid()) throw new Error(`spool ${dir} belongs to another user`);
    await lock(dir);
    try {
      const segments: Segment[] = [];
      for (const name of (await readdir(dir)).sort()) {
        const match = SEGMENT.exec(name);
        if (match) segments.push({ seq: Number(match[1]), bytes: (await stat(join(dir, name))).size });
      }
      const cursor = await readCursor(dir, segments);
      const segmentBytes = options.segmentBytes ?? Math.min(8 << 20, Math.max(4096, Math.floor(options.maxBytes / 8)));
      const spool = new Spool(dir, segments, cursor, options.maxBytes, segmentBytes, options.sync === 'always', options.onDrop ?? (() => {}));
      await spool.exclusive(() => spool.normalize());
      return spool;
    } catch (err) {
      await unlock(dir);
      throw err;
    }
  }

  /** Bytes not yet read and committed. */
  get pendingBytes(): number {
    let bytes = 0;
    for (const s of this.segments) {
      if (s.seq > this.cursor.segment) bytes += s.bytes;
      else if (s.seq === this.cursor.segment) bytes += s.bytes - this.cursor.offset;
    }
    return bytes;
  }

  get empty(): boolean {
    return this.pendingBytes === 0;
  }

  /** Bytes of all segment files, the figure the cap applies to. */
  get totalBytes(): number {
    return this.segments.reduce((sum, s) => sum + s.bytes, 0);
  }

  /** Appends records after everything spooled; returns where they start and end. */
  append(records: KeyedRecord[]): Promise<{ start: SpoolPosition; end: SpoolPosition }> {
    return this.exclusive(async () => {
      this.assertOpen();
      const last = this.segments.at(-1);
      if (!this.active || !last || last.bytes >= this.segmentBytes) await this.rotate();
      const active = this.active!;
      const segment = this.segments.at(-1)!;
      const data = Buffer.from(records.map((r) => JSON.stringify({ key: r.key, value: r.value }) + '\n').join(''));
      const start = { segment: segment.seq, offset: segment.bytes };
      try {
        let written = 0;
        while (written < data.length) written += (await active.handle.write(data, written)).bytesWritten;
        if (this.syncEach) await active.handle.datasync();
      } catch (err) {
        // A partial line may now follow the last whole one: cut it off if the disk lets us
        // and never append to this segment again, so no later record is glued to it.
        await active.handle.truncate(segment.bytes).catch(() => {});
        await active.handle.close().catch(() => {});
        this.active = undefined;
        throw err;
      }
      segment.bytes += data.length;
      await this.enforceCap();
      return { start, end: { segment: segment.seq, offset: segment.bytes } };
    });
  }

  /** Reads up to `max` records from the cursor without moving it. */
  read(max: number): Promise<SpoolBatch> {
    return this.exclusive(async () => {
      this.assertOpen();
      await this.normalize();
      const segment = this.segments.find((s) => s.seq === this.cursor.segment);
      const batch: SpoolBatch = { records: [], end: { ...this.cursor }, corrupt: 0 };
      if (!segment || this.cursor.offset >= segment.bytes) return batch;
      const sealed = segment !== this.segments.at(-1) || !this.active;
      let handle: FileHandle;
      try {
        handle = await open(this.path(segment.seq), 'r');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        // Removed behind our back: what it held is gone, the rest of the spool is not.
        this.segments.splice(this.segments.indexOf(segment), 1);
        if (this.active?.seq === segment.seq) {
          await this.active.handle.close().catch(() => {});
          this.active = undefined;
        }
        await this.normalize();
        return batch;
      }
      try {
        let offset = this.cursor.offset;
        let size = READ_CHUNK;
        while (batch.records.length + batch.corrupt < max && offset < segment.bytes) {
          const length = Math.min(size, segment.bytes - offset);
          const buffer = Buffer.alloc(length);
          const { bytesRead } = await handle.read(buffer, 0, length, offset);
          let lineStart = 0;
          for (let nl = buffer.indexOf(10, 0); nl !== -1 && nl < bytesRead; nl = buffer.indexOf(10, lineStart)) {
            const record = parseLine(buffer.toString('utf8', lineStart, nl));
            if (record) batch.records.push(record);
            else batch.corrupt++;
            lineStart = nl + 1;
            if (batch.records.length + batch.corrupt >= max) break;
          }
          if (lineStart === 0) {
            if (offset + bytesRead < segment.bytes) {
              size *= 2; // one line longer than the chunk: read more of it
              continue;
            }
            // The tail of a sealed segment without a newline is a write torn by a crash.
            if (sealed) {
              batch.corrupt++;
              lineStart = bytesRead;
            }
            offset += lineStart;
            break;
          }
          offset += lineStart;
        }
        batch.end = { segment: segment.seq, offset };
      } finally {
        await handle.close();
      }
      this.outstanding = segment.seq;
      return batch;
    });
  }

  /** The batch was delivered: move the cursor past it and delete finished segments. */
  commit(batch: SpoolBatch): Promise<void> {
    return this.exclusive(async () => {
      this.outstanding = undefined;
      if (before(batch.end, this.cursor)) return;
      this.cursor = { ...batch.end };
      if (batch.corrupt > 0) this.onDrop('corrupt', batch.corrupt);
      await this.normalize();
      await this.saveCursor();
    });
  }

  /** The batch was not delivered; it will be read again. */
  release(): void {
    this.outstanding = undefined;
  }

  /** Records appended at `start`..`end` were delivered by other means: skip them if
   * nothing unread comes before them. Returns whether they were skipped. */
  skip(start: SpoolPosition, end: SpoolPosition): Promise<boolean> {
    return this.exclusive(async () => {
      await this.normalize();
      const atStart = this.cursor.segment === start.segment && this.cursor.offset === start.offset;
      if (!atStart || this.closed) return false;
      this.cursor = { ...end };
      await this.normalize();
      await this.saveCursor();
      return true;
    });
  }

  /** Syncs, closes and unlocks; the spool can be opened again, here or elsewhere. */
  close(): Promise<void> {
    return this.exclusive(async () => {
      if (this.closed) return;
      this.closed = true;
      if (this.active) {
        await this.active.handle.datasync().catch(() => {});
        await this.active.handle.close().catch(() => {});
        this.active = undefined;
      }
      await this.saveCursor().catch(() => {});
      await unlock(this.dir);
    });
  }

  private async rotate(): Promise<void> {
    if (this.active) {
      await this.active.handle.datasync();
      await this.active.handle.close();
      this.active = undefined;
    }
    // Never append to a segment found on disk: its last line may be torn.
    const seq = Math.max(this.cursor.segment, this.segments.at(-1)?.seq ?? 0) + 1;
    const handle = await open(this.path(seq), 'ax', 0o600);
    this.segments.push({ seq, bytes: 0 });
    this.active = { seq, handle };
  }

  /** Drops the oldest segments past the cap, never the active one nor one being read. */
  private async enforceCap(): Promise<void> {
    while (this.totalBytes > this.maxBytes) {
      const victim = this.segments.find((s) => s.seq !== this.active?.seq && s.seq !== this.outstanding);
      if (!victim) return;
      const from = victim.seq === this.cursor.segment ? this.cursor.offset : 0;
      const lost = await countLines(this.path(victim.seq), from);
      await rm(this.path(victim.seq), { force: true });
      this.segments.splice(this.segments.indexOf(victim), 1);
      if (victim.seq === this.cursor.segment) this.cursor = { segment: this.segments[0]?.seq ?? victim.seq, offset: 0 };
      if (lost > 0) this.onDrop('spool_full', lost);
    }
  }

  /** Moves the cursor over finished segments, deleting them. */
  private async normalize(): Promise<void> {
    for (;;) {
      const head = this.segments[0];
      if (!head) return;
      if (head.seq < this.cursor.segment) {
        await rm(this.path(head.seq), { force: true });
        this.segments.shift();
        continue;
      }
      if (head.seq > this.cursor.segment) this.cursor = { segment: head.seq, offset: 0 };
      const finished = this.cursor.offset >= head.bytes && head.seq !== this.active?.seq;
      if (!finished) return;
      const next = this.segments[1];
      await rm(this.path(head.seq), { force: true });
      this.segments.shift();
      if (next) this.cursor = { segment: next.seq, offset: 0 };
    }
  }

  private async saveCursor(): Promise<void> {
    const tmp = join(this.dir, `${CURSOR}.tmp`);
    await writeFile(tmp, JSON.stringify(this.cursor), { mode: 0o600 });
    await rename(tmp, join(this.dir, CURSOR));
  }

  private path(seq: number): string {
    return join(this.dir, `${String(seq).padStart(12, '0')}.jsonl`);
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('spool closed');
  }

  /** Spool operations run one at a time, in call order. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => {});
    return run;
  }
}

function parseLine(line: string): KeyedRecord | undefined {
  try {
    const parsed: unknown = JSON.parse(line);
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const { key, value } = parsed as Record<string, unknown>;
    return typeof key === 'string' && typeof value === 'string' ? { key, value } : undefined;
  } catch {
    return undefined;
  }
}

const before = (a: SpoolPosition, b: SpoolPosition) => a.segment < b.segment || (a.segment === b.segment && a.offset < b.offset);

async function readCursor(dir: string, segments: Segment[]): Promise<SpoolPosition> {
  const first = { segment: segments[0]?.seq ?? 0, offset: 0 };
  try {
    const saved = JSON.parse(await readFile(join(dir, CURSOR), 'utf8')) as Partial<SpoolPosition>;
    if (!Number.isSafeInteger(saved.segment) || !Number.isSafeInteger(saved.offset) || saved.offset! < 0) return first;
    const at = segments.find((s) => s.seq === saved.segment);
    // A cursor mid-line (a damaged file) would make every later line unreadable; start over.
    if (at && saved.offset! > at.bytes) return { segment: at.seq, offset: 0 };
    return { segment: saved.segment!, offset: saved.offset! };
  } catch {
    return first; // no cursor yet, or a torn one: replay from the oldest (at least once)
  }
}

async function countLines(path: string, from: number): Promise<number> {
  try {
    const data = await readFile(path);
    let lines = 0;
    for (let i = data.indexOf(10, from); i !== -1; i = data.indexOf(10, i + 1)) lines++;
    return lines;
  } catch {
    return 0;
  }
}

async function lock(dir: string): Promise<void> {
  const path = join(dir, LOCK);
  if (heldHere.has(dir)) throw new SpoolLockedError(`spool ${dir} is in use in this process`);
  heldHere.add(dir); // before any await: two opens here must not both take it
  try {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await writeFile(path, String(process.pid), { flag: 'wx', mode: 0o600 });
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim());
      if (pid !== process.pid && alive(pid)) throw new SpoolLockedError(`spool ${dir} is in use by process ${pid}`);
      await rm(path, { force: true }); // left by a process that is gone
    }
    throw new SpoolLockedError(`spool ${dir} is being locked by another process`);
  } catch (err) {
    heldHere.delete(dir);
    throw err;
  }
}

async function unlock(dir: string): Promise<void> {
  if (!heldHere.delete(dir)) return;
  await rm(join(dir, LOCK), { force: true });
}

function alive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
