import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { Toolwatch } from '@toolwatch/schemas';
import { toSpanRecord } from '../to-span-record.js';
import type { RecordTransport } from './record-transport.js';

export interface ExporterStats {
  exported: number;
  /** Spans a transport refused: counted, never thrown into the server. */
  failed: number;
}

/** An OpenTelemetry span exporter that writes span records to a record transport. */
export class SpanRecordExporter implements SpanExporter {
  readonly stats: ExporterStats = { exported: 0, failed: 0 };
  private readonly inFlight = new Set<Promise<void>>();
  private closing: Promise<void> | undefined;

  constructor(
    /** Public so that its own counters (a SpoolingTransport's) can be read. */
    readonly transport: RecordTransport,
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    let records;
    try {
      records = spans.map((span) => {
        const record = toSpanRecord(span);
        return { key: record.SpanAttributes[Toolwatch.SESSION_KEY] ?? record.TraceId, value: JSON.stringify(record) };
      });
    } catch (err) {
      this.stats.failed += spans.length;
      this.onError(err);
      done({ code: ExportResultCode.FAILED, error: err as Error });
      return;
    }
    const sending = this.transport.send(records).then(
      () => {
        this.stats.exported += records.length;
        done({ code: ExportResultCode.SUCCESS });
      },
      (err: unknown) => {
        this.stats.failed += records.length;
        this.onError(err);
        done({ code: ExportResultCode.FAILED, error: err as Error });
      },
    );
    this.inFlight.add(sending);
    void sending.finally(() => this.inFlight.delete(sending));
  }

  async forceFlush(): Promise<void> {
    await Promise.all(this.inFlight);
  }

  shutdown(): Promise<void> {
    this.closing ??= this.forceFlush().then(() => this.transport.close());
    return this.closing;
  }
}
