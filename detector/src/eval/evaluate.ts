import { Toolwatch, type AlertRecord, type SpanRecord } from '@toolwatch/schemas';
import { RulesConfig } from '../config.js';
import { DetectionEngine } from '../engine.js';
import { generateCorpus } from './corpus.js';
import { BENIGN_FAMILIES, HOSTILE_FAMILIES, type Corpus, type Family, type SessionLabel } from './labels.js';
import { NAB_PROFILES, nabScore, type NabFile, type NabProfileName } from './nab.js';

/** Anything that scores span records one by one, as DetectionEngine does. */
export interface Detector {
  process(record: SpanRecord): AlertRecord[];
}

/** An alert, placed on the span of its session that raised it. */
export interface PlacedAlert {
  index: number;
  rule: string;
}

export type NabFigures = Record<NabProfileName, number | null>;

export interface FamilyFigures {
  family: Family;
  hostile: boolean;
  sessions: number;
  /** Hostile only: episodes with at least one alert from onset to session end. */
  detected: number | null;
  recall: number | null;
  /** Median of (span index of the first alert in the window − onset index): 0 when the
   * onset span itself raised it. Null when nothing was detected. */
  medianCallsToAlert: number | null;
  /** Alerts in benign sessions; in hostile sessions, alerts before the onset. */
  falseAlerts: number;
  /** Per 1,000 sessions of this family. */
  falseAlertsPer1k: number;
  /** Hostile only; includes this family's share of the false alerts in benign sessions. */
  nab: NabFigures | null;
  /** Rule of the first alert in each detected episode. */
  firstAlertRules: Record<string, number>;
}

export interface EvalTotals {
  benignSessions: number;
  warmupSessions: number;
  hostileSessions: number;
  detected: number;
  recall: number | null;
  medianCallsToAlert: number | null;
  falseAlerts: number;
  /** All false alerts (benign sessions and before onsets) per 1,000 scored benign sessions. */
  falseAlertsPer1kBenign: number;
  /** Alerts in probation sessions: shown, not scored. */
  warmupAlerts: number;
  nab: NabFigures;
}

export interface EvalReport {
  seed: number;
  spans: number;
  alerts: number;
  families: FamilyFigures[];
  total: EvalTotals;
  falseAlertsByRule: Record<string, number>;
}

/** Runs the detector over the corpus in delivery order and places each alert on a span:
 * the span being processed when the alert names that span's session (the engine's way),
 * else the latest span seen of the session the alert names. */
