import { callOf, maxBenignResponse, thinkGapMs } from './benign.js';
import { inside, readers, SECRET_FINDINGS, type Episode } from './episode.js';
import { toolsByRole } from './world.js';

/** Session result bytes many times the client's median and twice its largest session:
 * more than the occasional legitimate export explains. */
export const bulkEgress: Episode = (ctx) =>
  inside(ctx, () => {
    const { b, rng, baseline } = ctx;
    const target = Math.max(rng.float(12, 40) * baseline.medianSessionBytes, 2 * baseline.maxSessionBytes);
    const tools = toolsByRole(b.service, 'read', 'search', 'export');
    const n = rng.int(3, 10);
    b.markOnset();
    for (let i = 0; i < n; i++) {
      const call = callOf(rng, rng.pick(tools), i === 0 ? thinkGapMs(rng) : rng.float(1_000, 8_000));
      call.responseBytes = Math.round((target / n) * rng.jitter(0.3));
      call.latencyMs = 200 + call.responseBytes / 5_000;
      call.error = false;
      b.call(call);
    }
    return `${n} large reads, ${(target / baseline.medianSessionBytes).toFixed(0)}× the client's median session`;
  });

/** Many reads, each of a normal size and at a modest pace, adding up over hours. */
export const slowEgress: Episode = (ctx) =>
  inside(ctx, () => {
    const { b, rng, baseline } = ctx;
    const t = [...readers(b.service)].sort((x, y) => y.responseBytes - x.responseBytes)[0]!;
    const target = rng.float(12, 25) * baseline.medianSessionBytes;
    const cap = Math.min(maxBenignResponse(t), t.responseBytes * Math.exp(1.28 * t.spread));
    let total = 0;
    let n = 0;
    const fromUs = b.nowUs;
    b.markOnset();
    while ((total < target || n < 60 || b.nowUs - fromUs < 45 * 60e6) && n < 600) {
      const call = callOf(rng, t, rng.float(20_000, 75_000));
      call.responseBytes = Math.round(Math.min(cap, Math.max(t.responseBytes * 0.6, call.responseBytes)));
      call.error = false;
      delete call.resultFindings;
      b.call(call);
      total += call.responseBytes;
      n += 1;
    }
    return `${n} ${t.name} calls over ${((b.nowUs - fromUs) / 60e6).toFixed(0)} min, ${(total / baseline.medianSessionBytes).toFixed(0)}× the client's median session`;
  });

/** Results that hold credentials: the scan reports the rule, the detector never sees the value. */
export const secretEgress: Episode = (ctx) =>
  inside(ctx, () => {
    const { b, rng } = ctx;
    const n = rng.int(1, 3);
    const rules: string[] = [];
    b.markOnset();
    for (let i = 0; i < n; i++) {
      const call = callOf(rng, rng.pick(readers(b.service)), thinkGapMs(rng));
      call.error = false;
      call.resultFindings = { ...rng.pick(SECRET_FINDINGS) };
      rules.push(...Object.keys(call.resultFindings));
      b.call(call);
    }
    return `${n} results holding ${[...new Set(rules)].join(', ')}`;
  });
