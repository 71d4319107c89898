/**
 * The redaction API that the instrumentation, the proxy and the OTLP collector service
 * share. Everything here is synchronous and bounded: it runs in the MCP server's process.
 * Findings name a rule and a position, never the value.
 */

/** `path`: a reference to a file that holds credentials (`.env`, `id_rsa`), not a secret itself. */
export type FindingKind = 'secret' | 'pii' | 'path';

export interface RedactionFinding {
  /** Stable rule id, e.g. `aws-access-key-id`, `github-token`, `credit-card`. */
  rule: string;
  kind: FindingKind;
  /** UTF-16 offsets into the scanned text. */
  start: number;
  end: number;
}

export interface RedactionOptions {
  /** Bytes scanned at most per call (text beyond is not scanned and reported truncated);
   * a hostile payload cannot stall the server. Default 256 KiB. */
  maxBytes?: number;
}

export interface TextScan {
  findings: RedactionFinding[];
  /** True when the input was longer than maxBytes and its tail was not scanned. */
  truncated: boolean;
}

/** Rule id → number of findings: what a span carries in `toolwatch.redaction.findings`. */
export type FindingCounts = Record<string, number>;

export interface ValueScan {
  findings: FindingCounts;
  truncated: boolean;
}

export interface RedactedText {
  /** The text with each finding replaced by `[REDACTED:<rule>]`. Text past maxBytes is
   * cut off and replaced by `[TRUNCATED]`, never passed through unscanned. */
  text: string;
  findings: FindingCounts;
  truncated: boolean;
}

export interface RedactedValue<T> {
  value: T;
  findings: FindingCounts;
  truncated: boolean;
}
