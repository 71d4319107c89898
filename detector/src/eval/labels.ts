import { Toolwatch, type SpanRecord } from '@toolwatch/schemas';

/** Agents doing their job. Each is a shape the detector must learn to leave alone. */
export const BENIGN_FAMILIES = ['support', 'coding', 'multi_task', 'reporting', 'batch'] as const;

/** The attack families of the reference's benchmark cases (detection-and-siem.md §5). */
export const HOSTILE_FAMILIES = [
  'loop',
  'loop_fast',
  'burst',
  'rug_pull',
  'shadowing',
  'unadvertised_tool',
  'bulk_egress',
  'slow_egress',
  'secret_egress',
  'env_scraping',
] as const;

export type BenignFamily = (typeof BENIGN_FAMILIES)[number];
export type HostileFamily = (typeof HOSTILE_FAMILIES)[number];
export type Family = BenignFamily | HostileFamily;

/**
 * What one session is, known to the generator and the scorer only. It lives beside the
 * span records, never in them: a detector that could read it would be graded on its
 * ability to read.
 */
export interface SessionLabel {
  sessionKey: string;
  family: Family;
  hostile: boolean;
  /** Starts in the probation period (the first 15% of the corpus, as NAB has it): the
   * detector learns from it and its alerts are not scored. Never hostile. */
  probation: boolean;
  service: string;
  client: string;
  /** The benign family the session's normal calls follow (a hostile episode is set inside
   * an otherwise normal session of this shape). */
  shape: BenignFamily;
  /** Free text: which variant of the family, and its parameters. */
  variant: string;
  /** Spans of the session, the closing `mcp.session` span (when the connection closed) included. */
  spans: number;
  /** Connection open (the earliest span start) and close (the latest span end). */
  startNs: string;
  endNs: string;
  /** Index, in the session's records in order, of the first span of the episode. */
  onsetIndex: number | null;
  onsetNs: string | null;
  /** Tool calls per task of the normal session, in order. The episode's calls are not in
   * it; in a hostile session the calls after the episode may have been cut. */
  callsPerTask: number[];
}

export interface Corpus {
  seed: number;
  /** Every span record, in the order a detector would receive them (by span end). */
  records: SpanRecord[];
  /** One per session, in order of session start. */
  labels: SessionLabel[];
  startNs: string;
  probationEndNs: string;
  endNs: string;
}

/** A session's records in order, by session key. */
export function recordsBySession(records: readonly SpanRecord[]): Map<string, SpanRecord[]> {
  const out = new Map<string, SpanRecord[]>();
  for (const r of records) {
    const key = r.SpanAttributes[Toolwatch.SESSION_KEY] ?? r.TraceId;
    let list = out.get(key);
    if (!list) out.set(key, (list = []));
    list.push(r);
  }
  return out;
}
