import { formatBytes } from '@toolwatch/detector';
import { count, measure, nsToMs, windowText } from './format.js';
import { anchor, html, type Html } from './html.js';
import type { Call, SessionData } from './session-data.js';
import { alertLabel } from './timeline-svg.js';

const SCORERS: readonly { kind: string; name: string; watches: string }[] = [
  { kind: 'rate', name: 'Rate', watches: 'high-frequency calls: session windows, bursts, identical calls in a loop' },
  { kind: 'novelty', name: 'Novelty', watches: 'unexpected tools: unadvertised, changed or look-alike definitions, sensitive paths' },
  { kind: 'egress', name: 'Egress', watches: 'large data egress: response sizes, session bytes, secrets and personal data in results' },
];

/** The busiest minute, counted over the calls' start times (two pointers over sorted times). */
function peakPerMinute(calls: Call[]): number {
  const times = calls.map((c) => nsToMs(c.timeNs)).sort((a, b) => a - b);
  let peak = 0;
  for (let lo = 0, hi = 0; hi < times.length; hi++) {
    while (times[hi]! - times[lo]! >= 60_000) lo++;
    peak = Math.max(peak, hi - lo + 1);
  }
  return peak;
}

function longestRun(calls: Call[]): { tool: string; length: number } {
  let best = { tool: '', length: 0 };
  let run = { tool: '', length: 0 };
  for (const c of calls) {
    run = c.tool === run.tool ? { tool: c.tool, length: run.length + 1 } : { tool: c.tool, length: 1 };
    if (run.length > best.length) best = run;
  }
  return best;
}

/** What the stored calls show about the scorer's subject, beside what the scorer reported. */
function facts(kind: string, data: SessionData): Html {
  const toolCalls = data.calls.filter((c) => c.method === 'tools/call');
  if (kind === 'rate') {
    const run = longestRun(toolCalls);
    return html`<li>${count(toolCalls.length)} tool calls; busiest minute ${count(peakPerMinute(toolCalls))} calls</li>
<li>longest run of calls to one tool: ${count(run.length)}${run.tool ? html` × <span class="mono">${run.tool}</span>` : null}</li>`;
  }
  if (kind === 'novelty') {
    const tools = [...new Set(toolCalls.map((c) => c.tool))].sort();
    const lists = data.calls.filter((c) => c.method === 'tools/list').length;
    return html`<li>${count(tools.length)} distinct tools called: ${tools.slice(0, 20).map((t, i) => html`${i ? ', ' : ''}<span class="mono">${t}</span>`)}${tools.length > 20 ? ` and ${tools.length - 20} more` : ''}</li>
<li>${count(lists)} tools/list requests</li>`;
  }
  if (kind === 'egress') {
    const total = data.calls.reduce((n, c) => n + c.responseBytes, 0);
    const largest = data.calls.filter((c) => !c.sessionEnd).reduce<Call | undefined>((m, c) => (!m || c.responseBytes > m.responseBytes ? c : m), undefined);
    const inResults = data.calls.reduce((n, c) => n + c.findings.filter((f) => f.where === 'result').reduce((k, f) => k + f.count, 0), 0);
    return html`<li>${formatBytes(total)} sent back in all responses</li>
${largest ? html`<li>largest response ${formatBytes(largest.responseBytes)}: <a href="#${anchor('call', largest.n)}">#${largest.n}</a> <span class="mono">${largest.tool || largest.method}</span></li>` : null}
<li>${count(inResults)} redaction findings in results</li>`;
  }
  return html``;
}

export function scorersSection(data: SessionData): Html {
  const capped = data.totals.calls > data.calls.length;
  const kinds = [...SCORERS, ...[...new Set(data.alerts.map((a) => a.kind))].filter((k) => !SCORERS.some((s) => s.kind === k)).map((k) => ({ kind: k, name: k, watches: '' }))];
  return html`${capped ? html`<p class="warn">The figures from calls below count the ${count(data.calls.length)} calls listed, not all ${count(data.totals.calls)}; the alerts' evidence is the scorers' own.</p>` : null}${kinds.map((s) => {
    const alerts = data.alerts.filter((a) => a.kind === s.kind);
    return html`<section class="scorer" data-scorer="${s.kind}"><h3>${s.name} <span class="muted small">${s.watches}</span></h3>
<ul>${facts(s.kind, data)}</ul>
${
  alerts.length
    ? html`<table class="evidence"><thead><tr><th>rule</th><th>observed</th><th>baseline</th><th>threshold</th><th>unit</th><th>window</th><th>status</th></tr></thead><tbody>
${alerts.map((a) => html`<tr><td class="mono"><a href="#${anchor('alert', a.id)}">${alertLabel(data.alerts.indexOf(a))} ${a.rule}</a></td><td>${measure(a.observed, a.unit)}</td><td>${a.baseline === null ? 'fixed rule' : measure(a.baseline, a.unit)}</td><td>${measure(a.threshold, a.unit)}</td><td>${a.unit}</td><td>${windowText(a.windowMs)}</td><td>${a.status}</td></tr>`)}
</tbody></table>`
    : html`<p class="muted">No alert: nothing this session did crossed this scorer's thresholds.</p>`
}</section>`;
  })}`;
}