export function placeAlerts(corpus: Corpus, detector: Detector, onProgress?: (done: number, total: number) => void): Map<string, PlacedAlert[]> {
  const seen = new Map<string, number>();
  const placed = new Map<string, PlacedAlert[]>(corpus.labels.map((l) => [l.sessionKey, []]));
  corpus.records.forEach((record, i) => {
    const key = record.SpanAttributes[Toolwatch.SESSION_KEY] ?? record.TraceId;
    const index = seen.get(key) ?? 0;
    seen.set(key, index + 1);
    for (const alert of detector.process(record)) {
      if (alert.status !== 'open') continue; // detection is when an alert opens
      const session = placed.has(alert.sessionKey) ? alert.sessionKey : key;
      const at = session === key ? index : Math.max(0, (seen.get(session) ?? 1) - 1);
      placed.get(session)?.push({ index: at, rule: alert.rule });
    }
    if (onProgress && (i % 4096 === 0 || i === corpus.records.length - 1)) onProgress(i + 1, corpus.records.length);
  });
  return placed;
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const count = (into: Record<string, number>, key: string) => {
  into[key] = (into[key] ?? 0) + 1;
};

interface Outcome {
  label: SessionLabel;
  falseAlerts: PlacedAlert[];
  /** Index of the first alert at or after the onset, and its rule. */
  first: PlacedAlert | undefined;
  file: NabFile;
}

function outcome(label: SessionLabel, alerts: readonly PlacedAlert[]): Outcome {
  const onset = label.onsetIndex;
  const inWindow = onset === null ? [] : alerts.filter((a) => a.index >= onset);
  const first = inWindow.reduce<PlacedAlert | undefined>((m, a) => (m === undefined || a.index < m.index ? a : m), undefined);
  return {
    label,
    falseAlerts: onset === null ? [...alerts] : alerts.filter((a) => a.index < onset),
    first,
    file: {
      rows: label.spans,
      windows: onset === null ? [] : [{ start: onset, end: label.spans - 1 }],
      detections: alerts.map((a) => a.index),
    },
  };
}

function nab(files: readonly NabFile[]): NabFigures {
  const out = {} as NabFigures;
  for (const name of Object.keys(NAB_PROFILES) as NabProfileName[]) out[name] = nabScore(files, NAB_PROFILES[name]).normalised;
  return out;
}

/** The figures, from labels and placed alerts. Probation sessions are left out of every
 * figure but the warm-up count, as NAB leaves out its probationary rows. */
export function scoreAlerts(labels: readonly SessionLabel[], placed: ReadonlyMap<string, readonly PlacedAlert[]>): Omit<EvalReport, 'seed' | 'spans' | 'alerts'> {
  const scored: Outcome[] = [];
  let warmupSessions = 0;
  let warmupAlerts = 0;
  for (const label of labels) {
    const alerts = placed.get(label.sessionKey) ?? [];
    if (label.probation) {
      warmupSessions += 1;
      warmupAlerts += alerts.length;
    } else scored.push(outcome(label, alerts));
  }
  const benign = scored.filter((o) => !o.label.hostile);
  const hostile = scored.filter((o) => o.label.hostile);
  const falseAlertsByRule: Record<string, number> = {};
  for (const o of scored) for (const a of o.falseAlerts) count(falseAlertsByRule, a.rule);

  const families: FamilyFigures[] = [];
  for (const family of [...HOSTILE_FAMILIES, ...BENIGN_FAMILIES] as Family[]) {
    const of = scored.filter((o) => o.label.family === family);
    if (of.length === 0) continue;
    const isHostile = of[0]!.label.hostile;
    const falseAlerts = of.reduce((s, o) => s + o.falseAlerts.length, 0);
    const detected = of.filter((o) => o.first);
    const firstAlertRules: Record<string, number> = {};
    for (const o of detected) count(firstAlertRules, o.first!.rule);
    // The family's share of benign sessions, so a family's NAB pays for false alarms in
    // the proportion the whole corpus does, and the total is the episode-weighted mean.
    const share = of.length / hostile.length;
    families.push({
      family,
      hostile: isHostile,
      sessions: of.length,
      detected: isHostile ? detected.length : null,
      recall: isHostile ? detected.length / of.length : null,
      medianCallsToAlert: isHostile ? median(detected.map((o) => o.first!.index - o.label.onsetIndex!)) : null,
      falseAlerts,
      falseAlertsPer1k: (1000 * falseAlerts) / of.length,
      nab: isHostile ? nab([...of.map((o) => o.file), ...benign.map((o) => ({ ...o.file, weight: share }))]) : null,
      firstAlertRules,
    });
  }

  const detected = hostile.filter((o) => o.first);
  const falseAlerts = scored.reduce((s, o) => s + o.falseAlerts.length, 0);
  return {
    families,
    total: {
      benignSessions: benign.length,
      warmupSessions,
      hostileSessions: hostile.length,
      detected: detected.length,
      recall: hostile.length ? detected.length / hostile.length : null,
      medianCallsToAlert: median(detected.map((o) => o.first!.index - o.label.onsetIndex!)),
      falseAlerts,
      falseAlertsPer1kBenign: benign.length ? (1000 * falseAlerts) / benign.length : 0,
      warmupAlerts,
      nab: nab(scored.map((o) => o.file)),
    },
    falseAlertsByRule,
  };
}

export interface EvalOptions {
  benign?: number;
  hostile?: number;
  seed?: number;
  /** The rules of the default detector, `RulesConfig.parse({})` when absent. */
  rules?: RulesConfig;
  /** Another detector (a fresh one: it learns from the corpus as it goes). */
  detector?: Detector;
  /** A corpus already generated, to score several detectors on the same bytes. */
  corpus?: Corpus;
  onProgress?: (phase: 'generate' | 'score', done: number, total: number) => void;
}

export const EVAL_DEFAULTS = { benign: 2000, hostile: 500, seed: 42 } as const;

/** Generates the corpus (unless given), scores it with the detector and returns the figures. */
export function runEval(options: EvalOptions = {}): EvalReport {
  const seed = options.corpus?.seed ?? options.seed ?? EVAL_DEFAULTS.seed;
  const corpus =
    options.corpus ??
    generateCorpus({
      benign: options.benign ?? EVAL_DEFAULTS.benign,
      hostile: options.hostile ?? EVAL_DEFAULTS.hostile,
      seed,
      onProgress: (d, t) => options.onProgress?.('generate', d, t),
    });
  const detector = options.detector ?? new DetectionEngine(options.rules ?? RulesConfig.parse({}));
  const placed = placeAlerts(corpus, detector, (d, t) => options.onProgress?.('score', d, t));
  let alerts = 0;
  for (const list of placed.values()) alerts += list.length;
  return { seed, spans: corpus.records.length, alerts, ...scoreAlerts(corpus.labels, placed) };
}
