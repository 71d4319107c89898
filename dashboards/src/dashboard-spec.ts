import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import {
  DashboardBuilder,
  DashboardCursorSync,
  DashboardLinkBuilder,
  DashboardLinkType,
  QueryVariableBuilder,
  TextBoxVariableBuilder,
  VariableRefresh,
  VariableSort,
  type Dashboard,
  type VariableModel,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { buildPanel, type PanelSpec } from './panel-spec.js';
import { CLICKHOUSE_DATASOURCE } from './query.js';

export interface VariableSpec {
  name: string;
  label: string;
  /** A ClickHouse query for the choices (multi-value, with "All"), or a free text box. */
  sql?: string;
  default?: string;
}

export interface DashboardSpec {
  uid: string;
  title: string;
  description: string;
  variables: VariableSpec[];
  panels: PanelSpec[];
  /** Default time range, e.g. `now-24h`. */
  from?: string;
}

const DASHBOARD_TAGS = ['toolwatch', 'mcp', 'security'];

function variable(v: VariableSpec): cog.Builder<VariableModel> {
  if (!v.sql) {
    const box = new TextBoxVariableBuilder(v.name).label(v.label);
    if (v.default !== undefined) box.defaultValue(v.default);
    return box;
  }
  return new QueryVariableBuilder(v.name)
    .label(v.label)
    .datasource({ ...CLICKHOUSE_DATASOURCE })
    .query(v.sql)
    .definition(v.sql)
    .multi(true)
    .includeAll(true)
    .current({ text: 'All', value: '$__all' })
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc);
}

/** Panels flow left to right in rows of 24 grid columns; a panel too wide starts a row. */
export function buildDashboard(spec: DashboardSpec): Dashboard {
  const b = new DashboardBuilder(spec.title)
    .uid(spec.uid)
    .description(spec.description)
    .tags(DASHBOARD_TAGS)
    .editable()
    .tooltip(DashboardCursorSync.Crosshair)
    .refresh('1m')
    .time({ from: spec.from ?? 'now-24h', to: 'now' })
    .timezone('browser')
    .link(new DashboardLinkBuilder('toolwatch').type(DashboardLinkType.Dashboards).tags(['toolwatch']).asDropdown(true).includeVars(false).keepTime(true));
  for (const v of spec.variables) b.withVariable(variable(v));
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  spec.panels.forEach((p, i) => {
    if (x + p.w > 24) {
      x = 0;
      y += rowHeight;
      rowHeight = 0;
    }
    b.withPanel(buildPanel(p, i + 1, x, y));
    x += p.w;
    rowHeight = Math.max(rowHeight, p.h);
  });
  return b.build();
}
