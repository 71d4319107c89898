import { StringDecoder } from 'node:string_decoder';

export interface SseEvent {
  /** The event type; '' when the stream named none (the spec's `message`). */
  event: string;
  /** The event's id field, if it had one. */
  id: string | undefined;
  data: string;
}

/**
 * Reads a text/event-stream as it arrives, per the WHATWG event-stream grammar (lines end in
 * CRLF, LF or CR; `data:` lines join with LF; a blank line dispatches). For observation
 * only: the bytes go to the client elsewhere, untouched. Nothing is held beyond the event
 * being read, and an event whose data outgrows the cap is skipped, not buffered.
 */
export class SseParser {
  private readonly decoder = new StringDecoder('utf8');
  private line = '';
  private lineTooLong = false;
  private afterCr = false;
  private started = false;
  private event = '';
  private id: string | undefined;
  private data: string[] = [];
  private dataChars = 0;
  private oversized = false;

  constructor(
    private readonly onEvent: (event: SseEvent) => void,
    private readonly onOversized: (reason: string) => void,
    private readonly maxEventChars = 16 * 1024 * 1024,
  ) {}

  push(chunk: Buffer): void {
    let text = this.decoder.write(chunk);
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      // The LF of a CRLF split across chunks ends nothing: the CR already did.
      if (c === 10 && this.afterCr && i === start && this.line === '' && !this.lineTooLong) {
        this.afterCr = false;
        start = i + 1;
        continue;
      }
      this.append(text, start, i);
      this.endLine();
      if (c === 13 && text.charCodeAt(i + 1) === 10) i++;
      this.afterCr = c === 13 && i === text.length - 1;
      start = i + 1;
    }
    if (start < text.length) {
      this.afterCr = false;
      this.append(text, start, text.length);
    }
  }

  private append(text: string, from: number, to: number): void {
    if (this.lineTooLong || from === to) return;
    if (this.line.length + (to - from) > this.maxEventChars) {
      this.lineTooLong = true;
      this.line = '';
      return;
    }
    this.line += text.slice(from, to);
  }

  private endLine(): void {
    const line = this.line;
    const tooLong = this.lineTooLong;
    this.line = '';
    this.lineTooLong = false;
    if (tooLong) {
      this.oversized = true;
      return;
    }
    if (line === '') return this.dispatch();
    if (line.charCodeAt(0) === 58) return; // ':' starts a comment (keep-alives)
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    if (field === 'data') this.addData(value);
    else if (field === 'event') this.event = value;
    else if (field === 'id' && !value.includes('\0')) this.id = value;
  }

  private addData(value: string): void {
    if (this.oversized) return;
    this.dataChars += value.length + 1;
    if (this.dataChars > this.maxEventChars) {
      this.oversized = true;
      this.data = [];
      return;
    }
    this.data.push(value);
  }

  private dispatch(): void {
    const { event, id, data, oversized } = this;
    this.event = '';
    this.data = [];
    this.dataChars = 0;
    this.oversized = false;
    // The spec keeps the last event id across events; an event only needs its own.
    this.id = undefined;
    if (oversized) return this.onOversized(`SSE event over ${this.maxEventChars} characters`);
    const text = data.join('\n');
    // An empty data buffer dispatches nothing (the SDK's priming events are such).
    if (text === '') return;
    this.onEvent({ event, id, data: text });
  }
}
