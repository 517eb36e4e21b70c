// The dashboard's availability and capacity (SPEC §17): on the overview, the capacity online of total and
// a chart of the fleet's online/offline/degraded counts over 24 h or 7 d (server-rendered SVG: no
// script, no outside request), live with the page's change stream; a table of availability by a chosen
// grouping with its CSV; on the node page, its availability over 24 h, 7 d and 30 d.
import { percentOf, type AvailabilityWindow, type HistoryWindow } from '../domain/availability.js';
import type { FleetCapacity } from '../storage/core/availability.js';
import { duration } from './format.js';
import { html, type SafeHtml } from './html.js';

/** The chart's windows, and the table's. */
export const CHART_WINDOWS: readonly HistoryWindow[] = ['24h', '7d'];
export const TABLE_WINDOWS: readonly AvailabilityWindow[] = ['24h', '7d', '30d', '90d'];

/** A point of the fleet's history as the API gives it. */
export interface ChartPoint {
  time: string;
  online: number;
  offline: number;
  degraded: number;
  initialized: number;
  maintenance: number;
}

/** The overview's live part: capacity and the chart. */
export interface OverviewView {
  capacity: FleetCapacity;
  chart: HistoryWindow;
  history: { points: ChartPoint[]; complete: boolean; from: string };
}

/** The availability figures of a group or a node. */
export interface Figures {
  online_ratio: number | null;
  offline_seconds: number;
  incidents: number;
  maintenance_seconds: number;
}

const n = (x: number) => x.toLocaleString('en-US', { maximumFractionDigits: 1 });
/** A ratio as a percentage with enough digits to tell 99.9 from 99.99; an em dash for none. */
export const percent = (r: number | null) => (r === null ? '—' : `${percentOf(r)} %`);

