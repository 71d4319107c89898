import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';

/**
 * The same spans to several exporters (Kafka and an audit log, say). A batch is done when
 * every exporter is done with it, and failed if any failed; one exporter failing, or
 * throwing, never keeps the batch from the others. Each bounds its own time (a spooling
 * Kafka path hands off within a second; OTLP/HTTP times out after `timeoutMillis`).
 */
export class FanOutExporter implements SpanExporter {
  constructor(readonly exporters: readonly SpanExporter[]) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    let left = this.exporters.length;
    let error: Error | undefined;
    let failed = false;
    if (left === 0) return done({ code: ExportResultCode.SUCCESS });
    for (const exporter of this.exporters) {
      let called = false;
      const finish = (result: ExportResult) => {
        if (called) return; // an exporter calling back twice must not finish the batch early
        called = true;
        if (result.code !== ExportResultCode.SUCCESS) {
          failed = true;
          error ??= result.error;
        }
        if (--left === 0) done(failed ? { code: ExportResultCode.FAILED, error } : { code: ExportResultCode.SUCCESS });
      };
      try {
        exporter.export(spans, finish);
      } catch (err) {
        finish({ code: ExportResultCode.FAILED, error: err as Error });
      }
    }
  }

  async forceFlush(): Promise<void> {
    await settleAll(this.exporters.map((e) => () => e.forceFlush?.()));
  }

  async shutdown(): Promise<void> {
    await settleAll(this.exporters.map((e) => () => e.shutdown()));
  }
}

/** Waits for all; the first failure is reported after every one has finished. */
async function settleAll(calls: Array<() => Promise<void> | undefined>): Promise<void> {
  const results = await Promise.allSettled(calls.map(async (call) => call()));
  const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (rejected) throw rejected.reason;
}
