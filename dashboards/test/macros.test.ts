import { ALL, expandMacros, type MacroContext } from '@toolwatch/dashboards';
import { describe, expect, it } from 'vitest';

const c: MacroContext = {
  from: new Date('2026-11-19T12:00:00.250Z'),
  to: new Date('2026-11-20T12:00:00.750Z'),
  intervalMs: 90_500,
  variables: { service: ['files', "o'brien"], client: [ALL], session: "x' OR 1=1 --" },
};

describe('the ClickHouse plugin macros and template variables, expanded as Grafana does', () => {
  it('expands time macros as pkg/macros/macros.go writes them', () => {
    expect(expandMacros('$__timeFilter(Timestamp)', c)).toBe('Timestamp >= toDateTime(1795089600) AND Timestamp <= toDateTime(1795176000)');
    expect(expandMacros('$__timeFilter_ms(t)', c)).toBe('t >= fromUnixTimestamp64Milli(1795089600250) AND t <= fromUnixTimestamp64Milli(1795176000750)');
    expect(expandMacros('$__dateFilter(d)', c)).toBe("d >= toDate('2026-11-19') AND d <= toDate('2026-11-20')");
    expect(expandMacros('$__timeInterval(toDateTime(T))', c)).toBe('toStartOfInterval(toDateTime(toDateTime(T)), INTERVAL 90 second)');
    expect(expandMacros('$__fromTime $__toTime_ms $__interval_s', c)).toBe('toDateTime(1795089600) fromUnixTimestamp64Milli(1795176000750) 90');
  });

  it('quotes variable values for SQL and drops a condition on "All"', () => {
    expect(expandMacros('$__conditionalAll(ServiceName IN (${service:singlequote}), $service)', c)).toBe("ServiceName IN ('files','o\\'brien')");
    expect(expandMacros('$__conditionalAll(ClientName IN (${client:singlequote}), $client)', c)).toBe('1=1');
    expect(expandMacros('SessionKey = ${session:sqlstring}', c)).toBe("SessionKey = 'x'' OR 1=1 --'");
  });

  it('refuses what Grafana would not expand, rather than sending it on', () => {
    expect(() => expandMacros('$__timeFilterx(t)', c)).toThrow(/unknown macro \$__timeFilterx/);
    expect(() => expandMacros('$__timeFilter(a, b)', c)).toThrow(/expects 1 argument/);
    expect(() => expandMacros('$nope', c)).toThrow(/no value for template variable \$nope/);
  });
});
