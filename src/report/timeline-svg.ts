import { formatBytes } from '@toolwatch/detector';
import { count, duration, nsToMs, offset, utc } from './format.js';
import { anchor, html, type Html } from './html.js';
import { findingTotal, isError, type Call, type SessionData } from './session-data.js';

const SEVERITY_COLOR: Readonly<Record<string, string>> = {
  info: '#78909c',
  low: '#c0a000',
  medium: '#ef6c00',
  high: '#d84315',
  critical: '#b71c1c',
};
export const color = (severity: string) => SEVERITY_COLOR[severity] ?? SEVERITY_COLOR.info!;

const WIDTH = 1200;
const LEFT = 170;
const RIGHT = 16;
const BARS = 130;
const MARKS = 22;
const LANE = 20;
const AXIS = 34;
const PLOT = WIDTH - LEFT - RIGHT;

/** A tick step that gives at most about eight labelled ticks. */
function tickStep(spanMs: number): number {
  const steps = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 15e3, 3e4, 6e4, 12e4, 3e5, 6e5, 9e5, 18e5, 36e5, 72e5, 216e5, 432e5, 864e5];
  return steps.find((s) => spanMs / s <= 8) ?? Math.ceil(spanMs / 8 / 864e5) * 864e5;
}

export interface TimeRange {
  startMs: number;
  endMs: number;
}

/** From the first event to the last one, calls and alerts alike. */
export function timeRange(data: SessionData): TimeRange {
  const times: number[] = [];
  for (const c of data.calls) {
    const t = nsToMs(c.timeNs);
    times.push(t, t + c.durationNs / 1e6);
  }
  for (const a of data.alerts) times.push(nsToMs(a.firstEventNs), nsToMs(a.lastEventNs));
  if (data.totals.calls > 0) times.push(nsToMs(data.totals.firstNs), nsToMs(data.totals.lastNs));
  if (times.length === 0) return { startMs: 0, endMs: 1 };
  const startMs = Math.min(...times);
  return { startMs, endMs: Math.max(startMs + 1, Math.max(...times)) };
}

/**
 * The session on one time axis: each call a bar as tall as its response (log scale),
 * errors red, calls with redaction findings marked, each alert a lane from its first to its
 * last event with a dot per revision. Native `<title>` tooltips and in-page links: no script.
 */
