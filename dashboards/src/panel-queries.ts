import { ALERT_RULES } from './alert-rules.js';
import { DASHBOARDS } from './files.js';
import { expandMacros, type MacroContext } from './macros.js';
import type { PanelKind } from './panel-spec.js';

/** A query that Grafana sends, as ClickHouse receives it, and what it must return. */
export interface ExpandedQuery {
  dashboard: string;
  title: string;
  kind: PanelKind | 'variable' | 'alert rule';
  sql: string;
  columns: string[];
}

/** Every panel, template-variable and alert-rule query, with the macros expanded. */
export function expandedQueries(c: MacroContext): ExpandedQuery[] {
  const out: ExpandedQuery[] = [];
  for (const d of DASHBOARDS) {
    for (const v of d.variables) {
      if (v.sql) out.push({ dashboard: d.uid, title: `$${v.name}`, kind: 'variable', sql: expandMacros(v.sql, c), columns: [] });
    }
    for (const p of d.panels) out.push({ dashboard: d.uid, title: p.title, kind: p.kind, sql: expandMacros(p.sql, c), columns: p.columns });
  }
  for (const r of ALERT_RULES) {
    const now = { ...c, from: new Date(c.to.getTime() - r.minutes * 60_000) };
    out.push({ dashboard: 'alerting', title: r.title, kind: 'alert rule', sql: expandMacros(r.sql, now), columns: ['value'] });
  }
  return out;
}
