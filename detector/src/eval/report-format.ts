import type { EvalReport, FamilyFigures, NabFigures } from './evaluate.js';

const num = (v: number | null, digits: number) => (v === null ? '-' : v.toFixed(digits));

function topRule(rules: Record<string, number>): string {
  const entries = Object.entries(rules).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  if (entries.length === 0) return '';
  const [rule, n] = entries[0]!;
  return entries.length > 1 ? `${rule} ${n} (+${entries.length - 1} more)` : `${rule} ${n}`;
}

interface Row {
  name: string;
  sessions: number;
  recall: number | null;
  median: number | null;
  falsePer1k: number;
  nab: NabFigures | null;
  first: string;
}

const HEAD = ['family', 'sessions', 'recall', 'median calls', 'false/1k', 'NAB std', 'NAB low-FP', 'first alert by'];
const WIDTH = [18, 8, 7, 12, 9, 8, 10];

function line(cells: string[]): string {
  const [name, ...rest] = cells;
  const fixed = rest.slice(0, WIDTH.length - 1).map((c, i) => c.padStart(WIDTH[i + 1]!));
  return [name!.padEnd(WIDTH[0]!), ...fixed, ...rest.slice(WIDTH.length - 1)].join('  ').trimEnd();
}

const cells = (r: Row) => [
  r.name,
  String(r.sessions),
  num(r.recall, 2),
  num(r.median, r.median !== null && !Number.isInteger(r.median) ? 1 : 0),
  r.falsePer1k.toFixed(1),
  num(r.nab?.standard ?? null, 1),
  num(r.nab?.reward_low_FP ?? null, 1),
  r.first,
];

const row = (f: FamilyFigures): Row => ({
  name: f.family,
  sessions: f.sessions,
  recall: f.recall,
  median: f.medianCallsToAlert,
  falsePer1k: f.falseAlertsPer1k,
  nab: f.nab,
  first: topRule(f.firstAlertRules),
});

/** The report as a table for people: one row per family, hostile first, then totals. */
export function formatReport(report: EvalReport): string {
  const t = report.total;
  const out = [
    `toolwatch eval: ${t.benignSessions} benign sessions (+${t.warmupSessions} warm-up, not scored), ${t.hostileSessions} hostile, seed ${report.seed}; ${report.spans} spans, ${report.alerts} alerts`,
    '',
    line(HEAD),
  ];
  const hostile = report.families.filter((f) => f.hostile);
  const benign = report.families.filter((f) => !f.hostile);
  for (const f of hostile) out.push(line(cells(row(f))));
  out.push('');
  for (const f of benign) out.push(line(cells(row(f))));
  out.push('');
  out.push(
    line(
      cells({
        name: 'total',
        sessions: t.benignSessions + t.hostileSessions,
        recall: t.recall,
        median: t.medianCallsToAlert,
        falsePer1k: t.falseAlertsPer1kBenign,
        nab: t.nab,
        first: '',
      }),
    ),
  );
  const byRule = Object.entries(report.falseAlertsByRule).sort((a, b) => b[1] - a[1]);
  out.push(
    '',
    'recall: episodes with an alert from onset to session end. median calls: spans from the onset to the first such alert (0: the onset span).',
    'false/1k: hostile rows, alerts before the onset per 1,000 episodes; benign rows, alerts per 1,000 sessions;',
    '  total, every false alert per 1,000 scored benign sessions. NAB: 0 = never alerts, 100 = alerts on every onset and nothing else.',
    `false alerts by rule: ${byRule.length ? byRule.map(([r, n]) => `${r} ${n}`).join(', ') : 'none'}`,
    `warm-up: ${t.warmupAlerts} alerts in ${t.warmupSessions} sessions (not scored)`,
  );
  return `${out.join('\n')}\n`;
}
