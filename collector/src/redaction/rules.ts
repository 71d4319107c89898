import { PATH_RULES } from './path-rules.js';
import { PII_RULES } from './pii-rules.js';
import type { Rule } from './rule.js';
import { SECRET_RULES } from './secret-rules.js';

/** Every rule, secrets first. Ids are stable: spans and alerts carry them. */
export const RULES: readonly Rule[] = [...SECRET_RULES, ...PII_RULES, ...PATH_RULES];

export const RULES_BY_ID: ReadonlyMap<string, Rule> = new Map(RULES.map((r) => [r.id, r]));

/** What a CLI lists: id, kind, description and the prefilter keywords of each rule. */
export function describeRules(): { id: string; kind: Rule['kind']; description: string; keywords: string[] }[] {
  return RULES.map((r) => ({
    id: r.id,
    kind: r.kind,
    description: r.description,
    keywords: r.detectors.flatMap((d) => (d.keywords ? [...d.keywords] : d.trigger ? [`/${d.trigger.source}/`] : [])),
  }));
}
