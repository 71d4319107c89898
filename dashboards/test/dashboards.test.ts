import { readFileSync } from 'node:fs';
import type { Dashboard, Panel } from '@grafana/grafana-foundation-sdk/dashboard';
import { ALERT_RULES, buildDashboards, CLICKHOUSE_DATASOURCE, DASHBOARDS, formatOf, grafanaFiles, type ClickHouseQuery } from '@toolwatch/dashboards';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const committed = (path: string) => readFileSync(new URL(`../../deploy/grafana/${path}`, import.meta.url), 'utf8');

describe('Grafana dashboards as code', () => {
  const dashboards = buildDashboards();

  it('match the files committed under deploy/grafana (run `toolwatch dashboards` after a change)', () => {
    for (const [path, text] of Object.entries(grafanaFiles())) expect(committed(path), path).toBe(text);
  });

  it('give every panel one ClickHouse SQL target on the provisioned datasource, time-filtered, in its format', () => {
    dashboards.forEach((d: Dashboard, i) => {
      const specs = DASHBOARDS[i]!.panels;
      expect(d.panels).toHaveLength(specs.length);
      (d.panels as Panel[]).forEach((p, j) => {
        const [target, ...more] = p.targets as ClickHouseQuery[];
        expect(more, p.title).toEqual([]);
        expect(target!.datasource).toEqual(CLICKHOUSE_DATASOURCE);
        expect(p.datasource, p.title).toEqual(CLICKHOUSE_DATASOURCE);
        expect(target!.editorType).toBe('sql');
        expect(target!.format).toBe(formatOf(specs[j]!.kind));
        expect(target!.rawSql, p.title).toMatch(/\$__timeFilter\(/);
        expect(p.gridPos!.x + p.gridPos!.w, p.title).toBeLessThanOrEqual(24);
      });
      expect(new Set((d.panels as Panel[]).map((p) => p.id)).size).toBe(d.panels!.length);
    });
  });

  it('write v1 dashboard JSON that file provisioning reads: uid, schemaVersion, no functions left over', () => {
    for (const d of dashboards) {
      const json = JSON.parse(committed(`dashboards/${d.uid}.json`));
      expect(json.uid).toMatch(/^toolwatch-/);
      expect(json.schemaVersion).toBeGreaterThanOrEqual(39);
      expect(json.tags).toContain('toolwatch');
      expect(JSON.stringify(json)).not.toContain('_implementsDataqueryVariant');
    }
  });

  it('link sessions and traces to the drill-down that exists', () => {
    const uids = new Set(dashboards.map((d) => d.uid));
    const urls = JSON.stringify(dashboards).match(/\/d\/[\w-]+/g) ?? [];
    expect(urls.length).toBeGreaterThan(0);
    for (const url of urls) expect(uids.has(url.slice(3)), url).toBe(true);
  });
});

describe('Grafana provisioning files', () => {
  const files = grafanaFiles();
  const yaml = (path: string) => parse(files[path]!);

  it('provision the ClickHouse datasource under the uid that dashboards and rules use, with OTel traces on', () => {
    const { datasources } = yaml('provisioning/datasources/toolwatch-clickhouse.yaml');
    expect(datasources).toHaveLength(1);
    expect(datasources[0]).toMatchObject({ type: 'grafana-clickhouse-datasource', uid: CLICKHOUSE_DATASOURCE.uid });
    expect(datasources[0].jsonData.traces).toMatchObject({ defaultTable: 'otel_traces', otelEnabled: true });
  });

  it('point the dashboard provider at a directory of files', () => {
    const { apiVersion, providers } = yaml('provisioning/dashboards/toolwatch.yaml');
    expect(apiVersion).toBe(1);
    expect(providers[0]).toMatchObject({ type: 'file', options: { path: expect.stringMatching(/^\//) } });
  });

  it('provision every alert rule on the datasource, reduce and threshold after it, and a webhook contact point', () => {
    const doc = yaml('provisioning/alerting/toolwatch.yaml');
    const rules = doc.groups[0].rules;
    expect(rules.map((r: { uid: string }) => r.uid)).toEqual(ALERT_RULES.map((r) => r.uid));
    for (const rule of rules) {
      const [query, reduce, threshold] = rule.data;
      expect(rule.condition).toBe('C');
      expect(query).toMatchObject({ refId: 'A', datasourceUid: CLICKHOUSE_DATASOURCE.uid, model: { editorType: 'sql', format: 1 } });
      // `$` starts an environment variable in provisioning files: macros must arrive as `$$`.
      expect(query.model.rawSql).toMatch(/\$\$__timeFilter\(/);
      expect(query.model.rawSql.replace(/\$\$/g, '')).not.toContain('$');
      expect(reduce).toMatchObject({ datasourceUid: '__expr__', model: { type: 'reduce', expression: 'A' } });
      expect(threshold).toMatchObject({ datasourceUid: '__expr__', model: { type: 'threshold', expression: 'B' } });
    }
    expect(doc.contactPoints[0].receivers[0]).toMatchObject({ type: 'webhook', settings: { url: '$TOOLWATCH_ALERT_WEBHOOK_URL' } });
    expect(doc.policies[0].receiver).toBe(doc.contactPoints[0].name);
  });

  it('write YAML that reads back as the very data it was built from, multi-line SQL included', () => {
    for (const [path, text] of Object.entries(files)) {
      if (!path.endsWith('.yaml')) continue;
      expect(parse(text), path).toEqual(expect.objectContaining({ apiVersion: 1 }));
    }
    const drift = yaml('provisioning/alerting/toolwatch.yaml').groups[0].rules[2].data[0].model.rawSql;
    expect(drift.replace(/\$\$/g, '$')).toBe(ALERT_RULES[2]!.sql);
  });
});
