// The node page (/ui/nodes/{id}): every field, health, config and meta_data as tables, labels (with the
// admin's editor, outside the live region so a refresh never takes what is being typed), clock skew,
// status since, and the History: a strip of the last 24 h and the latest events (SPEC §10).
import type { StoredEvent } from '../domain/events.js';
import type { JsonObject, NodeRecord } from '../domain/node.js';
import type { NodeStatus } from '../domain/status.js';
import { rfc3339 } from '../domain/time.js';
import { ago, duration } from './format.js';
import { html, type SafeHtml } from './html.js';
import type { MaintenanceWindow } from '../domain/maintenance.js';
import { durationSelect } from './maintenance-page.js';
import type { Viewer } from './layout.js';
import { periods, totals, type StatusChange } from './strip.js';
import { nodeAvailabilityTable } from './availability-page.js';

/** The window of the strip. */
export const STRIP_WINDOW_MS = 24 * 3600_000;
/** Events listed in the History section (and read for the strip). */
export const HISTORY_EVENTS = 200;

export interface NodeView {
  node: NodeRecord;
  /** The maintenance window the node is in, or null. */
  window: MaintenanceWindow | null;
  /** Newest first. */
  events: StoredEvent[];
  /** Its availability over 24 h, 7 d and 30 d (SPEC §17). */
  availability: Parameters<typeof nodeAvailabilityTable>[0];
  viewer: Viewer;
  nowMs: number;
  /** A message after an edit (an error is announced as an alert). */
  notice?: { error: boolean; text: string };
}

const time = (ms: number | null, nowMs: number) =>
  ms === null ? html`never` : html`<time datetime="${rfc3339(ms)}">${rfc3339(ms)}</time> (<span data-ago-of="${rfc3339(ms)}">${ago(ms, nowMs)}</span>)`;

/** A JSON value in one cell: strings as they are, anything else as compact JSON. */
const cell = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v) ?? 'null');

/** A key/value table named `caption` (shown, or only for screen readers when a heading already says it). */
function objectTable(caption: string, obj: JsonObject, showCaption = true): SafeHtml {
  const keys = Object.keys(obj);
  if (keys.length === 0) return html`<p class="none">No ${caption.toLowerCase()}.</p>`;
  return html`<table class="kv"><caption${showCaption ? '' : html` class="sr-only"`}>${caption}</caption>
<thead><tr><th scope="col">Key</th><th scope="col">Value</th></tr></thead>
<tbody>${keys.map((k) => html`<tr><th scope="row">${k}</th><td><code>${cell(obj[k])}</code></td></tr>`)}</tbody></table>`;
}

interface EventBody {
  from?: string;
  to?: string;
  cause?: string;
  changed?: string[];
  flapping?: boolean;
  name?: string;
  failing?: string[];
  window?: string;
  in?: boolean;
  maintenance?: string;
}
const bodyOf = (e: StoredEvent) => JSON.parse(e.json) as EventBody;

/** What an event says, in words. */
function describe(e: StoredEvent): string {
  const b = bodyOf(e);
  switch (e.type) {
    case 'node.status':
      return `${b.from ?? '?'} → ${b.to ?? '?'} (${b.cause ?? ''})${b.maintenance ? `, in maintenance ${b.maintenance}` : ''}`;
    case 'node.health':
      return `health ${b.from ?? '?'} → ${b.to ?? '?'}${b.failing && b.failing.length > 0 ? `: ${b.failing.join(', ')} failing` : ''}`;
    case 'node.maintenance':
      return b.in ? `entered maintenance ${b.window ?? ''}` : `left maintenance ${b.window ?? ''}`;
    case 'node.registered':
      return `registered as ${b.name ?? ''}`;
    case 'node.reregistered':
      return `registered again: ${(b.changed ?? []).join(', ')} changed`;
    case 'node.config':
      return `${(b.changed ?? []).join(' and ')} changed`;
    case 'node.flapping':
      return b.flapping ? 'started flapping' : 'stopped flapping';
    case 'node.deregistered':
      return 'deregistered';
    default:
      return e.type;
  }
}

