import type { BenignFamily } from './labels.js';
import type { Rng } from './prng.js';
import type { Args, Call, SessionBuilder } from './session-builder.js';
import { approvedDefinitions, toolOf, toolsByRole, type Role, type ToolSpec } from './world.js';

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

/** An LLM turn between two calls of one task: seconds, rarely under one. */
export const thinkGapMs = (rng: Rng) => clamp(rng.logNormal(3_500, 0.7), 800, 60_000);
/** A person reading the answer and asking the next thing. Under the detector's 30-minute
 * idle limit, so a session is never forgotten half-way. */
export const taskGapMs = (rng: Rng) => clamp(rng.logNormal(90_000, 1), 15_000, 20 * 60_000);
/** Calls an agent fires together (parallel reads): well under a second apart. */
export const burstGapMs = (rng: Rng) => rng.float(50, 350);

/** Benign results stay within 2.5 spreads of the median: the largest a normal call gets. */
export const maxBenignResponse = (t: ToolSpec) => Math.round(t.responseBytes * Math.exp(2.5 * t.spread));
const minBenignResponse = (t: ToolSpec) => Math.max(2, Math.round(t.responseBytes * Math.exp(-2.5 * t.spread)));

export function responseBytes(rng: Rng, t: ToolSpec): number {
  return Math.round(clamp(rng.logNormal(t.responseBytes, t.spread), minBenignResponse(t), maxBenignResponse(t)));
}

export function freshArgs(rng: Rng, t: ToolSpec): Args {
  const args: Record<string, string | number | boolean> = {};
  for (const key of t.keys) {
    if (key === 'limit') args[key] = rng.pick([10, 20, 50, 100]);
    else if (key === 'dryRun') args[key] = rng.chance(0.3);
    else if (key === 'owner') args[key] = rng.pick(['acme', 'acme-labs']);
    else args[key] = `${key}-${rng.hex(5)}`;
  }
  return args;
}

/** A benign call: fresh arguments, a normal-sized result, now and then a tool error, and
 * the PII a normal answer of this tool holds. */
export function callOf(rng: Rng, t: ToolSpec, gapMs: number, args: Args = freshArgs(rng, t)): Call {
  const bytes = responseBytes(rng, t);
  const call: Call = {
    tool: t.name,
    args,
    requestBytes: clamp(rng.logNormal(t.requestBytes, 0.3), 2, 64_000),
    responseBytes: bytes,
    latencyMs: rng.logNormal(t.latencyMs, 0.5) + bytes / 20_000,
    gapMs,
  };
  if (rng.chance(0.03)) call.error = true;
  else if (t.resultPii && rng.chance(t.resultPii.p)) call.resultFindings = { ...t.resultPii.rules };
  if (t.argumentPii && rng.chance(t.argumentPii.p)) call.argumentFindings = { ...t.argumentPii.rules };
  return call;
}

/** Calls per task: 80% from 5 to 8, the range MCP-Universe measured (4.8 to 8.2 steps per
 * task across models), with a short and a long tail. */
export function callsPerSupportTask(rng: Rng): number {
  const r = rng.next();
  if (r < 0.1) return rng.int(3, 4);
  if (r < 0.9) return rng.int(5, 8);
  return rng.int(9, 12);
}

function pickRole(rng: Rng, service: string, weights: readonly (readonly [Role, number])[]): ToolSpec {
  const present = weights.filter(([role]) => toolsByRole(service, role).length > 0);
  return rng.pick(toolsByRole(service, rng.weighted(present)));
}

/** A question answered from tickets or docs: search first, then reads, often a write. */
function supportTask(rng: Rng, service: string): Call[] {
  const n = callsPerSupportTask(rng);
  const calls: Call[] = [callOf(rng, pickRole(rng, service, [['search', 1]]), thinkGapMs(rng))];
  const writes = toolsByRole(service, 'write');
  const finalWrite = writes.length > 0 && n >= 4 && rng.chance(0.7);
  while (calls.length < n - (finalWrite ? 1 : 0)) {
    const t = pickRole(rng, service, [['read', 3], ['search', 1.5], ['meta', 1], ['list', 0.5]]);
    const again = calls.find((c) => c.tool === t.name);
    calls.push(callOf(rng, t, thinkGapMs(rng), again && rng.chance(0.06) ? again.args : undefined));
  }
  if (finalWrite) calls.push(callOf(rng, rng.pick(writes), thinkGapMs(rng)));
  return calls;
}

/** A change in a codebase: searches, listings and reads, sometimes a burst of parallel
 * reads (up to 20, legitimately fast), re-reads of a file, often an edit at the end. */
function codingTask(rng: Rng, service: string): Call[] {
  const n = rng.int(5, 14);
  const calls: Call[] = [];
  while (calls.length < n) {
    const t = pickRole(rng, service, [['read', 4], ['search', 2], ['list', 1.5], ['meta', 1]]);
    const earlier = t.role === 'read' && rng.chance(0.08) ? calls.find((c) => c.tool === t.name) : undefined;
    calls.push(callOf(rng, t, thinkGapMs(rng), earlier?.args));
  }
  if (rng.chance(0.35)) {
    const at = rng.int(1, calls.length);
    const reads = toolsByRole(service, 'read');
    const burst = Array.from({ length: rng.int(6, 20) }, (_, i) => callOf(rng, rng.pick(reads), i === 0 ? thinkGapMs(rng) : burstGapMs(rng)));
    calls.splice(at, 0, ...burst);
  }
  if (rng.chance(0.5)) calls.push(callOf(rng, rng.pick(toolsByRole(service, 'write')), thinkGapMs(rng)));
  return calls;
}

