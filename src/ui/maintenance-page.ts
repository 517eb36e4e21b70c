// The maintenance page (/ui/maintenance, SPEC §13): every window with its state, what it covers, why, by
// whom and until when, the admin's "End" on each open one, and the admin's form to make one for a
// selector or listed nodes with a duration and a reason. Its list is a live region, fetched again when
// the fleet changes (a window starting or ending is an event).
import { windowState, type MaintenanceWindow } from '../domain/maintenance.js';
import { rfc3339 } from '../domain/time.js';
import type { ShownWindow } from '../maintenance/windows.js';
import { ago } from './format.js';
import { html, type SafeHtml } from './html.js';
import type { Viewer } from './layout.js';

/** The durations the forms offer, in seconds. */
export const DURATIONS: ReadonlyArray<[number, string]> = [[1800, '30 minutes'], [3600, '1 hour'], [7200, '2 hours'], [14_400, '4 hours'], [28_800, '8 hours'], [86_400, '1 day'], [259_200, '3 days'], [604_800, '1 week']];

/** A select of the durations (2 hours chosen). */
export function durationSelect(id: string): SafeHtml {
  return html`<select id="${id}" name="duration_seconds">${DURATIONS.map(([s, label]) => html`<option value="${s}"${s === 7200 ? html` selected` : ''}>${label}</option>`)}</select>`;
}

export interface MaintenanceView {
  windows: ShownWindow[];
  viewer: Viewer;
  nowMs: number;
  notice?: { error: boolean; text: string };
  /** What was typed, kept when the form was refused. */
  form?: { selector: string; nodes: string; reason: string };
}

const when = (ms: number, nowMs: number) => html`<time datetime="${rfc3339(ms)}" title="${rfc3339(ms)}">${ago(ms, nowMs)}</time>`;

/** What a window covers, in words. */
function coverage(w: MaintenanceWindow): SafeHtml {
  const parts: SafeHtml[] = [];
  if (w.selectorText) parts.push(html`<code>${w.selectorText}</code>`);
  if (w.nodes.length > 0) parts.push(html`${w.nodes.map((id) => html`<a href="/ui/nodes/${encodeURIComponent(id)}">${id}</a> `)}`);
  return html`${parts.map((p, i) => html`${i > 0 ? ' and ' : ''}${p}`)}`;
}

function windowRow(s: ShownWindow, v: MaintenanceView): SafeHtml {
  const w = s.window;
  const state = windowState(w, v.nowMs);
  return html`<tr id="${w.id}">
<th scope="row">${w.id}</th>
<td><span class="wstate ${state}">${w.cancelled ? 'cancelled' : state}</span></td>
<td>${coverage(w)}</td>
<td>${w.reason}</td>
<td>${w.actor}</td>
<td>${when(w.startsAtMs, v.nowMs)}</td>
<td>${when(w.endedAtMs ?? w.endsAtMs, v.nowMs)}</td>
<td class="num">${s.matched}</td>
<td>${v.viewer.admin && state !== 'ended' ? html`<form method="post" action="/ui/maintenance/${w.id}/end"><button type="submit" aria-label="${`${state === 'active' ? 'End' : 'Cancel'} ${w.id}`}">${state === 'active' ? 'End now' : 'Cancel'}</button></form>` : ''}</td>
</tr>`;
}

/** The live region: the windows, newest first. */
export function maintenanceRegion(v: MaintenanceView): SafeHtml {
  return html`<div id="windows" hx-get="/ui/fragments/maintenance" hx-trigger="sse:change, argus:refresh" hx-swap="outerHTML" hx-sync="this:replace">
<table class="windows"><caption>Maintenance windows, newest first</caption>
<thead><tr><th scope="col">Window</th><th scope="col">State</th><th scope="col">Covers</th><th scope="col">Reason</th><th scope="col">By</th><th scope="col">Starts</th><th scope="col">Ends</th><th scope="col">Nodes</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
<tbody>${v.windows.length > 0 ? v.windows.map((s) => windowRow(s, v)) : html`<tr><td colspan="9" class="empty">No maintenance window.</td></tr>`}</tbody>
</table>
</div>`;
}

/** The admin's form to make a window. */
function createForm(v: MaintenanceView): SafeHtml {
  const f = v.form ?? { selector: '', nodes: '', reason: '' };
  return html`<section aria-labelledby="new-title" class="edit">
<h2 id="new-title">New window</h2>
<form method="post" action="/ui/maintenance" class="maintain">
<label for="w-selector">Selector</label>
<input type="text" id="w-selector" name="selector" value="${f.selector}" placeholder="rack=7" autocomplete="off" spellcheck="false">
<label for="w-nodes">and/or nodes</label>
<input type="text" id="w-nodes" name="nodes" value="${f.nodes}" placeholder="A17, A18" autocomplete="off">
<label for="w-duration">for</label>
${durationSelect('w-duration')}
<label for="w-reason">because</label>
<input type="text" id="w-reason" name="reason" value="${f.reason}" required maxlength="1024" autocomplete="off">
<button type="submit">Start maintenance</button>
<p class="help">It starts now. Nodes in it still go online and offline, but page no one: a node is notified at the end only if its status then differs from when it entered.</p>
</form>
</section>`;
}

/** The page's body. */
export function maintenanceBody(v: MaintenanceView): SafeHtml {
  return html`<p class="crumbs"><a href="/ui/">Fleet overview</a></p>
<h1>Maintenance</h1>
${v.notice ? html`<p class="${v.notice.error ? 'notice error' : 'notice'}" role="${v.notice.error ? 'alert' : 'status'}">${v.notice.text}</p>` : ''}
${v.viewer.admin ? createForm(v) : ''}
<section aria-labelledby="windows-title">
<h2 id="windows-title">Windows</h2>
${maintenanceRegion(v)}
</section>`;
}
