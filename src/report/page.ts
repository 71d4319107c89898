import { utc } from './format.js';
import { Html, html } from './html.js';
import { scorersSection } from './scorers-section.js';
import { alertsSection, callsSection, summary } from './sections.js';
import type { SessionData } from './session-data.js';
import { timeRange, timelineSvg } from './timeline-svg.js';

// The page fetches nothing and runs nothing: the policy makes that hold even if some text
// slipped through unescaped. Inline styles are the only thing it allows.
const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

const CSS = `
:root { color-scheme: light; --ink: #1d232b; --muted: #5f6b77; --line: #d6dbe1; --err: #c62828; --find: #ef6c00; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); margin: 0 auto; max-width: 1280px; padding: 20px 24px 40px; }
h1 { font-size: 20px; margin: 0 0 2px; } h2 { font-size: 16px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 14px; margin: 0 0 4px; }
.mono, code { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, monospace; font-size: 12.5px; overflow-wrap: anywhere; }
.muted { color: var(--muted); } .small { font-size: 12px; } .nowrap { white-space: nowrap; }
.key { font-size: 13px; }
.summary, .facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(230px, 1fr)); gap: 6px 18px; margin: 12px 0; }
.summary div, .facts div { min-width: 0; } dt { color: var(--muted); font-size: 12px; } dd { margin: 0; overflow-wrap: anywhere; }
.sev { color: #fff; border-radius: 3px; padding: 0 6px; font-size: 12px; font-weight: 600; text-transform: uppercase; print-color-adjust: exact; -webkit-print-color-adjust: exact; }
.label { font-weight: 700; color: var(--muted); } .status { border: 1px solid var(--line); border-radius: 3px; padding: 0 5px; font-size: 12px; } .status.closed { color: var(--muted); }
svg.timeline { display: block; border: 1px solid var(--line); background: #fbfcfd; }
svg .bar { fill: #4a78b5; } svg .bar.err { fill: var(--err); } svg a:hover .bar { fill: #1d232b; }
svg .mark { font-size: 12px; text-anchor: middle; } svg .mark.err { fill: var(--err); } svg .mark.find { fill: var(--find); }
svg .lane { font-size: 12px; text-anchor: end; fill: var(--ink); } svg .lane.sub { fill: var(--muted); font-size: 11px; }
svg .tick { font-size: 11px; fill: var(--muted); } svg .life { stroke-width: 2; opacity: .6; } svg .grid { stroke: #e8ebef; } svg .axis { stroke: #9aa5b1; }
svg .conn { fill: #eef3f8; } svg .alert { opacity: .85; } svg .rev { fill: #fff; stroke: #1d232b; stroke-width: 1.5; } svg .rev.closed { fill: #1d232b; }
.legend { font-size: 12px; color: var(--muted); margin: 4px 0 0; }
article.alert { border: 1px solid var(--line); border-left: 6px solid; border-radius: 4px; padding: 10px 14px; margin: 10px 0; break-inside: avoid; }
article.alert .title { margin: 2px 0 6px; font-weight: 500; overflow-wrap: anywhere; }
table { border-collapse: collapse; margin: 6px 0; } th, td { border-bottom: 1px solid var(--line); padding: 3px 8px; text-align: left; vertical-align: top; }
th { font-size: 12px; color: var(--muted); font-weight: 600; } td.num { text-align: right; white-space: nowrap; }
table.calls { width: 100%; font-size: 13px; } table.calls tr { break-inside: avoid; } table.calls thead { display: table-header-group; }
table.calls td.tool { max-width: 260px; overflow-wrap: anywhere; }
tr.err td { background: #fdecea; } tr.find td { background: #fff4e5; } tr.err.find td { background: #fbe3d6; } tr.end td { color: var(--muted); }
tr:target td { outline: 2px solid #1d232b; outline-offset: -2px; } article.alert:target { box-shadow: 0 0 0 2px #1d232b; }
.errtext { color: var(--err); font-weight: 600; } .finding { background: #fff0d9; border: 1px solid #f3c98b; border-radius: 3px; padding: 0 4px; font-size: 12px; white-space: nowrap; }
.tag { background: #eef1f5; border-radius: 3px; padding: 0 5px; font-size: 12px; } .warn { background: #fff4e5; padding: 6px 10px; border-radius: 4px; }
section.scorer { border: 1px solid var(--line); border-radius: 4px; padding: 10px 14px; margin: 10px 0; break-inside: avoid; } section.scorer ul { margin: 4px 0; padding-left: 18px; }
a { color: #1f5fa8; } footer { margin-top: 28px; font-size: 12px; color: var(--muted); }
@media print { body { padding: 0; max-width: none; font-size: 11px; } a { color: inherit; text-decoration: none; } h2 { break-after: avoid; } svg.timeline { break-inside: avoid; } }
`;

export interface PageOptions {
  /** When the page was made, shown in the footer (a wall-clock fact about the report, not the data). */
  generatedAt: Date;
  /** Where the data came from, without credentials: "chDB ./data/clickhouse" or a URL's origin. */
  source: string;
}

/** The whole report as one HTML document. */
export function sessionPage(data: SessionData, options: PageOptions): string {
  const range = timeRange(data);
  return `<!DOCTYPE html>\n${html`<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>toolwatch session ${data.key.slice(0, 64)}</title>
<style>${new Html(CSS)}</style></head>
<body>
<header><h1>Session timeline</h1><div class="mono key" data-session-key="${data.key}">${data.key}</div></header>
${summary(data, range)}
<h2 id="timeline">Timeline</h2>
${timelineSvg(data, range)}
<p class="legend">${data.density ? 'Bars: slices of time (too many calls to draw one by one), as tall as their largest response (log scale);' : 'Bars: calls, as tall as their response (log scale);'} red: errors; ◆: redaction findings. Lanes: alerts, the block over the calls that made the case, the line from the alert's window start to its newest revision, ○ a revision (● closed). Hover for details, click to jump.</p>
<h2 id="alerts">Alerts (${data.alerts.length})</h2>
${alertsSection(data, range)}
<h2 id="scorers">What each scorer saw</h2>
${scorersSection(data)}
<h2 id="calls">Calls (${data.totals.calls})</h2>
${callsSection(data, range)}
<footer>toolwatch report · generated ${utc(options.generatedAt.getTime())} from ${options.source} · spans carry sizes, hashes and redaction findings (rule and count), never argument or result values.</footer>
</body></html>`.text}\n`;
}
