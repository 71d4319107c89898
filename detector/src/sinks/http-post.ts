import { DeliveryError, httpDeliveryError } from './alert-sink.js';

export interface HttpPost {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs?: number;
}

/**
 * One HTTP POST for a sink. A network failure or a timeout is a retryable DeliveryError
 * that names the sink, never the URL or the headers, which carry tokens. Redirects are not
 * followed: a redirected POST would carry the credentials somewhere nobody configured.
 */
export async function post(sink: string, request: HttpPost): Promise<Response> {
  try {
    return await fetch(request.url, {
      method: 'POST',
      headers: request.headers,
      body: request.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(request.timeoutMs ?? 15_000),
    });
  } catch (err) {
    const reason = (err as Error).name === 'TimeoutError' ? 'timed out' : 'unreachable';
    throw new DeliveryError(`${sink}: ${reason}`, true);
  }
}

/** Throws the classified DeliveryError for anything but a 2xx; the body is dropped unread. */
export async function expectOk(sink: string, response: Response): Promise<void> {
  await response.body?.cancel();
  if (response.status >= 200 && response.status < 300) return;
  throw httpDeliveryError(sink, response.status, response.headers.get('retry-after'));
}

/** A JSON reply, or undefined when the body is not JSON (a proxy's HTML error page). */
export async function jsonReply(response: Response): Promise<unknown> {
  try {
    return JSON.parse(await response.text());
  } catch {
    return undefined;
  }
}