/** A report built from the warehouse; the occasional export is 2–5 MB and legitimate. */
function reportingTask(rng: Rng, service: string, exportReport: boolean): Call[] {
  const calls: Call[] = [];
  if (rng.chance(0.5)) calls.push(callOf(rng, toolOf(service, 'list_tables'), thinkGapMs(rng)));
  for (let i = rng.int(1, 3); i > 0; i--) calls.push(callOf(rng, toolOf(service, 'describe_table'), thinkGapMs(rng)));
  for (let i = rng.int(2, 5); i > 0; i--) calls.push(callOf(rng, toolOf(service, 'run_query'), thinkGapMs(rng)));
  if (exportReport) {
    const call = callOf(rng, toolOf(service, 'export_report'), thinkGapMs(rng));
    call.responseBytes = Math.round(rng.float(2_000_000, 5_000_000));
    call.latencyMs = 1_000 + call.responseBytes / 2_000;
    call.error = false;
    calls.push(call);
  }
  return calls;
}

/** A nightly job: hundreds of calls at a steady, high rate, every night the same. The
 * rate is the client's own (indexer about 110 a minute, ETL about 75). */
function batchCalls(rng: Rng, service: string): Call[] {
  const perMinute = service === 'docs' ? rng.float(95, 130) : rng.float(60, 90);
  const periodMs = 60_000 / perMinute;
  const count = service === 'docs' ? rng.int(180, 480) : rng.int(150, 380);
  const calls: Call[] = [];
  for (let i = 0; i < count; i++) {
    const t =
      service === 'docs'
        ? toolOf(service, i % 25 === 0 ? 'list_docs' : i % 2 ? 'read_doc' : 'get_doc_metadata')
        : toolOf(service, i === 0 ? 'list_tables' : i % 4 === 1 ? 'describe_table' : 'run_query');
    const call = callOf(rng, t, 0);
    call.latencyMs = Math.min(call.latencyMs, periodMs * 0.5);
    call.gapMs = i === 0 ? rng.float(200, 2_000) : Math.max(5, periodMs * rng.jitter(0.15) - call.latencyMs);
    calls.push(call);
  }
  return calls;
}

export interface BenignPlan {
  tasks: Call[][];
  /** A benign `list_changed` and an identical re-list after this task (a server that
   * reloads), so that a change notice alone is not taken for an attack. */
  relistAfterTask: number | null;
}

const taskCount = (rng: Rng, shape: BenignFamily): number => {
  switch (shape) {
    case 'support':
      return rng.weighted([[1, 0.6], [2, 0.3], [3, 0.1]]);
    case 'coding':
      return rng.weighted([[1, 0.45], [2, 0.35], [3, 0.2]]);
    case 'multi_task':
      return rng.int(3, 6);
    case 'reporting':
      return rng.weighted([[1, 0.6], [2, 0.4]]);
    case 'batch':
      return 1;
  }
};

const isCodeServer = (service: string) => service === 'filesystem' || service === 'github';

export function planBenign(rng: Rng, shape: BenignFamily, service: string): BenignPlan {
  const count = taskCount(rng, shape);
  const exportAt = shape === 'reporting' && rng.chance(0.15) ? rng.int(0, count - 1) : -1;
  const tasks: Call[][] = [];
  for (let i = 0; i < count; i++) {
    const calls =
      shape === 'batch'
        ? batchCalls(rng, service)
        : shape === 'reporting'
          ? reportingTask(rng, service, i === exportAt)
          : isCodeServer(service)
            ? codingTask(rng, service)
            : supportTask(rng, service);
    if (i === 0 && shape !== 'batch') calls[0]!.gapMs = clamp(rng.logNormal(6_000, 0.6), 1_500, 45_000);
    else if (i > 0) calls[0]!.gapMs = shape === 'multi_task' ? clamp(rng.logNormal(240_000, 0.8), 60_000, 20 * 60_000) : taskGapMs(rng);
    tasks.push(calls);
  }
  const relistAfterTask = service === 'docs' && shape !== 'batch' && rng.chance(0.03) ? rng.int(0, count - 1) : null;
  return { tasks, relistAfterTask };
}

export function emitCalls(b: SessionBuilder, calls: readonly Call[]): void {
  for (const c of calls) b.call(c);
}

/** A whole benign session: initialize, list the tools, then the tasks. */
export function emitBenign(b: SessionBuilder, rng: Rng, plan: BenignPlan): void {
  b.initialize();
  b.listTools(approvedDefinitions(b.service));
  plan.tasks.forEach((calls, i) => {
    emitCalls(b, calls);
    if (plan.relistAfterTask === i) {
      b.listChanged(rng.float(500, 20_000));
      b.listTools(approvedDefinitions(b.service), rng.float(20, 400));
    }
  });
}
