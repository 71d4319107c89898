/** What the HTTP proxy has seen, for operators: bodies it forwarded but could not observe
 * are counted here, never logged with their content. */
export interface HttpProxyStats {
  /** HTTP requests forwarded (or answered 502). */
  requests: number;
  /** JSON-RPC messages observed from the client and from the server. */
  received: number;
  sent: number;
  /** Bodies or SSE events over `maxBodyBytes`: forwarded, not observed. */
  oversized: number;
  /** Bodies or SSE events that were not JSON-RPC (or not decodable): forwarded, not observed. */
  malformed: number;
  /** Requests the upstream could not be reached for (answered 502), or that it broke off. */
  upstreamErrors: number;
}

export const emptyStats = (): HttpProxyStats => ({ requests: 0, received: 0, sent: 0, oversized: 0, malformed: 0, upstreamErrors: 0 });
