// The notifications page (/ui/notifications, SPEC §15): every endpoint with its kind, what it gets, its
// state (and why the master disabled it), the admin's "Send test", "Disable"/"Enable" and "Remove" on
// each, the admin's form to add one (its signing secret shown once, right after), and the latest
// deliveries with their state, attempts and last answer, "Retry" on a dead or pending one. Its lists are
// a live region, fetched again when the fleet changes and every few seconds.
import { rfc3339 } from '../domain/time.js';
import type { DeliveryRow, EndpointRecord } from '../storage/core/notifications.js';
import { shownUrl } from '../notifications/send.js';
import { ago } from './format.js';
import { html, type SafeHtml } from './html.js';
import type { Viewer } from './layout.js';

export interface NotificationsView {
  endpoints: EndpointRecord[];
  deliveries: DeliveryRow[];
  viewer: Viewer;
  nowMs: number;
  notice?: { error: boolean; text: string };
  /** A new endpoint's secret, shown once. */
  secret?: { endpoint: string; value: string };
  form?: { name: string; url: string; kind: string; selector: string };
}

const when = (ms: number | null, nowMs: number) => (ms === null ? '' : html`<time datetime="${rfc3339(ms)}" title="${rfc3339(ms)}">${ago(ms, nowMs)}</time>`);
const button = (action: string, label: string, aria: string) => html`<form method="post" action="${action}" class="inline"><button type="submit" aria-label="${aria}">${label}</button></form>`;

function endpointRow(e: EndpointRecord, v: NotificationsView): SafeHtml {
  const state = e.enabled ? 'enabled' : 'disabled';
  const admin = v.viewer.admin
    ? html`${button(`/ui/notifications/${e.id}/test`, 'Send test', `Send a test to ${e.id}`)}
${button(`/ui/notifications/${e.id}/${e.enabled ? 'disable' : 'enable'}`, e.enabled ? 'Disable' : 'Enable', `${e.enabled ? 'Disable' : 'Enable'} ${e.id}`)}
${button(`/ui/notifications/${e.id}/remove`, 'Remove', `Remove ${e.id}`)}`
    : '';
  return html`<tr id="${e.id}">
<th scope="row">${e.id}</th>
<td>${e.name}</td>
<td>${e.kind}</td>
<td><code>${shownUrl(e.url)}</code></td>
<td>${e.events.join(', ')}${e.selectorText ? html` for <code>${e.selectorText}</code>` : ''}</td>
<td><span class="estate ${state}">${state}</span>${e.disabledReason ? html` <span class="why">${e.disabledReason}</span>` : ''}</td>
<td>${admin}</td>
</tr>`;
}

function deliveryRow(d: DeliveryRow, v: NotificationsView): SafeHtml {
  const retry = v.viewer.admin && (d.state === 'dead' || d.state === 'pending') ? button(`/ui/notifications/deliveries/${encodeURIComponent(d.id)}/retry`, 'Retry', `Retry ${d.id}`) : '';
  return html`<tr>
<td><code>${d.id}</code></td>
<td>${d.endpoint_id}</td>
<td>${d.type}${d.node_id ? html` <a href="/ui/nodes/${encodeURIComponent(d.node_id)}">${d.node_id}</a>` : ''}${Number(d.events) > 1 ? html` (${d.events} events)` : ''}</td>
<td><span class="dstate ${d.state}">${d.state}</span></td>
<td class="num">${d.attempts}</td>
<td>${d.last_answer ?? ''}</td>
<td>${when(Number(d.created_at), v.nowMs)}</td>
<td>${d.state === 'pending' ? when(Number(d.next_at), v.nowMs) : ''}</td>
<td>${retry}</td>
</tr>`;
}

/** The live region: endpoints, then the latest deliveries. */
export function notificationsRegion(v: NotificationsView): SafeHtml {
  return html`<div id="notifications" hx-get="/ui/fragments/notifications" hx-trigger="sse:change, every 5s, argus:refresh" hx-swap="outerHTML" hx-sync="this:replace">
<table class="endpoints"><caption>Endpoints</caption>
<thead><tr><th scope="col">Endpoint</th><th scope="col">Name</th><th scope="col">Kind</th><th scope="col">URL</th><th scope="col">Gets</th><th scope="col">State</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
<tbody>${v.endpoints.length > 0 ? v.endpoints.map((e) => endpointRow(e, v)) : html`<tr><td colspan="7" class="empty">No endpoint: nobody is told when a node is lost.</td></tr>`}</tbody>
</table>
<table class="deliveries"><caption>Latest deliveries</caption>
<thead><tr><th scope="col">Message</th><th scope="col">Endpoint</th><th scope="col">What</th><th scope="col">State</th><th scope="col">Attempts</th><th scope="col">Last answer</th><th scope="col">Made</th><th scope="col">Next try</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
<tbody>${v.deliveries.length > 0 ? v.deliveries.map((d) => deliveryRow(d, v)) : html`<tr><td colspan="9" class="empty">No delivery yet.</td></tr>`}</tbody>
</table>
</div>`;
}

function createForm(v: NotificationsView): SafeHtml {
  const f = v.form ?? { name: '', url: '', kind: 'webhook', selector: '' };
  return html`<section aria-labelledby="new-endpoint" class="edit">
<h2 id="new-endpoint">New endpoint</h2>
<form method="post" action="/ui/notifications" class="maintain">
<label for="e-name">Name</label>
<input type="text" id="e-name" name="name" value="${f.name}" required maxlength="256" autocomplete="off">
<label for="e-url">URL</label>
<input type="url" id="e-url" name="url" value="${f.url}" required maxlength="2048" placeholder="https://receiver.example/hook" autocomplete="off" spellcheck="false">
<label for="e-kind">Kind</label>
<select id="e-kind" name="kind"><option value="webhook"${f.kind === 'webhook' ? html` selected` : ''}>Webhook (Standard Webhooks)</option><option value="alertmanager"${f.kind === 'alertmanager' ? html` selected` : ''}>Alertmanager</option></select>
<label for="e-selector">for nodes</label>
<input type="text" id="e-selector" name="selector" value="${f.selector}" placeholder="rack=7 (every node when empty)" autocomplete="off" spellcheck="false">
<button type="submit">Add endpoint</button>
<p class="help">It gets node.status, node.health, brake.engaged and brake.released. A webhook's signing secret is shown once, right after.</p>
</form>
</section>`;
}

/** The page's body. */
export function notificationsBody(v: NotificationsView): SafeHtml {
  return html`<p class="crumbs"><a href="/ui/">Fleet overview</a></p>
<h1>Notifications</h1>
${v.notice ? html`<p class="${v.notice.error ? 'notice error' : 'notice'}" role="${v.notice.error ? 'alert' : 'status'}">${v.notice.text}</p>` : ''}
${v.secret ? html`<p class="notice" role="status">Endpoint ${v.secret.endpoint} added. Its signing secret, shown this once: <code class="secret">${v.secret.value}</code></p>` : ''}
${v.viewer.admin ? createForm(v) : ''}
<section aria-labelledby="notify-title">
<h2 id="notify-title">Endpoints and deliveries</h2>
${notificationsRegion(v)}
</section>`;
}
