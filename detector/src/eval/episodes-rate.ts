import { callOf, thinkGapMs } from './benign.js';
import { inside, readers, type Episode, type EpisodeContext } from './episode.js';
import { toolsByRole, type ToolSpec } from './world.js';

/** One call, repeated with its arguments: the same answer each time. */
function repeat(ctx: EpisodeContext, count: number, gapMs: () => number, latencyMs?: () => number): ToolSpec {
  const { b, rng } = ctx;
  const t = rng.pick(readers(b.service));
  const first = callOf(rng, t, thinkGapMs(rng));
  first.error = false;
  b.markOnset();
  for (let i = 0; i < count; i++) {
    // The same call answers the same: one size, one argument hash.
    b.call({ ...first, gapMs: i === 0 ? first.gapMs : gapMs(), latencyMs: latencyMs?.() ?? first.latencyMs });
  }
  return t;
}

/** An agent stuck on one call, seconds apart: under a calls-per-minute limit, so only the
 * repeats give it away (SAFE-T1106: 10 or more in 5 minutes). */
export const loop: Episode = (ctx) =>
  inside(ctx, () => {
    const n = ctx.rng.int(10, 30);
    const every = ctx.rng.float(4_000, 25_000);
    const t = repeat(ctx, n, () => every * ctx.rng.jitter(0.2));
    return `${n} identical ${t.name} calls about every ${(every / 1000).toFixed(0)} s`;
  });

/** The same loop at 100 or more calls a minute. */
export const loopFast: Episode = (ctx) =>
  inside(ctx, () => {
    const n = ctx.rng.int(100, 240);
    const every = ctx.rng.float(100, 400);
    const t = repeat(ctx, n, () => every * ctx.rng.jitter(0.15), () => ctx.rng.float(10, 60));
    return `${n} identical ${t.name} calls about ${Math.round(60_000 / (every + 35))} a minute`;
  });

/** Many different calls, several a second: enumeration rather than a loop. */
export const burst: Episode = (ctx) =>
  inside(ctx, () => {
    const { b, rng } = ctx;
    const tools = toolsByRole(b.service, 'read', 'search', 'list', 'meta');
    const n = rng.int(40, 120);
    b.markOnset();
    for (let i = 0; i < n; i++) {
      const call = callOf(rng, rng.pick(tools), i === 0 ? thinkGapMs(rng) : rng.float(30, 300));
      call.latencyMs = rng.float(10, 120);
      b.call(call);
    }
    return `${n} different calls, several a second`;
  });

