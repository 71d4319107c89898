import type { SpanRecord } from '@toolwatch/schemas';
import { emitBenign, planBenign } from './benign.js';
import { EPISODES, type ClientBaseline } from './hostile.js';
import { HOSTILE_FAMILIES, type BenignFamily, type Corpus, type Family, type SessionLabel } from './labels.js';
import { Rng } from './prng.js';
import { SessionBuilder, type BuiltSpan } from './session-builder.js';
import { CLIENTS, type ClientSpec } from './world.js';

export interface CorpusOptions {
  /** Benign sessions that are scored; warm-up sessions come on top. */
  benign: number;
  hostile: number;
  seed: number;
  onProgress?: (done: number, total: number) => void;
}

/** NAB's probationary share: the first 15% of the corpus is for learning, not scoring. */
export const PROBATION = 0.15;
/** Monday 2 March 2026, 00:00 UTC: a fixed start, so timestamps are part of the seed's bytes. */
export const EPOCH_MS = Date.UTC(2026, 2, 2);
const DAY_MS = 86_400_000;
/** About as many sessions a day as a team of a few dozen agents would run. */
const SESSIONS_PER_DAY = 400;

const BENIGN_MIX: Readonly<Record<BenignFamily, number>> = { support: 0.36, coding: 0.32, multi_task: 0.13, reporting: 0.13, batch: 0.06 };

/** Which normal session each attack hides in (the shape), and on which servers. */
const HOSTILE_SHAPES: Readonly<Record<(typeof HOSTILE_FAMILIES)[number], readonly (readonly [BenignFamily, number])[]>> = {
  loop: [['support', 0.45], ['coding', 0.45], ['multi_task', 0.1]],
  loop_fast: [['support', 0.45], ['coding', 0.45], ['multi_task', 0.1]],
  burst: [['support', 0.4], ['coding', 0.5], ['multi_task', 0.1]],
  rug_pull: [['support', 0.4], ['coding', 0.4], ['reporting', 0.2]],
  shadowing: [['support', 0.5], ['coding', 0.5]],
  unadvertised_tool: [['support', 0.4], ['coding', 0.4], ['reporting', 0.2]],
  bulk_egress: [['support', 0.35], ['coding', 0.35], ['reporting', 0.3]],
  slow_egress: [['support', 0.35], ['coding', 0.35], ['reporting', 0.3]],
  secret_egress: [['support', 0.5], ['coding', 0.5]],
  env_scraping: [['coding', 0.8], ['support', 0.2]],
};

/** Who runs a session of this shape, against which server. */
function cast(rng: Rng, shape: BenignFamily, family: Family): { client: ClientSpec; service: string } {
  switch (shape) {
    case 'support': {
      if (family === 'env_scraping') return { client: CLIENTS.claudeDesktop, service: 'docs' }; // the server with paths
      const client = rng.weighted<ClientSpec>([[CLIENTS.supportCopilot, 0.6], [CLIENTS.claudeDesktop, 0.4]]);
      const service = client === CLIENTS.supportCopilot ? rng.weighted([['helpdesk', 0.8], ['docs', 0.2]]) : rng.weighted([['docs', 0.6], ['helpdesk', 0.4]]);
      return { client, service };
    }
    case 'coding':
      return { client: rng.pick([CLIENTS.cursor, CLIENTS.claudeCode]), service: rng.weighted([['filesystem', 0.6], ['github', 0.4]]) };
    case 'multi_task': {
      const client = rng.weighted<ClientSpec>([[CLIENTS.claudeDesktop, 0.4], [CLIENTS.claudeCode, 0.4], [CLIENTS.supportCopilot, 0.2]]);
      const service =
        client === CLIENTS.claudeDesktop ? rng.pick(['docs', 'helpdesk', 'github']) : client === CLIENTS.claudeCode ? rng.pick(['filesystem', 'github']) : 'helpdesk';
      return { client, service };
    }
    case 'reporting':
      return { client: CLIENTS.reportingBot, service: 'warehouse' };
    case 'batch':
      return rng.chance(0.5) ? { client: CLIENTS.nightlyIndexer, service: 'docs' } : { client: CLIENTS.etlSync, service: 'warehouse' };
  }
}

/** Sessions start in working hours mostly; batch jobs at night, between 01:00 and 04:30. */
function startTime(rng: Rng, shape: BenignFamily, fromMs: number, toMs: number): number {
  for (;;) {
    const day = Math.floor(rng.float(fromMs, toMs) / DAY_MS) * DAY_MS;
    const t =
      shape === 'batch'
        ? day + 3_600_000 + rng.float(0, 3.5 * 3_600_000)
        : day + rng.float(...rng.weighted<readonly [number, number]>([[[0, 8], 0.05], [[8, 19], 0.85], [[19, 24], 0.1]])) * 3_600_000;
    if (t >= fromMs && t < toMs) return Math.floor(t);
  }
}

/** Counts per family that add up exactly (largest remainder). */
function apportion<K extends string>(total: number, weights: Readonly<Record<K, number>>): [K, number][] {
  const keys = Object.keys(weights) as K[];
  const sum = keys.reduce((s, k) => s + weights[k], 0);
  const exact = keys.map((k) => (total * weights[k]) / sum);
  const counts = exact.map(Math.floor);
  const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (let i = 0; counts.reduce((s, c) => s + c, 0) < total; i++) counts[order[i]![1]]! += 1;
  return keys.map((k, i) => [k, counts[i]!]);
}

interface SessionPlan {
  ordinal: number;
  family: Family;
  hostile: boolean;
  probation: boolean;
  shape: BenignFamily;
  startMs: number;
}