const STRIP_W = 1440; // one unit a minute

/** The SVG strip of the node's periods over the last 24 h, with a text equivalent. */
export function strip(node: NodeRecord, events: readonly StoredEvent[], nowMs: number): SafeHtml {
  const start = nowMs - STRIP_WINDOW_MS;
  const changes: StatusChange[] = events
    .filter((e) => e.type === 'node.status' && e.timeMs > start)
    .map((e) => ({ timeMs: e.timeMs, from: bodyOf(e).from as NodeStatus, to: bodyOf(e).to as NodeStatus }));
  const ps = periods(changes, node.status, node.registerTimeMs, start, nowMs);
  const sum = [...totals(ps)].map(([s, ms]) => `${s} ${duration(ms)}`).join(', ');
  const x = (ms: number) => ((ms - start) / STRIP_WINDOW_MS) * STRIP_W;
  return html`<figure class="strip">
<svg role="img" aria-label="${`Last 24 h: ${sum || 'not registered yet'}`}" viewBox="0 0 ${STRIP_W} 24" preserveAspectRatio="none" width="100%" height="24">
<rect x="0" y="0" width="${STRIP_W}" height="24" class="before"/>
${ps.map((p) => html`<rect x="${x(p.startMs).toFixed(2)}" y="0" width="${Math.max(0.5, x(p.endMs) - x(p.startMs)).toFixed(2)}" height="24" class="${p.status}"><title>${p.status} from ${rfc3339(p.startMs)} for ${duration(p.endMs - p.startMs)}</title></rect>`)}
</svg>
<figcaption><span>24 h ago</span> <span>${sum ? `Last 24 h: ${sum}` : ''}</span> <span>now</span></figcaption>
</figure>`;
}

/** Where the node stands with maintenance: its window, why, by whom, until when. */
function maintenanceText(w: MaintenanceWindow | null, node: NodeRecord, nowMs: number): SafeHtml {
  if (node.maintenance === null) return html`none`;
  return html`<a class="maint" href="/ui/maintenance#${node.maintenance}">${node.maintenance}</a>${w ? html`: ${w.reason} (by ${w.actor}), until ${time(w.endsAtMs, nowMs)}` : ''}`;
}

/** The failing components, since when and what the agent said (SPEC §14). */
function conditionsTable(node: NodeRecord, nowMs: number): SafeHtml {
  if (node.conditions.length === 0) return html`<p class="none">${node.healthState === 'unknown' ? 'No component reported yet.' : 'Every component is healthy.'}</p>`;
  return html`<table class="conditions"><caption>Failing components</caption>
<thead><tr><th scope="col">Component</th><th scope="col">Status</th><th scope="col">Failing since</th><th scope="col">Message</th></tr></thead>
<tbody>${node.conditions.map((c) => html`<tr><th scope="row">${c.component}</th><td>${c.status}</td><td>${time(c.sinceMs, nowMs)}</td><td>${c.message ?? ''}</td></tr>`)}</tbody></table>`;
}