/** Bytes as people read them (binary units). */
export function bytes(b: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = b;
  let i = 0;
  for (; v >= 1024 && i < units.length - 1; i++) v /= 1024;
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

function capacityBlock(c: FleetCapacity): SafeHtml {
  const item = (name: string, cls: string, online: string, total: string) =>
    html`<div class="cap ${cls}"><dt>${name}</dt><dd><strong data-online>${online}</strong> online of <span data-total>${total}</span></dd></div>`;
  return html`<dl class="capacity" aria-label="Capacity">
${item('GPUs', 'gpu', n(c.online.gpu_number), n(c.total.gpu_number))}
${item('CPUs', 'cpu', n(c.online.cpu_number), n(c.total.cpu_number))}
${item('Memory', 'memory', bytes(c.online.memory_in_bytes), bytes(c.total.memory_in_bytes))}
</dl>`;
}

const W = 720;
const H = 160;
const PAD = { left: 44, right: 8, top: 8, bottom: 22 };
const SERIES = ['online', 'offline', 'degraded'] as const;

/** The chart of the fleet's counts, with its text equivalent (the latest counts and each series' range). */
export function chart(view: OverviewView): SafeHtml {
  const ps = view.history.points;
  const t0 = Date.parse(ps[0]!.time);
  const t1 = Date.parse(ps.at(-1)!.time);
  const max = Math.max(1, ...ps.flatMap((p) => SERIES.map((s) => p[s])));
  const x = (t: number) => PAD.left + ((t - t0) / Math.max(1, t1 - t0)) * (W - PAD.left - PAD.right);
  const y = (v: number) => PAD.top + (1 - v / max) * (H - PAD.top - PAD.bottom);
  const line = (s: (typeof SERIES)[number]) => ps.map((p) => `${x(Date.parse(p.time)).toFixed(1)},${y(p[s]).toFixed(1)}`).join(' ');
  const range = (s: (typeof SERIES)[number]) => `${s} ${n(Math.min(...ps.map((p) => p[s])))}–${n(Math.max(...ps.map((p) => p[s])))}`;
  const now = ps.at(-1)!;
  const label = `Nodes online, offline and degraded over the last ${view.chart}: ${SERIES.map(range).join(', ')}`;
  const toggle = (w: HistoryWindow) => html`<a href="/ui/?chart=${w}" hx-get="/ui/fragments/overview?chart=${w}" hx-target="#overview" hx-swap="outerHTML"${w === view.chart ? html` aria-current="true"` : ''}>${w}</a>`;
  return html`<figure class="chart">
<div class="chart-head"><span class="legend">${SERIES.map((s) => html`<span class="key ${s}">${s}</span> `)}</span><nav aria-label="Chart window" class="windows">${CHART_WINDOWS.map(toggle)}</nav></div>
<svg role="img" aria-label="${label}" viewBox="0 0 ${W} ${H}" width="100%" preserveAspectRatio="none">
<line class="axis" x1="${PAD.left}" y1="${y(0)}" x2="${W - PAD.right}" y2="${y(0)}"/>
<text class="tick" x="${PAD.left - 4}" y="${y(max) + 4}" text-anchor="end">${n(max)}</text>
<text class="tick" x="${PAD.left - 4}" y="${y(0)}" text-anchor="end">0</text>
<text class="tick" x="${PAD.left}" y="${H - 4}">${view.chart} ago</text>
<text class="tick" x="${W - PAD.right}" y="${H - 4}" text-anchor="end">now</text>
${SERIES.map((s) => html`<polyline class="series ${s}" points="${line(s)}"/>`)}
</svg>
<figcaption class="chart-now" data-online="${now.online}" data-offline="${now.offline}" data-degraded="${now.degraded}">Now: ${n(now.online)} online, ${n(now.offline)} offline, ${n(now.degraded)} degraded, ${n(now.maintenance)} in maintenance${view.history.complete ? '' : html` (whole since <time datetime="${view.history.from}">${view.history.from}</time>)`}</figcaption>
</figure>`;
}

/** The overview's live region: capacity and the chart (re-fetched when the change stream says the fleet changed). */
export function overviewRegion(v: OverviewView): SafeHtml {
  return html`<section id="overview" class="glance" aria-labelledby="glance-title" hx-get="/ui/fragments/overview?chart=${v.chart}" hx-trigger="sse:change, argus:refresh" hx-swap="outerHTML" hx-sync="this:replace">
<h2 id="glance-title">Capacity and history</h2>
${capacityBlock(v.capacity)}
${chart(v)}
</section>`;
}

/** The availability table by a grouping: what it shows, and its rows. */
export interface GroupsView {
  by: string;
  window: AvailabilityWindow;
  error: string | null;
  answer: { complete: boolean; from: string; groups: Array<{ key: string | null; nodes: number } & Figures> } | null;
}

const query = (by: string, window: string) => `?by=${encodeURIComponent(by)}&window=${encodeURIComponent(window)}`;

/** The table of availability by a grouping, with its form and its CSV (loaded after the page: it reads every node's events). */
export function groupsRegion(v: GroupsView): SafeHtml {
  const a = v.answer;
  return html`<section id="availability" aria-labelledby="availability-title">
<h2 id="availability-title">Availability by group</h2>
<form class="search" method="get" action="/ui/fragments/availability" hx-get="/ui/fragments/availability" hx-target="#availability" hx-swap="outerHTML">
<label for="by">Group by</label>
<input type="text" id="by" name="by" value="${v.by}" placeholder="meta.user, rack, type" spellcheck="false">
<label for="window">Window</label>
<select id="window" name="window">${TABLE_WINDOWS.map((w) => html`<option value="${w}"${w === v.window ? ' selected' : ''}>${w}</option>`)}</select>
<button type="submit">Show</button>
<a class="csv" href="/ui/availability.csv${query(v.by, v.window)}" download>Download CSV</a>
</form>
${v.error ? html`<p class="notice error" role="alert">${v.error}</p>` : ''}
${a === null ? '' : html`${a.complete ? '' : html`<p class="notice">Retention cut this window: counted from <time datetime="${a.from}">${a.from}</time>.</p>`}
<table class="availability"><caption>Availability over ${v.window} by <code>${v.by}</code>, time in maintenance left out</caption>
<thead><tr><th scope="col">${v.by}</th><th scope="col">Nodes</th><th scope="col">Online</th><th scope="col">Offline</th><th scope="col">Incidents</th><th scope="col">Maintenance</th></tr></thead>
<tbody>${a.groups.length === 0 ? html`<tr><td colspan="6" class="empty">No nodes.</td></tr>` : a.groups.map((g) => html`<tr><th scope="row">${g.key ?? html`<span class="none">(none)</span>`}</th><td>${n(g.nodes)}</td><td>${percent(g.online_ratio)}</td><td>${duration(g.offline_seconds * 1000)}</td><td>${n(g.incidents)}</td><td>${duration(g.maintenance_seconds * 1000)}</td></tr>`)}</tbody>
</table>`}
</section>`;
}

/** The table's placeholder on the overview: it loads itself once the page is shown. */
export function groupsPlaceholder(by: string, window: AvailabilityWindow): SafeHtml {
  return html`<section id="availability" aria-labelledby="availability-title" hx-get="/ui/fragments/availability${query(by, window)}" hx-trigger="load" hx-swap="outerHTML">
<h2 id="availability-title">Availability by group</h2>
<p class="none">Loading… <a href="/ui/fragments/availability${query(by, window)}">Show the table</a></p>
</section>`;
}

/** A node's availability over 24 h, 7 d and 30 d (the node page). */
export function nodeAvailabilityTable(rows: ReadonlyArray<{ window: string; complete: boolean; from: string } & Figures>): SafeHtml {
  return html`<table class="availability node-availability"><caption>Availability, time in maintenance left out</caption>
<thead><tr><th scope="col">Window</th><th scope="col">Online</th><th scope="col">Offline</th><th scope="col">Incidents</th><th scope="col">Maintenance</th></tr></thead>
<tbody>${rows.map((r) => html`<tr><th scope="row">${r.window}${r.complete ? '' : html` <span class="none">(since <time datetime="${r.from}">${r.from}</time>)</span>`}</th><td>${percent(r.online_ratio)}</td><td>${duration(r.offline_seconds * 1000)}</td><td>${n(r.incidents)}</td><td>${duration(r.maintenance_seconds * 1000)}</td></tr>`)}</tbody>
</table>`;
}
