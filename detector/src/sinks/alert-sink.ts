import type { AlertRecord } from '@toolwatch/schemas';

/**
 * Where alerts go: a SIEM, an incident tool, a webhook. One file per sink. `deliver`
 * resolves once the receiver has accepted the alert and throws a DeliveryError when it
 * has not; the delivery queue retries, so a sink does one attempt and no more.
 */
export interface AlertSink {
  /** For logs and counters; never the URL, which may hold a token. */
  readonly name: string;
  /** The sink's key in the durable outbox: stable across restarts, unique among sinks
   * (`name` when absent). Sinks from configuration take the entry's `name`, or one made
   * from the type and a hash of the destination. */
  readonly id?: string;
  deliver(alert: AlertRecord): Promise<void>;
  close?(): Promise<void>;
}

export class DeliveryError extends Error {
  override name = 'DeliveryError';
  constructor(
    message: string,
    /** False for an answer that a retry cannot change (400, 401, 403, 413…). */
    readonly retryable: boolean,
    /** The receiver's Retry-After, when it gave one. */
    readonly retryAfterMs?: number,
    /** The receiver asked never to be called again (410 Gone). */
    readonly disable = false,
  ) {
    super(message);
  }
}

/** Classifies an HTTP answer the way Standard Webhooks, Splunk HEC and PagerDuty do. */
export function httpDeliveryError(sink: string, status: number, retryAfter: string | null): DeliveryError {
  const after = retryAfter === null ? undefined : parseRetryAfter(retryAfter);
  if (status === 410) return new DeliveryError(`${sink}: 410 Gone, endpoint disabled`, false, undefined, true);
  const retryable = status === 408 || status === 429 || status >= 500 || (status >= 300 && status < 400);
  return new DeliveryError(`${sink}: HTTP ${status}`, retryable, after);
}

function parseRetryAfter(value: string): number | undefined {
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** A URL as it may appear in a log: scheme, host and port, never a path or query that
 * may carry a token (Slack and many SIEM webhook URLs do). */
export const safeOrigin = (url: string): string => {
  try {
    return new URL(url).origin;
  } catch {
    return '(invalid url)';
  }
};
