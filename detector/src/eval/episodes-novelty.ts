import { callOf, emitCalls, freshArgs, thinkGapMs } from './benign.js';
import { inside, readers, SECRET_FINDINGS, type Episode } from './episode.js';
import type { Rng } from './prng.js';
import type { Args } from './session-builder.js';
import { ADVERTISED_NAMES, approvedDefinitions, definitionHash, server, SERVERS, toolsByRole, type ToolSpec } from './world.js';

/** A tool whose definition changes after earlier sessions approved it: at connect time (a
 * new session simply gets the new description), or mid-session after list_changed. */
export const rugPull: Episode = (ctx) => {
  const { b, rng } = ctx;
  const t = rng.pick(readers(b.service));
  const defs = { ...approvedDefinitions(b.service), [t.name]: definitionHash(b.service, t.name, `rug-pull-${ctx.episodeId}`) };
  const useIt = () => {
    for (let i = rng.int(1, 3); i > 0; i--) b.call(callOf(rng, t, thinkGapMs(rng)));
  };
  if (rng.chance(0.5)) {
    b.initialize();
    b.markOnset();
    b.listTools(defs);
    const calls = ctx.plan.tasks.flat();
    const at = rng.int(0, Math.min(3, calls.length));
    emitCalls(b, calls.slice(0, at));
    useIt();
    emitCalls(b, calls.slice(at));
    return `definition of ${t.name} changed at connect`;
  }
  return inside(ctx, () => {
    b.markOnset();
    b.listChanged(rng.float(2_000, 60_000));
    b.listTools(defs, rng.float(20, 400));
    useIt();
    return `definition of ${t.name} changed after list_changed`;
  });
};

const HOMOGLYPHS: Record<string, string> = { l: '1', i: '1', o: '0', e: '3', s: '5' };

function typosquat(rng: Rng, name: string): string {
  for (;;) {
    const chars = [...name];
    const at = rng.int(0, chars.length - 2);
    const c = chars[at]!;
    const op = rng.int(0, 2);
    if (op === 0 && HOMOGLYPHS[c]) chars[at] = HOMOGLYPHS[c];
    else if (op === 1 && c !== '_' && chars[at + 1] !== '_') [chars[at], chars[at + 1]] = [chars[at + 1]!, c];
    else if (op === 2 && c !== '_') chars.splice(at, 0, c);
    const out = chars.join('');
    if (out !== name && !ADVERTISED_NAMES.has(out)) return out;
  }
}

/** After list_changed, a new tool whose name passes for a trusted one: another server's
 * tool (`read_file` on a second server) or a near-miss of a real name (`read_fi1e`). */
export const shadowing: Episode = (ctx) =>
  inside(ctx, () => {
    const { b, rng } = ctx;
    const own = new Set(server(b.service).tools.map((t) => t.name));
    let original: ToolSpec;
    let name: string;
    let how: string;
    if (rng.chance(0.5)) {
      original = rng.pick(Object.values(SERVERS).flatMap((s) => (s.service === b.service ? [] : s.tools.filter((t) => t.role !== 'export' && !own.has(t.name)))));
      name = original.name;
      how = 'cross-server';
    } else {
      original = rng.pick(readers(rng.chance(0.6) ? b.service : rng.pick(Object.keys(SERVERS))));
      name = typosquat(rng, original.name);
      how = 'typosquat';
    }
    b.markOnset();
    b.listChanged(rng.float(2_000, 60_000));
    b.listTools({ ...approvedDefinitions(b.service), [name]: definitionHash(b.service, name, `shadow-${ctx.episodeId}`) }, rng.float(20, 400));
    for (let i = rng.int(1, 3); i > 0; i--) b.call(callOf(rng, { ...original, name, resultPii: undefined }, thinkGapMs(rng)));
    return `${how}: ${name} shadows ${original.name}`;
  });

/** A call to a tool `tools/list` never showed: hidden, disabled or guessed. */
export const unadvertised: Episode = (ctx) =>
  inside(ctx, () => {
    const { b, rng } = ctx;
    const name = rng.pick(server(b.service).hidden);
    const spec: ToolSpec = { name, role: 'read', keys: ['scope'], requestBytes: 60, responseBytes: 3_000, spread: 0.8, latencyMs: 120 };
    const n = rng.int(1, 3);
    b.markOnset();
    for (let i = 0; i < n; i++) {
      const call = callOf(rng, spec, thinkGapMs(rng));
      if (rng.chance(0.4)) {
        call.error = true;
        call.responseBytes = rng.int(60, 120);
      }
      b.call(call);
    }
    return `${n} calls to ${name}`;
  });

/** Arguments naming a file: the same file read anywhere hashes the same. */
function pointAt(rng: Rng, t: ToolSpec, target: string): Args {
  const fresh = freshArgs(rng, t);
  return Object.fromEntries(t.keys.map((k) => [k, k === 'path' ? target : k === 'doc_id' ? `../../${target}` : fresh[k]!]));
}

const SENSITIVE_TARGETS = ['.env', '.env.production', '~/.ssh/id_rsa', '/etc/passwd', '/etc/shadow', '~/.aws/credentials', '~/.ssh/config'];

/** Reads of credential files: the scan names the path, never its content. */
export const envScraping: Episode = (ctx) =>
  inside(ctx, () => {
    const { b, rng } = ctx;
    const t = toolsByRole(b.service, 'read')[0]!;
    const n = rng.int(1, 4);
    const targets: string[] = [];
    b.markOnset();
    for (let i = 0; i < n; i++) {
      const target = rng.pick(SENSITIVE_TARGETS);
      targets.push(target);
      const call = callOf(rng, t, thinkGapMs(rng), pointAt(rng, t, target));
      call.argumentFindings = { 'sensitive-path': 1 };
      delete call.resultFindings;
      call.error = false;
      const r = rng.next();
      if (r < 0.5) call.resultFindings = { ...rng.pick(SECRET_FINDINGS) };
      else if (r < 0.75) {
        call.error = true;
        call.responseBytes = rng.int(60, 140);
      }
      b.call(call);
    }
    return `${t.name} of ${[...new Set(targets)].join(', ')}`;
  });

