import { ContactPointBuilder, NotificationPolicyBuilder, QueryBuilder, RuleBuilder, RuleGroupBuilder, type Rule } from '@grafana/grafana-foundation-sdk/alerting';
import { TypeReduceBuilder, TypeThresholdBuilder } from '@grafana/grafana-foundation-sdk/expr';
import { ClickHouseQueryBuilder, CLICKHOUSE_DATASOURCE, Format, T } from './query.js';

const ALERT_FOLDER = 'toolwatch';
const CONTACT_POINT = 'toolwatch-webhook';

export interface AlertRuleSpec {
  uid: string;
  title: string;
  summary: string;
  severity: string;
  /** One row, one number in `value`, over the last `minutes` (format 1, as the plugin's
   * alerting docs describe). */
  sql: string;
  minutes: number;
  threshold: number;
}

/** Alerting on what toolwatch stored: these page through Grafana when the SIEM path is
 * down, and they watch the pipeline itself (a silent detector is an incident too). */
export const ALERT_RULES: AlertRuleSpec[] = [
  {
    uid: 'toolwatch-high-alerts',
    title: 'toolwatch: high or critical MCP alert',
    summary: 'The detector raised {{ $values.B }} high or critical alerts in the last 5 minutes.',
    severity: 'critical',
    sql: `SELECT count() AS value FROM ${T.alerts} FINAL WHERE $__timeFilter(WindowStart) AND Severity IN ('high', 'critical')`,
    minutes: 5,
    threshold: 0,
  },
  {
    uid: 'toolwatch-egress-spike',
    title: 'toolwatch: MCP egress above 256 MiB in 5 minutes',
    summary: 'MCP servers sent {{ $values.B }} bytes to clients in the last 5 minutes.',
    severity: 'warning',
    sql: `SELECT sum(McpResponseBytes) AS value FROM ${T.spans} WHERE $__timeFilter(Timestamp)`,
    minutes: 5,
    threshold: 256 * 1024 * 1024,
  },
  {
    uid: 'toolwatch-definition-drift',
    title: 'toolwatch: a tool definition changed',
    summary: '{{ $values.B }} tool definitions changed in the last 15 minutes (tools/list advertised a new hash for a known tool).',
    severity: 'warning',
    sql: `SELECT count() AS value FROM ${T.toolInventory}
WHERE $__timeFilter(FirstSeen) AND (ServiceName, Tool) IN (SELECT ServiceName, Tool FROM ${T.toolInventory} WHERE FirstSeen < $__fromTime)`,
    minutes: 15,
    threshold: 0,
  },
];

/** `$` in provisioning files starts an environment variable; `$$` is a literal `$`. */
export const escapeDollars = (s: string) => s.replaceAll('$', '$$$$');

function rule(spec: AlertRuleSpec): Rule {
  return new RuleBuilder(spec.title)
    .uid(spec.uid)
    .condition('C')
    .withQuery(
      new QueryBuilder('A')
        .datasourceUid(CLICKHOUSE_DATASOURCE.uid)
        .relativeTimeRange({ from: spec.minutes * 60, to: 0 })
        .model(new ClickHouseQueryBuilder(escapeDollars(spec.sql), Format.Table, 'A')),
    )
    .withQuery(new QueryBuilder('B').datasourceUid('__expr__').model(new TypeReduceBuilder().refId('B').expression('A').reducer('last')))
    .withQuery(
      new QueryBuilder('C')
        .datasourceUid('__expr__')
        .model(new TypeThresholdBuilder().refId('C').expression('B').conditions([{ evaluator: { type: 'gt', params: [spec.threshold] } }])),
    )
    .forDuration('0s')
    .noDataState('OK')
    .execErrState('Error')
    .labels({ severity: spec.severity, source: 'toolwatch' })
    .annotations({ summary: escapeDollars(spec.summary) })
    .build();
}

/** Rules, contact point and policy in Grafana's alerting file-provisioning shape. */
export function alertingProvisioning(): Record<string, unknown> {
  const group = new RuleGroupBuilder('toolwatch').interval(60).build();
  const contact = new ContactPointBuilder()
    .uid(CONTACT_POINT)
    .name(CONTACT_POINT)
    .type('webhook')
    .settings({ url: '$TOOLWATCH_ALERT_WEBHOOK_URL', httpMethod: 'POST' })
    .build();
  const policy = new NotificationPolicyBuilder().receiver(CONTACT_POINT).groupBy(['grafana_folder', 'alertname']).groupWait('30s').groupInterval('5m').repeatInterval('4h').build();
  return {
    apiVersion: 1,
    groups: [
      {
        orgId: 1,
        name: group.title,
        folder: ALERT_FOLDER,
        interval: `${group.interval}s`,
        rules: ALERT_RULES.map(rule).map((r) => ({
          uid: r.uid,
          title: r.title,
          condition: r.condition,
          data: r.data,
          for: r.for,
          noDataState: r.noDataState,
          execErrState: r.execErrState,
          labels: r.labels,
          annotations: r.annotations,
        })),
      },
    ],
    contactPoints: [{ orgId: 1, name: contact.name, receivers: [{ uid: contact.uid, type: contact.type, settings: contact.settings, disableResolveMessage: false }] }],
    policies: [{ orgId: 1, ...policy }],
  };
}
