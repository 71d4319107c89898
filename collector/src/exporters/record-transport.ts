/** A span record on its way to the detector: Kafka message key (the session key, so one
 * session stays on one partition, in order) and the record as JSON. */
export interface KeyedRecord {
  key: string;
  value: string;
}

/**
 * Where span records go: Kafka in production, an in-process queue when everything runs
 * on one machine, a JSONL file for an audit log. `send` resolves when the records are
 * accepted and rejects when they are not; it never blocks the MCP server, because the
 * batch span processor calls it off the request path.
 */
export interface RecordTransport {
  readonly name: string;
  send(records: KeyedRecord[]): Promise<void>;
  close(): Promise<void>;
}