/** Per client, the result bytes of its benign sessions so far. */
class History {
  private readonly bytes = new Map<string, number[]>();

  add(client: string, bytes: number): void {
    const list = this.bytes.get(client) ?? [];
    list.push(bytes);
    this.bytes.set(client, list);
  }

  baseline(client: string): ClientBaseline {
    const list = [...(this.bytes.get(client) ?? [])].sort((a, b) => a - b);
    if (list.length === 0) return { medianSessionBytes: 50_000, maxSessionBytes: 500_000 };
    return { medianSessionBytes: list[Math.floor(list.length / 2)]!, maxSessionBytes: list.at(-1)! };
  }
}

export function warmupCount(benign: number, hostile: number): number {
  return Math.round(((benign + hostile) * PROBATION) / (1 - PROBATION));
}

function plan(rng: Rng, options: CorpusOptions): { plans: SessionPlan[]; probationEndMs: number; endMs: number } {
  const warmup = warmupCount(options.benign, options.hostile);
  const total = warmup + options.benign + options.hostile;
  const days = Math.max(2, Math.ceil(total / SESSIONS_PER_DAY));
  const endMs = EPOCH_MS + days * DAY_MS;
  const probationEndMs = EPOCH_MS + Math.floor(PROBATION * days * DAY_MS);
  const plans: SessionPlan[] = [];
  const add = (family: Family, hostile: boolean, probation: boolean, shape: BenignFamily) => {
    const [from, to] = probation ? [EPOCH_MS, probationEndMs] : [probationEndMs, endMs];
    plans.push({ ordinal: plans.length, family, hostile, probation, shape, startMs: startTime(rng, shape, from, to) });
  };
  for (const [family, n] of apportion(warmup, BENIGN_MIX)) for (let i = 0; i < n; i++) add(family, false, true, family);
  for (const [family, n] of apportion(options.benign, BENIGN_MIX)) for (let i = 0; i < n; i++) add(family, false, false, family);
  const even = Object.fromEntries(HOSTILE_FAMILIES.map((f) => [f, 1])) as Record<(typeof HOSTILE_FAMILIES)[number], number>;
  for (const [family, n] of apportion(options.hostile, even)) {
    for (let i = 0; i < n; i++) add(family, true, false, rng.weighted(HOSTILE_SHAPES[family]));
  }
  plans.sort((a, b) => a.startMs - b.startMs || a.ordinal - b.ordinal);
  return { plans, probationEndMs, endMs };
}

const nanos = (ms: number) => `${ms}000000`;

/** Connection open and close: the earliest span start, the latest span end, exactly. */
function bounds(spans: readonly BuiltSpan[]): { startNs: string; endNs: string } {
  let start = BigInt(spans[0]!.record.Timestamp);
  let end = 0n;
  for (const { record } of spans) {
    const t = BigInt(record.Timestamp);
    if (t < start) start = t;
    if (t + BigInt(record.Duration) > end) end = t + BigInt(record.Duration);
  }
  return { startNs: start.toString(), endNs: end.toString() };
}

/**
 * The labelled corpus: sessions of several clients against several servers, overlapping
 * in event time, benign ones first alone (the probation period) and then mixed with one
 * hostile episode per hostile session. Same options, same bytes.
 */
export function generateCorpus(options: CorpusOptions): Corpus {
  const root = new Rng(`toolwatch-eval/${options.seed}`);
  const { plans, probationEndMs, endMs } = plan(root.child('plan'), options);
  const history = new History();
  const built: { span: BuiltSpan; session: number; index: number }[] = [];
  const labels: SessionLabel[] = [];

  plans.forEach((p, order) => {
    const rng = root.child(`session/${p.ordinal}`);
    const { client, service } = cast(rng, p.shape, p.family);
    const b = new SessionBuilder(rng, rng.uuid(), service, client, p.startMs * 1000);
    const benignPlan = planBenign(rng, p.shape, service);
    let variant = p.shape === 'batch' ? `${client.name} nightly run` : `${benignPlan.tasks.length} task(s)`;
    if (p.hostile) {
      variant = EPISODES[p.family as keyof typeof EPISODES]({ rng, b, plan: benignPlan, episodeId: `${options.seed}-${p.ordinal}`, baseline: history.baseline(client.name) });
    } else {
      emitBenign(b, rng, benignPlan);
      history.add(client.name, b.resultBytes);
    }
    // Most connections close and say so; the rest (a crash, a dropped link) end only by
    // going idle, which a detector must handle as well.
    if (rng.chance(0.95)) b.close(rng.float(50, 5_000));
    b.spans.forEach((span, index) => built.push({ span, session: order, index }));
    const onset = b.onsetIndex === null ? null : b.spans[b.onsetIndex]!.record;
    labels.push({
      sessionKey: b.sessionKey,
      family: p.family,
      hostile: p.hostile,
      probation: p.probation,
      service,
      client: client.name,
      shape: p.shape,
      variant,
      spans: b.spans.length,
      ...bounds(b.spans),
      onsetIndex: b.onsetIndex,
      onsetNs: onset?.Timestamp ?? null,
      callsPerTask: benignPlan.tasks.map((t) => t.length),
    });
    options.onProgress?.(order + 1, plans.length);
  });

  // The order an exporter hands spans on: by span end, a session's spans in their order.
  built.sort((a, b) => a.span.endUs - b.span.endUs || a.session - b.session || a.index - b.index);
  const records: SpanRecord[] = built.map((x) => x.span.record);
  return { seed: options.seed, records, labels, startNs: nanos(EPOCH_MS), probationEndNs: nanos(probationEndMs), endNs: nanos(endMs) };
}
