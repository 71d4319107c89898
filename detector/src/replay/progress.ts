import type { Writable } from 'node:stream';

/** A one-line progress bar on a terminal: bytes read of the file's size. */
export class ProgressBar {
  private lastDraw = 0;
  private drawn = false;

  constructor(
    private readonly out: Writable & { columns?: number },
    private readonly total: number | undefined,
    private readonly intervalMs = 100,
  ) {}

  update(bytes: number, spans: number, force = false): void {
    const now = Date.now();
    if (!force && now - this.lastDraw < this.intervalMs) return;
    this.lastDraw = now;
    const mib = (b: number) => (b / (1 << 20)).toFixed(1);
    let text: string;
    if (this.total && this.total > 0) {
      const done = Math.min(1, bytes / this.total);
      const width = 30;
      const filled = Math.round(done * width);
      text = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(done * 100).toFixed(0).padStart(3)}%  ${mib(bytes)}/${mib(this.total)} MiB  ${spans.toLocaleString('en-US')} spans`;
    } else {
      text = `${mib(bytes)} MiB  ${spans.toLocaleString('en-US')} spans`;
    }
    this.out.write(`\r${text.slice(0, (this.out.columns ?? 100) - 1)}\x1b[K`);
    this.drawn = true;
  }

  clear(): void {
    if (this.drawn) this.out.write('\r\x1b[K');
    this.drawn = false;
  }
}
