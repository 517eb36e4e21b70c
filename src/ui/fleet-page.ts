// The fleet page (/ui/): the overview (counts per status, flapping, brake, sweeper readiness and
// warnings) and the node table, 50 rows a page, searched, filtered and paged by the server (SPEC §10).
// The live part is one region, re-fetched when the change stream says the fleet changed.
import type { NodeRecord } from '../domain/node.js';
import type { Selector } from '../domain/selector.js';
import { ALL_STATUSES, type NodeStatus } from '../domain/status.js';
import { rfc3339 } from '../domain/time.js';
import type { Statistics } from '../nodes/index.js';
import type { BrakeState } from '../sweeping/records.js';
import type { Readiness } from '../sweeping/readiness.js';
import type { RecordPage } from '../storage/store.js';
import { ago } from './format.js';
import { html, type SafeHtml } from './html.js';
import type { Viewer } from './layout.js';

/** Rows per page of the table. */
export const PAGE_SIZE = 50;

/** What the table shows: the filters and the page cursor, all in the URL (shareable). */
export interface FleetQuery {
  status: NodeStatus | null;
  labels: string[];
  q: string;
  /** A selector (SPEC §12) as typed, and parsed. */
  selector: string;
  parsed: Selector;
  flapping: boolean;
  degraded: boolean;
  maintenance: boolean;
  after: string | null;
  before: string | null;
}

/** The query string of `fq` (without the cursor unless given), e.g. `?status=offline&label=gpu`. */
export function fleetSearch(fq: FleetQuery, cursor: { after?: string | null; before?: string | null } = {}): string {
  const p = new URLSearchParams();
  if (fq.q) p.set('q', fq.q);
  if (fq.selector) p.set('selector', fq.selector);
  if (fq.status) p.set('status', fq.status);
  for (const l of fq.labels) p.append('label', l);
  if (fq.flapping) p.set('flapping', 'true');
  if (fq.degraded) p.set('degraded', 'true');
  if (fq.maintenance) p.set('maintenance', 'true');
  if (cursor.after) p.set('after', cursor.after);
  if (cursor.before) p.set('before', cursor.before);
  const s = p.toString();
  return s ? `?${s}` : '';
}

/** The same query with the current page's cursor kept (what the live region re-fetches). */
const currentSearch = (fq: FleetQuery) => fleetSearch(fq, { after: fq.after, before: fq.before });

export interface FleetView {
  query: FleetQuery;
  statistics: Statistics;
  flapping: number;
  degraded: number;
  inMaintenance: number;
  brake: BrakeState;
  readiness: Readiness;
  page: RecordPage;
  viewer: Viewer;
  nowMs: number;
}

const STATUS_NAMES: Record<NodeStatus, string> = { online: 'Online', offline: 'Offline', initialized: 'Initialized' };
const countOf = (s: Statistics, status: NodeStatus) => s.status_statistics.find((c) => c.status === status)?.count ?? 0;
const n = (x: number) => x.toLocaleString('en-US');

/** The search form and the selector box (outside the live region: a refresh never takes what is being typed). */
function searchForm(fq: FleetQuery): SafeHtml {
  return html`<form class="search" role="search" method="get" action="/ui/">
<label for="q">Search</label>
<input type="search" id="q" name="q" value="${fq.q}" placeholder="ID, name, hostname or IP" autocomplete="off">
<label for="selector">Selector</label>
<input type="text" id="selector" name="selector" value="${fq.selector}" placeholder="rack=7, meta.gpu_number>=8" autocomplete="off" spellcheck="false" aria-describedby="selector-help">
${fq.status ? html`<input type="hidden" name="status" value="${fq.status}">` : ''}
${fq.labels.map((l) => html`<input type="hidden" name="label" value="${l}">`)}
${fq.flapping ? html`<input type="hidden" name="flapping" value="true">` : ''}
${fq.degraded ? html`<input type="hidden" name="degraded" value="true">` : ''}
${fq.maintenance ? html`<input type="hidden" name="maintenance" value="true">` : ''}
<button type="submit">Search</button>
<p id="selector-help" class="help">Selector: labels (<code>gpu</code>, <code>rack=7</code>, <code>rack in (7,8)</code>), <code>status=</code>, <code>meta.user=</code>, <code>meta.gpu_number&gt;=8</code>, <code>health=degraded</code>, <code>maintenance=true</code>; commas mean “and”.</p>
</form>`;
}

/** Filter links named by status and count; the current one is marked. */
function statusFilters(v: FleetView): SafeHtml {
  const fq = v.query;
  const link = (label: string, count: number, target: FleetQuery, current: boolean) =>
    html`<li><a href="/ui/${fleetSearch(target)}"${current ? html` aria-current="page"` : ''}>${label} <span class="count">${n(count)}</span></a></li>`;
  const base = { ...fq, status: null, flapping: false, degraded: false, maintenance: false, after: null, before: null };
  const plain = !fq.flapping && !fq.degraded && !fq.maintenance;
  return html`<nav aria-label="Status filters"><ul class="filters">
${link('All', v.statistics.total, base, fq.status === null && plain)}
${ALL_STATUSES.map((s) => link(STATUS_NAMES[s], countOf(v.statistics, s), { ...base, status: s }, fq.status === s && plain))}
${link('Flapping', v.flapping, { ...base, flapping: true }, fq.flapping && fq.status === null)}
${link('Degraded', v.degraded, { ...base, degraded: true }, fq.degraded && fq.status === null)}
${link('In maintenance', v.inMaintenance, { ...base, maintenance: true }, fq.maintenance && fq.status === null)}
</ul></nav>`;
}

