/**
 * Splits a byte stream into newline-delimited JSON-RPC messages (the MCP stdio framing),
 * for observation only: bytes are forwarded untouched elsewhere. A line longer than the
 * cap is skipped, not buffered without bound.
 */
export class JsonLines {
  private parts: Buffer[] = [];
  private size = 0;
  private skipping = false;

  constructor(
    private readonly onMessage: (message: unknown) => void,
    private readonly onSkipped: (reason: string) => void,
    private readonly maxLineBytes = 16 * 1024 * 1024,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
      this.append(chunk.subarray(start, nl));
      this.line();
      start = nl + 1;
    }
    if (start < chunk.length) this.append(chunk.subarray(start));
  }

  private append(part: Buffer): void {
    if (this.skipping || part.length === 0) return;
    this.size += part.length;
    if (this.size > this.maxLineBytes) {
      this.skipping = true;
      this.parts = [];
      return;
    }
    this.parts.push(part);
  }

  private line(): void {
    const skipped = this.skipping;
    const text = skipped ? '' : Buffer.concat(this.parts, this.size).toString('utf8').trim();
    this.parts = [];
    this.size = 0;
    this.skipping = false;
    if (skipped) return this.onSkipped(`line over ${this.maxLineBytes} bytes`);
    if (text === '') return;
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      return this.onSkipped(`not JSON (${Buffer.byteLength(text)} bytes)`);
    }
    // A JSON-RPC batch is an array of messages.
    for (const m of Array.isArray(message) ? message : [message]) this.onMessage(m);
  }
}
