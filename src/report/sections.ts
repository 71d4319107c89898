import { formatBytes } from '@toolwatch/detector';
import { clock, count, duration, measure, nsToMs, offset, utc, windowText } from './format.js';
import { anchor, html, type Html } from './html.js';
import { callsById, findingTotal, isError, type Call, type SessionData, type StoredAlert } from './session-data.js';
import { alertLabel, color, type TimeRange } from './timeline-svg.js';

// toCall gives every failed call an error type (the status when nothing better).
const severityBadge = (s: string) => html`<span class="sev" style="background:${color(s)}">${s}</span>`;

export function summary(data: SessionData, range: TimeRange): Html {
  const first = data.calls[0];
  const score = data.score;
  const { calls, toolCalls, errors, findings } = data.totals;
  const service = score?.service || first?.service || data.alerts[0]?.service || '';
  const client = score?.client || first?.client || data.alerts[0]?.client || '';
  const version = score?.clientVersion || first?.clientVersion || '';
  return html`<dl class="summary">
<div><dt>Server</dt><dd class="mono">${service || '(unknown)'}</dd></div>
<div><dt>Client</dt><dd class="mono">${client || '(unknown)'}${version ? html` <span class="muted">${version}</span>` : null}</dd></div>
<div><dt>From</dt><dd>${utc(range.startMs)}</dd></div>
<div><dt>To</dt><dd>${utc(range.endMs)} <span class="muted">(${duration(range.endMs - range.startMs)})</span></dd></div>
<div><dt>Calls</dt><dd>${count(calls)} <span class="muted">(${count(toolCalls)} of them tools/call)</span></dd></div>
<div><dt>Errors</dt><dd>${count(errors)}</dd></div>
<div><dt>Redaction findings</dt><dd>${count(findings)}</dd></div>
<div><dt>Risk score</dt><dd>${score ? html`<strong>${score.score.toFixed(1)}</strong> / 100 ${severityBadge(score.severity)} <span class="muted">${score.ended ? 'session ended' : 'session open'}</span>` : html`<span class="muted">not scored</span>`}</dd></div>
<div><dt>Alerts</dt><dd>${count(data.alerts.length)}${score?.rules.length ? html` <span class="muted mono">${score.rules.join(', ')}</span>` : null}</dd></div>
</dl>`;
}

function callLinks(data: SessionData, spanIds: string[]): Html {
  const byId = callsById(data);
  const found = spanIds.map((id) => byId.get(id)).filter((c): c is Call => c !== undefined);
  const missing = spanIds.length - found.length;
  return html`${found.map((c) => html`<a class="call-link" href="#${anchor('call', c.n)}">#${c.n}</a> `)}${
    missing ? html`<span class="muted">${missing} not among the stored spans shown</span>` : null
  }`;
}

function alertCard(data: SessionData, a: StoredAlert, i: number, range: TimeRange): Html {
  const byId = callsById(data);
  const times = a.spanIds.map((id) => byId.get(id)).filter((c): c is Call => c !== undefined).map((c) => nsToMs(c.timeNs));
  const revisions = data.history.get(a.id) ?? [];
  const merged = a.revision + 1 - revisions.length;
  return html`<article class="alert" id="${anchor('alert', a.id)}" data-alert-id="${a.id}" style="border-left-color:${color(a.severity)}">