export function timelineSvg(data: SessionData, range: TimeRange): Html {
  const x = (ms: number) => LEFT + ((ms - range.startMs) / (range.endMs - range.startMs)) * PLOT;
  const calls = data.calls.filter((c) => !c.sessionEnd);
  const maxBytes = Math.max(1, ...(data.density ? data.density.map((b) => b.maxResponseBytes) : calls.map((c) => c.responseBytes)));
  const barWidth = Math.max(1.5, Math.min(8, (PLOT / Math.max(1, calls.length)) * 0.6));
  const alertsTop = BARS + MARKS + 8;
  const height = alertsTop + data.alerts.length * LANE + AXIS;
  const barHeight = (b: number) => 2 + (BARS - 12) * (Math.log10(1 + b) / Math.log10(1 + maxBytes));

  const connection = data.calls.find((c) => c.sessionEnd);
  const connectionBand = connection
    ? html`<rect class="conn" x="${x(nsToMs(connection.timeNs)).toFixed(1)}" y="0" width="${Math.max(1, x(nsToMs(connection.timeNs) + connection.durationNs / 1e6) - x(nsToMs(connection.timeNs))).toFixed(1)}" height="${BARS + MARKS}"><title>connection open ${duration(connection.durationNs / 1e6)}</title></rect>`
    : null;

  const bars = data.density ? densityBars(data, x, barHeight) : calls.map((c) => {
    const cx = x(nsToMs(c.timeNs));
    const h = barHeight(c.responseBytes);
    const error = isError(c);
    const found = findingTotal(c);
    return html`<a href="#${anchor('call', c.n)}"><rect class="${error ? 'bar err' : 'bar'}" x="${(cx - barWidth / 2).toFixed(1)}" y="${(BARS - h).toFixed(1)}" width="${barWidth.toFixed(1)}" height="${h.toFixed(1)}"><title>${callTip(c, range)}</title></rect>${
      error ? html`<text class="mark err" x="${cx.toFixed(1)}" y="${BARS + 15}">✕</text>` : null
    }${found ? html`<text class="mark find" x="${cx.toFixed(1)}" y="${BARS + (error ? 6 : 15)}">◆</text>` : null}</a>`;
  });

  const callTimes = new Map(data.calls.map((c) => [c.spanId, nsToMs(c.timeNs)]));
  const lanes = data.alerts.map((a, i) => {
    const y = alertsTop + i * LANE;
    const revisions = data.history.get(a.id) ?? [];
    // The alert's life is a thin line from its window's start to its newest revision; the
    // block over it is the calls that made the case, where the analyst should look.
    const life0 = x(nsToMs(a.windowStartNs));
    const life1 = Math.max(life0 + 1, x(nsToMs(a.lastEventNs)));
    const evidence = a.spanIds.map((id) => callTimes.get(id)).filter((t): t is number => t !== undefined);
    const b0 = evidence.length ? x(Math.min(...evidence)) : life0;
    const b1 = Math.max(b0 + 4, evidence.length ? x(Math.max(...evidence)) : life0);
    return html`<a href="#${anchor('alert', a.id)}"><text class="lane" x="${LEFT - 6}" y="${y + 14}">${alertLabel(i)} ${short(a.rule, 24)}</text><line class="life" x1="${life0.toFixed(1)}" x2="${life1.toFixed(1)}" y1="${y + LANE / 2}" y2="${y + LANE / 2}" stroke="${color(a.severity)}"/><rect class="alert" x="${b0.toFixed(1)}" y="${y + 3}" width="${(b1 - b0).toFixed(1)}" height="${LANE - 6}" fill="${color(a.severity)}"><title>${alertLabel(i)} ${a.severity} ${a.rule} (${a.status}, revision ${a.revision}): ${a.title}</title></rect>${revisions.map(
      (r) => html`<circle class="rev ${r.status}" cx="${x(nsToMs(r.lastEventNs)).toFixed(1)}" cy="${y + LANE / 2}" r="4"><title>revision ${r.revision}: ${r.status}, ${r.severity}, score ${r.score.toFixed(0)}</title></circle>`,
    )}</a>`;
  });

  const step = tickStep(range.endMs - range.startMs);
  const ticks: Html[] = [];
  const axisY = height - AXIS + 4;
  for (let t = 0; t <= range.endMs - range.startMs + 1e-9; t += step) {
    const tx = x(range.startMs + t);
    // The first and last labels align inwards, so neither runs into the margin.
    const align = t === 0 ? 'start' : tx > WIDTH - RIGHT - 40 ? 'end' : 'middle';
    ticks.push(html`<line class="grid" x1="${tx.toFixed(1)}" x2="${tx.toFixed(1)}" y1="0" y2="${axisY}"/><text class="tick" text-anchor="${align}" x="${tx.toFixed(1)}" y="${axisY + 14}">${offset(t)}</text>`);
  }

  return html`<svg class="timeline" viewBox="0 0 ${WIDTH} ${height}" width="100%" role="img" aria-label="Session timeline" xmlns="http://www.w3.org/2000/svg">
<text class="lane" x="${LEFT - 6}" y="14">response size</text>
<text class="lane sub" x="${LEFT - 6}" y="28">log scale, max ${formatBytes(maxBytes)}</text>
<text class="lane" x="${LEFT - 6}" y="${BARS + 15}">errors ✕ findings ◆</text>
${connectionBand}${ticks}<line class="axis" x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${BARS}" y2="${BARS}"/>
${bars}
${lanes}
<line class="axis" x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${axisY}" y2="${axisY}"/>
<text class="lane sub" x="${LEFT - 6}" y="${axisY + 14}">${utc(range.startMs).slice(11)}</text>
</svg>`;
}

/** A session with more calls than the page lists: one bar per slice of time, from ClickHouse's counts. */
function densityBars(data: SessionData, x: (ms: number) => number, barHeight: (b: number) => number): Html[] {
  const buckets = data.density ?? [];
  const width = Math.max(1, PLOT / 500 - 0.3);
  const start = nsToMs(data.totals.firstNs);
  return buckets.map((b) => {
    const bx = x(nsToMs(b.startNs));
    const h = barHeight(b.maxResponseBytes);
    const tip = `${count(b.calls)} calls from ${offset(nsToMs(b.startNs) - start)} · largest response ${formatBytes(b.maxResponseBytes)}${b.errors ? ` · ${count(b.errors)} errors` : ''}${b.findings ? ` · ${count(b.findings)} findings` : ''}`;
    return html`<rect class="${b.errors ? 'bar err' : 'bar'}" x="${bx.toFixed(1)}" y="${(BARS - h).toFixed(1)}" width="${width.toFixed(1)}" height="${h.toFixed(1)}"><title>${tip}</title></rect>${
      b.errors ? html`<text class="mark err" x="${bx.toFixed(1)}" y="${BARS + 15}">✕</text>` : null
    }${b.findings ? html`<text class="mark find" x="${bx.toFixed(1)}" y="${BARS + (b.errors ? 6 : 15)}">◆</text>` : null}`;
  });
}

function callTip(c: Call, range: TimeRange): string {
  const parts = [`#${c.n} ${offset(nsToMs(c.timeNs) - range.startMs)}`, c.spanName, `response ${formatBytes(c.responseBytes)}`];
  if (isError(c)) parts.push(`error ${c.errorType}`);
  for (const f of c.findings) parts.push(`${f.rule} ×${f.count} (${f.where})`);
  return parts.join(' · ');
}

/** A1, A2, …: how the page, its lanes and cards refer to an alert. */
export const alertLabel = (i: number) => `A${i + 1}`;

const short = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
