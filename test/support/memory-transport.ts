import type { KeyedRecord, RecordTransport } from '@toolwatch/collector';
import { SpanRecord } from '@toolwatch/schemas';

/** A record transport that keeps what it is sent, for tests that inspect span records. */
export class MemoryRecordTransport implements RecordTransport {
  readonly name = 'memory';
  readonly sent: KeyedRecord[] = [];
  async send(records: KeyedRecord[]): Promise<void> {
    this.sent.push(...records);
  }
  async close(): Promise<void> {}
  /** Every record sent so far, checked against the schema. */
  records(): SpanRecord[] {
    return this.sent.map((r) => SpanRecord.parse(JSON.parse(r.value)));
  }
}