function brakeBlock(v: FleetView): SafeHtml {
  const b = v.brake;
  if (b.state === 'released') return html`<p class="brake">Mass-offline brake: <strong>released</strong></p>`;
  return html`<div class="brake holding"><p>Mass-offline brake: <strong>holding</strong> ${n(b.held)} offline transitions since <time datetime="${b.since ?? ''}">${b.since ?? ''}</time>${b.releases_at ? html`, releases by itself at <time datetime="${b.releases_at}">${b.releases_at}</time>` : ''}.</p>
${v.viewer.admin ? html`<form method="post" action="/ui/brake/release"><button type="submit">Release brake</button></form>` : ''}</div>`;
}

function readinessBlock(r: Readiness): SafeHtml {
  return html`<p class="sweeper">Sweeper: ${r.ready ? html`<strong>ready</strong>` : html`<strong>not ready</strong>: ${r.error}`}</p>
${r.warnings.length > 0 ? html`<ul class="warnings" aria-label="Warnings">${r.warnings.map((w) => html`<li>${w.summary}</li>`)}</ul>` : ''}`;
}

const metaText = (node: NodeRecord, key: 'hostname' | 'ip') => (typeof node.metaData[key] === 'string' ? node.metaData[key] : '');

/** A degraded node's badge, naming its failing components. */
export function healthBadge(node: NodeRecord): SafeHtml {
  if (node.healthState !== 'degraded') return html``;
  const failing = node.conditions.map((c) => c.component).join(', ');
  return html` <span class="degraded" title="${`Failing: ${failing}`}">degraded<span class="sr-only">: ${failing}</span></span>`;
}

/** A node in maintenance: its window, linked. */
export function maintenanceBadge(node: NodeRecord): SafeHtml {
  if (node.maintenance === null) return html``;
  return html` <a class="maint" href="/ui/maintenance#${node.maintenance}">maintenance ${node.maintenance}</a>`;
}

function row(node: NodeRecord, fq: FleetQuery, nowMs: number): SafeHtml {
  const last = node.lastReportMs;
  return html`<tr>
<td><a href="/ui/nodes/${encodeURIComponent(node.id)}">${node.id}</a></td>
<td>${node.name}</td>
<td><span class="status ${node.status}">${node.status}</span>${node.flapping ? html` <span class="flapping">flapping</span>` : ''}${healthBadge(node)}${maintenanceBadge(node)}</td>
<td>${metaText(node, 'hostname')}</td>
<td>${metaText(node, 'ip')}</td>
<td>${node.label.map((l) => html`<a class="label" href="/ui/${fleetSearch({ ...fq, labels: [...new Set([...fq.labels, l])], after: null, before: null })}">${l}</a> `)}</td>
<td>${last === null ? 'never' : html`<time datetime="${rfc3339(last)}" data-ago>${ago(last, nowMs)}</time>`}</td>
</tr>`;
}

function pager(v: FleetView): SafeHtml {
  const { page, query } = v;
  return html`<nav class="pager" aria-label="Pages">
${page.prev ? html`<a rel="prev" href="/ui/${fleetSearch(query, { before: page.prev })}">Previous</a>` : html`<span aria-disabled="true">Previous</span>`}
<span class="of">${page.nodes.length === 0 ? 'No nodes' : `${n(page.nodes.length)} of ${n(page.total)}`}</span>
${page.next ? html`<a rel="next" href="/ui/${fleetSearch(query, { after: page.next })}">Next</a>` : html`<span aria-disabled="true">Next</span>`}
</nav>`;
}

function activeFilters(fq: FleetQuery): SafeHtml {
  if (fq.labels.length === 0 && !fq.q && !fq.selector) return html``;
  const without = (l: string) => fleetSearch({ ...fq, labels: fq.labels.filter((x) => x !== l), after: null, before: null });
  return html`<p class="active">Showing ${fq.q ? html`matches of “${fq.q}” ` : ''}${fq.selector ? html`selected by <code>${fq.selector}</code> ` : ''}${fq.labels.length > 0 ? html`with label ${fq.labels.map((l) => html`<a class="label" href="/ui/${without(l)}" aria-label="Remove label filter ${l}">${l} ×</a> `)}` : ''}
<a href="/ui/">Clear filters</a></p>`;
}

/** The live region: overview, filters, table and pager (re-fetched as a whole on changes). */
export function fleetRegion(v: FleetView): SafeHtml {
  return html`<div id="fleet" hx-get="/ui/fragments/fleet${currentSearch(v.query)}" hx-trigger="sse:change, argus:refresh" hx-swap="outerHTML" hx-sync="this:replace">
<section aria-labelledby="overview-title" class="overview">
<h2 id="overview-title">Status</h2>
${statusFilters(v)}
${brakeBlock(v)}
${readinessBlock(v.readiness)}
</section>
<section aria-labelledby="nodes-title">
<h2 id="nodes-title">Nodes</h2>
${activeFilters(v.query)}
<table class="nodes">
<thead><tr><th scope="col">ID</th><th scope="col">Name</th><th scope="col">Status</th><th scope="col">Hostname</th><th scope="col">IP</th><th scope="col">Labels</th><th scope="col">Last report</th></tr></thead>
<tbody>
${v.page.nodes.length > 0 ? v.page.nodes.map((node) => row(node, v.query, v.nowMs)) : html`<tr><td colspan="7" class="empty">No node matches.</td></tr>`}
</tbody>
</table>
${pager(v)}
</section>
</div>`;
}

/** The page's body. */
export function fleetBody(v: FleetView, glance: SafeHtml, availability: SafeHtml): SafeHtml {
  return html`<h1>Fleet overview</h1>
${searchForm(v.query)}
${glance}
${fleetRegion(v)}
${availability}`;
}
