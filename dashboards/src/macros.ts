/**
 * Grafana and the ClickHouse plugin expand a panel's SQL before ClickHouse sees it: first
 * the template variables (frontend), then the plugin's macros (`pkg/macros/macros.go`).
 * This does the same, so tests and the benchmark run the very SQL Grafana would send.
 */
export interface MacroContext {
  from: Date;
  to: Date;
  /** The panel's interval (range / max data points, as Grafana computes it). */
  intervalMs: number;
  /** Variable values; `['$__all']` is "All". */
  variables: Record<string, string | string[]>;
}

export const ALL = '$__all';

const seconds = (d: Date) => Math.floor(d.getTime() / 1000);
const dt = (d: Date) => `toDateTime(${seconds(d)})`;
const dt64 = (d: Date) => `fromUnixTimestamp64Milli(${d.getTime()})`;
const day = (d: Date) => `toDate('${d.toISOString().slice(0, 10)}')`;

type Macro = (args: string[], c: MacroContext) => string;

const arity = (n: number, f: Macro): Macro => (args, c) => {
  if (args.length !== n) throw new Error(`macro expects ${n} argument(s), got ${args.length}: ${args.join(', ')}`);
  return f(args, c);
};

const MACROS: Record<string, Macro> = {
  timeFilter: arity(1, ([col], c) => `${col} >= ${dt(c.from)} AND ${col} <= ${dt(c.to)}`),
  timeFilter_ms: arity(1, ([col], c) => `${col} >= ${dt64(c.from)} AND ${col} <= ${dt64(c.to)}`),
  dateFilter: arity(1, ([col], c) => `${col} >= ${day(c.from)} AND ${col} <= ${day(c.to)}`),
  dateTimeFilter: arity(2, ([d, t], c) => `(${d} >= ${day(c.from)} AND ${d} <= ${day(c.to)}) AND (${t} >= ${dt(c.from)} AND ${t} <= ${dt(c.to)})`),
  timeInterval: arity(1, ([col], c) => `toStartOfInterval(toDateTime(${col}), INTERVAL ${Math.max(Math.floor(c.intervalMs / 1000), 1)} second)`),
  timeInterval_ms: arity(1, ([col], c) => `toStartOfInterval(toDateTime64(${col}, 3), INTERVAL ${Math.max(Math.floor(c.intervalMs), 1)} millisecond)`),
};
MACROS.dt = MACROS.dateTimeFilter!;

const VALUE_MACROS: Record<string, (c: MacroContext) => string> = {
  fromTime: (c) => dt(c.from),
  toTime: (c) => dt(c.to),
  fromTime_ms: (c) => dt64(c.from),
  toTime_ms: (c) => dt64(c.to),
  interval_s: (c) => String(Math.max(Math.floor(c.intervalMs / 1000), 1)),
};

/** Splits `a, f(b, c), 'd,e'` at top-level commas. */
function splitArgs(text: string): string[] {
  const args: string[] = [];
  let depth = 0;
  let quote = '';
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote) {
      if (ch === '\\') i++;
      else if (ch === quote) quote = '';
    } else if (ch === "'" || ch === '"') quote = ch;
    else if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === ',' && depth === 0) {
      args.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  args.push(text.slice(start).trim());
  return args;
}

/** Replaces every `$__name(args)` with `expand(name, args)`, innermost-last. */
function replaceCalls(sql: string, names: string[], expand: (name: string, args: string[]) => string): string {
  const pattern = new RegExp(`\\$__(${names.join('|')})\\(`, 'g');
  let out = '';
  let last = 0;
  for (let m = pattern.exec(sql); m; m = pattern.exec(sql)) {
    let depth = 1;
    let i = m.index + m[0].length;
    for (; i < sql.length && depth > 0; i++) {
      if (sql[i] === '(') depth++;
      else if (sql[i] === ')') depth--;
    }
    if (depth > 0) throw new Error(`unclosed $__${m[1]}( in: ${sql.slice(m.index, m.index + 60)}`);
    out += sql.slice(last, m.index) + expand(m[1]!, splitArgs(sql.slice(m.index + m[0].length, i - 1)));
    last = i;
    pattern.lastIndex = i;
  }
  return out + sql.slice(last);
}

const values = (c: MacroContext, name: string): string[] => {
  const v = c.variables[name];
  if (v === undefined) throw new Error(`no value for template variable $${name}`);
  return Array.isArray(v) ? v : [v];
};

function formatVariable(vals: string[], format: string | undefined): string {
  switch (format) {
    case undefined:
    case 'raw':
    case 'csv':
      return vals.join(',');
    case 'singlequote':
      return vals.map((v) => `'${v.replace(/'/g, "\\'")}'`).join(',');
    case 'sqlstring':
      return vals.map((v) => `'${v.replace(/'/g, "''")}'`).join(',');
    case 'doublequote':
      return vals.map((v) => `"${v.replace(/"/g, '\\"')}"`).join(',');
    default:
      throw new Error(`unsupported variable format :${format}`);
  }
}

export function expandMacros(sql: string, c: MacroContext): string {
  // $__conditionalAll first: it needs to know whether "All" was chosen.
  let out = replaceCalls(sql, ['conditionalAll'], (_, args) => {
    if (args.length !== 2) throw new Error(`$__conditionalAll expects 2 arguments, got ${args.length}`);
    const name = args[1]!.replace(/^\$\{?|\}$/g, '');
    return values(c, name).includes(ALL) ? '1=1' : args[0]!;
  });
  out = out.replace(/\$\{(\w+)(?::(\w+))?\}|\$(?!__)(\w+)/g, (_, braced: string | undefined, format: string | undefined, bare: string | undefined) =>
    formatVariable(values(c, (braced ?? bare)!), format),
  );
  out = out.replace(/\$__(from|to)\b(?!Time)/g, (_, which: string) => String((which === 'from' ? c.from : c.to).getTime()));
  out = replaceCalls(out, Object.keys(MACROS), (name, args) => MACROS[name]!(args, c));
  out = out.replace(/\$__(fromTime_ms|toTime_ms|fromTime|toTime|interval_s)\b/g, (_, name: string) => VALUE_MACROS[name]!(c));
  const left = /\$__\w+/.exec(out);
  if (left) throw new Error(`unknown macro ${left[0]}`);
  return out;
}
