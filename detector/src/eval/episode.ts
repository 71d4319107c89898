import { emitCalls, thinkGapMs, type BenignPlan } from './benign.js';
import type { Rng } from './prng.js';
import type { SessionBuilder } from './session-builder.js';
import { approvedDefinitions, toolsByRole } from './world.js';

/** What the client's benign sessions looked like before this one: egress is judged against
 * the client's own normal, as a learned baseline would. */
export interface ClientBaseline {
  medianSessionBytes: number;
  maxSessionBytes: number;
}

export interface EpisodeContext {
  rng: Rng;
  b: SessionBuilder;
  /** The normal session the episode hides in. */
  plan: BenignPlan;
  episodeId: string;
  baseline: ClientBaseline;
}

/** Builds the whole session around its episode; returns the variant, for the label. */
export type Episode = (ctx: EpisodeContext) => string;

/** Secrets as the redactor names them, alone or together as a leaked file holds them. */
export const SECRET_FINDINGS: readonly Record<string, number>[] = [
  { 'aws-access-key-id': 1, 'aws-secret-access-key': 1 },
  { 'github-token': 1 },
  { 'private-key': 1 },
  { 'connection-string': 1 },
  { 'slack-token': 2 },
  { 'openai-api-key': 1 },
  { 'stripe-api-key': 1 },
];

/** Normal calls, the episode, then (more often than not) the agent carries on with its
 * task: the onset sits inside an otherwise normal session, never at its edges alone. */
export function inside(ctx: EpisodeContext, episode: () => string): string {
  const { b, rng } = ctx;
  const calls = ctx.plan.tasks.flat();
  b.initialize();
  b.listTools(approvedDefinitions(b.service));
  const lo = Math.min(2, calls.length);
  const split = rng.int(lo, Math.max(lo, calls.length - 1));
  emitCalls(b, calls.slice(0, split));
  const variant = episode();
  const rest = calls.slice(split);
  if (rest.length > 0 && rng.chance(0.6)) {
    rest[0] = { ...rest[0]!, gapMs: thinkGapMs(rng) };
    emitCalls(b, rest);
  }
  return variant;
}

/** The tools an agent reads with: what a loop repeats and an exfiltration pulls on. */
export const readers = (service: string) => toolsByRole(service, 'read', 'search');