/** The live region of the node page. */
export function nodeRegion(v: NodeView): SafeHtml {
  const { node, nowMs } = v;
  const skew = node.lastReportMs === null || node.agentLastReportMs === null ? null : (node.lastReportMs - node.agentLastReportMs) / 1000;
  const path = `/ui/fragments/nodes/${encodeURIComponent(node.id)}`;
  return html`<div id="node" hx-get="${path}" hx-trigger="sse:change, argus:refresh" hx-swap="outerHTML" hx-sync="this:replace">
<section aria-labelledby="summary-title">
<h2 id="summary-title">Summary</h2>
<dl class="fields">
<dt>ID</dt><dd>${node.id}</dd>
<dt>Name</dt><dd>${node.name}</dd>
<dt>Status</dt><dd><span class="status ${node.status}">${node.status}</span>${node.flapping ? html` <span class="flapping">flapping</span>` : ''}</dd>
<dt>Status since</dt><dd>${time(node.statusSinceMs, nowMs)}</dd>
<dt>Health</dt><dd><span class="health ${node.healthState}">${node.healthState}</span>${node.conditions.length > 0 ? html`: ${node.conditions.map((c) => c.component).join(', ')} failing` : ''}</dd>
<dt>Maintenance</dt><dd>${maintenanceText(v.window, node, nowMs)}</dd>
<dt>Type</dt><dd>${node.type}</dd>
<dt>Version</dt><dd>${node.version}</dd>
<dt>Labels</dt><dd>${node.label.length > 0 ? node.label.map((l) => html`<a class="label" href="/ui/?label=${encodeURIComponent(l)}">${l}</a> `) : 'none'}</dd>
<dt>Registered</dt><dd>${time(node.registerTimeMs, nowMs)}</dd>
<dt>Last report</dt><dd>${time(node.lastReportMs, nowMs)}</dd>
<dt>Agent's time of last report</dt><dd>${time(node.agentLastReportMs, nowMs)}</dd>
<dt>Clock skew</dt><dd>${skew === null ? 'unknown' : `${skew.toFixed(3)} s`}</dd>
<dt>Last updated</dt><dd>${time(node.lastUpdatedMs, nowMs)}</dd>
</dl>
</section>
<section aria-labelledby="health-title">
<h2 id="health-title">Health</h2>
${conditionsTable(node, nowMs)}
${objectTable('Last health report', node.health)}
</section>
<section aria-labelledby="meta-title">
<h2 id="meta-title">Machine and config</h2>
${objectTable('Meta data', node.metaData)}
${objectTable('Config', node.config)}
</section>
<section aria-labelledby="history-title">
<h2 id="history-title">History</h2>
${strip(node, v.events, nowMs)}
${nodeAvailabilityTable(v.availability)}
${v.events.length === 0 ? html`<p class="none">No events kept for this node.</p>` : html`<table class="events"><caption>Latest events, newest first</caption>
<thead><tr><th scope="col">Time</th><th scope="col">Event</th><th scope="col">What happened</th></tr></thead>
<tbody>${v.events.map((e) => html`<tr><td><time datetime="${rfc3339(e.timeMs)}">${rfc3339(e.timeMs)}</time></td><td>${e.type}</td><td>${describe(e)}</td></tr>`)}</tbody></table>`}
</section>
</div>`;
}

/** The admin's tools: the label editor and deregistration. */
function adminTools(v: NodeView): SafeHtml {
  const id = encodeURIComponent(v.node.id);
  return html`<section aria-labelledby="edit-title" class="edit">
<h2 id="edit-title">Edit</h2>
<form method="post" action="/ui/nodes/${id}/labels">
<label for="labels">Labels</label>
<input type="text" id="labels" name="labels" value="${v.node.label.join(', ')}" aria-describedby="labels-help" autocomplete="off">
<button type="submit">Save</button>
<p id="labels-help" class="help">Separated by commas; empty to remove all.</p>
</form>
<form method="post" action="/ui/maintenance" class="maintain">
<input type="hidden" name="nodes" value="${v.node.id}">
<input type="hidden" name="back" value="/ui/nodes/${id}">
<label for="duration">Maintenance for</label>
${durationSelect('duration')}
<label for="reason">because</label>
<input type="text" id="reason" name="reason" required maxlength="1024" autocomplete="off">
<button type="submit">Start maintenance</button>
</form>
<form method="post" action="/ui/nodes/${id}/deregister" class="danger">
<input type="checkbox" id="confirm" name="confirm" value="yes" required>
<label for="confirm">Yes, remove ${v.node.id} for good (its ID is never reused)</label>
<button type="submit">Deregister</button>
</form>
</section>`;
}

/** The page's body. */
export function nodeBody(v: NodeView): SafeHtml {
  return html`<p class="crumbs"><a href="/ui/">Fleet overview</a></p>
<h1>Node ${v.node.id} <span class="name">${v.node.name}</span></h1>
${v.notice ? html`<p class="${v.notice.error ? 'notice error' : 'notice'}" role="${v.notice.error ? 'alert' : 'status'}">${v.notice.text}</p>` : ''}
${nodeRegion(v)}
${v.viewer.admin ? adminTools(v) : ''}`;
}