<h3><span class="label">${alertLabel(i)}</span> ${severityBadge(a.severity)} <span class="mono">${a.rule}</span> <span class="status ${a.status}">${a.status}</span> <span class="muted">revision ${a.revision}</span></h3>
<p class="title">${a.title}</p>
<dl class="facts">
<div><dt>Scorer</dt><dd>${a.kind}</dd></div>
<div><dt>Tool</dt><dd class="mono">${a.tool || '—'}</dd></div>
<div><dt>Score</dt><dd>${a.score.toFixed(0)} <span class="muted">(session ${a.sessionScore.toFixed(1)} at this revision)</span></dd></div>
<div><dt>Window start</dt><dd>${utc(nsToMs(a.windowStartNs))}</dd></div>
<div><dt>Evidence calls</dt><dd>${times.length ? `${offset(Math.min(...times) - range.startMs)} → ${offset(Math.max(...times) - range.startMs)}` : '—'}</dd></div>
<div><dt>Newest revision at</dt><dd>${offset(nsToMs(a.lastEventNs) - range.startMs)}</dd></div>
<div><dt>Alert id</dt><dd class="mono small">${a.id}</dd></div>
</dl>
<table class="evidence"><thead><tr><th>observed</th><th>baseline</th><th>threshold</th><th>unit</th><th>window</th></tr></thead>
<tbody><tr><td>${measure(a.observed, a.unit)}</td><td>${a.baseline === null ? 'fixed rule' : measure(a.baseline, a.unit)}</td><td>${measure(a.threshold, a.unit)}</td><td>${a.unit}</td><td>${windowText(a.windowMs)}</td></tr></tbody></table>
<p>Calls that made the case: ${a.spanIds.length ? callLinks(data, a.spanIds) : html`<span class="muted">none recorded</span>`}</p>
<table class="revisions"><thead><tr><th>revision</th><th>status</th><th>severity</th><th>score</th><th>observed</th><th>threshold</th><th>at</th></tr></thead><tbody>
${revisions.map((r) => html`<tr class="${r.status}"><td>${r.revision}</td><td>${r.status}</td><td>${r.severity}</td><td>${r.score.toFixed(0)}</td><td>${measure(r.observed, a.unit)}</td><td>${measure(r.threshold, a.unit)}</td><td>${offset(nsToMs(r.lastEventNs) - range.startMs)}</td></tr>`)}
</tbody></table>
${merged > 0 ? html`<p class="muted small">${merged} earlier revision(s) already merged away by ClickHouse (the table keeps the newest revision of each alert).</p>` : null}
${a.tags.length ? html`<p class="tags">${a.tags.map((t) => html`<span class="tag">${t}</span> `)}</p>` : null}
</article>`;
}

export function alertsSection(data: SessionData, range: TimeRange): Html {
  if (data.alerts.length === 0) return html`<p class="muted">No alert for this session.</p>`;
  return html`${data.alerts.map((a, i) => alertCard(data, a, i, range))}`;
}

function callRow(data: SessionData, c: Call, range: TimeRange, alertsBySpan: Map<string, StoredAlert[]>): Html {
  const classes = [isError(c) ? 'err' : '', findingTotal(c) ? 'find' : '', c.sessionEnd ? 'end' : ''].filter(Boolean).join(' ');
  const alerts = alertsBySpan.get(c.spanId) ?? [];
  return html`<tr id="${anchor('call', c.n)}" data-span-id="${c.spanId}" class="${classes}">
<td class="num" title="trace ${c.traceId} · span ${c.spanId}">${c.n}</td><td class="mono nowrap">${clock(nsToMs(c.timeNs))}</td><td class="num">${offset(nsToMs(c.timeNs) - range.startMs)}</td>
<td class="mono nowrap">${c.sessionEnd ? 'session end' : c.method || c.spanName}</td><td class="mono tool">${c.tool}</td><td class="num">${duration(c.durationNs / 1e6)}</td>
<td class="num">${formatBytes(c.requestBytes)}</td><td class="num">${formatBytes(c.responseBytes)}</td>
<td>${isError(c) ? html`<span class="errtext">${c.errorType}</span>` : html`<span class="muted">${c.statusCode}</span>`}${c.incomplete ? html` <span class="muted">incomplete</span>` : null}</td>
<td>${c.findings.map((f) => html`<span class="finding" title="in the ${f.where}">${f.rule} ×${f.count}</span> `)}</td>
<td>${alerts.map((a) => html`<a class="alert-link nowrap" href="#${anchor('alert', a.id)}">${alertLabel(data.alerts.indexOf(a))} ${a.rule}</a> `)}</td></tr>`;
}

export function callsSection(data: SessionData, range: TimeRange): Html {
  const alertsBySpan = new Map<string, StoredAlert[]>();
  for (const a of data.alerts) {
    for (const id of a.spanIds) {
      const list = alertsBySpan.get(id);
      if (list) list.push(a);
      else alertsBySpan.set(id, [a]);
    }
  }
  const capped = data.totals.calls > data.calls.length;
  return html`${capped ? html`<p class="warn">Showing the first ${count(data.calls.length)} of ${count(data.totals.calls)} calls (raise --max-calls for more).</p>` : null}
<table class="calls"><thead><tr><th>#</th><th>time (UTC)</th><th>offset</th><th>method</th><th>tool</th><th>duration</th><th>request</th><th>response</th><th>status</th><th>findings (rule × count)</th><th>alerts</th></tr></thead>
<tbody>${data.calls.map((c) => callRow(data, c, range, alertsBySpan))}</tbody></table>`;
}
