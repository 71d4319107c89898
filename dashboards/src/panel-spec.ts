import * as barchart from '@grafana/grafana-foundation-sdk/barchart';
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import * as common from '@grafana/grafana-foundation-sdk/common';
import { PanelBuilder as GenericPanelBuilder, type Panel } from '@grafana/grafana-foundation-sdk/dashboard';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { ClickHouseQueryBuilder, CLICKHOUSE_DATASOURCE, Format } from './query.js';

export type PanelKind = 'timeseries' | 'points' | 'table' | 'stat' | 'barchart' | 'traces';

/**
 * One panel: what it draws, its SQL, and the columns that SQL must return for the panel
 * to draw it (the tests run the SQL and compare).
 */
export interface PanelSpec {
  title: string;
  description?: string;
  kind: PanelKind;
  sql: string;
  columns: string[];
  unit?: string;
  /** Grid size (of 24 columns); panels flow left to right, top to bottom. */
  w: number;
  h: number;
  /** Data links: a column's cell opens the URL (`${__value.raw}` is the cell's value). */
  links?: { column: string; title: string; url: string }[];
}

export const formatOf = (kind: PanelKind): Format =>
  kind === 'timeseries' || kind === 'points' ? Format.TimeSeries : kind === 'traces' ? Format.Traces : Format.Table;

function builderFor(spec: PanelSpec): cog.Builder<Panel> & { withTarget(t: cog.Builder<cog.Dataquery>): unknown } {
  switch (spec.kind) {
    case 'timeseries':
      return new timeseries.PanelBuilder().fillOpacity(10).lineWidth(1).showPoints(common.VisibilityMode.Never);
    case 'points':
      return new timeseries.PanelBuilder().drawStyle(common.GraphDrawStyle.Points).pointSize(6);
    case 'table':
      return new table.PanelBuilder();
    case 'stat':
      return new stat.PanelBuilder().graphMode(common.BigValueGraphMode.None).reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']));
    case 'barchart':
      return new barchart.PanelBuilder();
    case 'traces':
      // The SDK has no builder of its own for the core traces panel.
      return new GenericPanelBuilder().type('traces');
  }
}

export function buildPanel(spec: PanelSpec, id: number, x: number, y: number): cog.Builder<Panel> {
  const b = builderFor(spec) as timeseries.PanelBuilder;
  // On the panel as well as the target: Grafana routes a panel's queries by the panel's
  // datasource, and would otherwise send them to the default one.
  b.id(id).title(spec.title).gridPos({ x, y, w: spec.w, h: spec.h }).datasource({ ...CLICKHOUSE_DATASOURCE });
  if (spec.description) b.description(spec.description);
  if (spec.unit) b.unit(spec.unit);
  b.withTarget(new ClickHouseQueryBuilder(spec.sql, formatOf(spec.kind)));
  for (const link of spec.links ?? []) {
    b.overrideByName(link.column, [{ id: 'links', value: [{ title: link.title, url: link.url }] }]);
  }
  return b;
}
