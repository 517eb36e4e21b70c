// Notification endpoints and deliveries as people manage them (SPEC §15): add an endpoint (its secret is
// shown once), list, read, change, remove, send a test message; list deliveries and retry one. Used alike
// by the API and the dashboard. Bad input is a 400 saying what was expected, an unknown ID a 404; nothing
// is stored then. Secrets and URL credentials are never returned.
import type { Clock } from '../clock.js';
import { ALL_EVENT_TYPES, type EventType } from '../domain/events.js';
import { DEFAULT_ENDPOINT_EVENTS, ENDPOINT_KINDS, type EndpointKind } from '../domain/notifications.js';
import { parseSelector, SelectorError } from '../domain/selector.js';
import { rfc3339 } from '../domain/time.js';
import { AppError } from '../errors.js';
import type { DeliveryRow, DeliveryState, EndpointChange, EndpointRecord } from '../storage/core/notifications.js';
import type { NodeStore } from '../storage/store.js';
import { newSecret, shownUrl } from './send.js';

/** An endpoint as requested. */
export interface EndpointRequest {
  name: string;
  url: string;
  kind?: string;
  events?: string[];
  selector?: string;
}

/** A change as requested. */
export interface EndpointPatch {
  name?: string;
  url?: string;
  events?: string[];
  selector?: string;
  enabled?: boolean;
}

export const ENDPOINT_LIMITS = { maxName: 256, maxUrl: 2_048, maxEvents: 32 } as const;

const bad = (message: string) => new AppError('BAD_REQUEST', `invalid request: ${message}`);
const endpointNotFound = (id: string) => new AppError('NOT_FOUND', `notification endpoint ${id} not found`);

/** An endpoint as the API shows it: never its secret, its URL without credentials. */
export function renderEndpoint(e: EndpointRecord) {
  return {
    id: e.id, name: e.name, url: shownUrl(e.url), kind: e.kind, events: e.events, selector: e.selectorText, enabled: e.enabled,
    disabled_reason: e.disabledReason, created_at: rfc3339(e.createdMs),
  };
}

/** A delivery as the API shows it. */
export function renderDelivery(d: DeliveryRow) {
  const pending = d.state === 'pending';
  return {
    id: d.id, endpoint: d.endpoint_id, type: d.type, node_id: d.node_id, event_id: d.event_id === null ? null : Number(d.event_id), events: Number(d.events),
    state: d.state, attempts: Number(d.attempts), created_at: rfc3339(Number(d.created_at)),
    last_attempt_at: d.last_attempt_at === null ? null : rfc3339(Number(d.last_attempt_at)), last_answer: d.last_answer,
    next_attempt_at: pending ? rfc3339(Number(d.next_at)) : null, folded_into: d.folded_into,
  };
}

function urlOf(text: string, kind: EndpointKind): string {
  if (text.length > ENDPOINT_LIMITS.maxUrl) throw bad(`url: at most ${ENDPOINT_LIMITS.maxUrl} characters`);
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw bad(`url: not an absolute URL (${kind === 'alertmanager' ? 'http://alertmanager:9093' : 'https://receiver.example/hook'})`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw bad('url: must be http or https');
  if (u.hash !== '') throw bad('url: must not have a #fragment');
  return u.toString();
}

function eventsOf(list: string[] | undefined): EventType[] {
  if (list === undefined) return [...DEFAULT_ENDPOINT_EVENTS];
  if (list.length === 0 || list.length > ENDPOINT_LIMITS.maxEvents) throw bad('events: a list of 1 to 32 event types');
  for (const t of list) if (!(ALL_EVENT_TYPES as readonly string[]).includes(t)) throw bad(`events: unknown event type "${t}" (one of ${ALL_EVENT_TYPES.join(', ')})`);
  return [...new Set(list)] as EventType[];
}

function selectorTextOf(text: string | undefined): string {
  const s = (text ?? '').trim();
  try {
    parseSelector(s);
  } catch (err) {
    if (err instanceof SelectorError) throw bad(`selector: ${err.message}`);
    throw err;
  }
  return s;
}

function nameOf(text: string): string {
  const name = text.trim();
  if (name === '' || name.length > ENDPOINT_LIMITS.maxName) throw bad(`name: 1 to ${ENDPOINT_LIMITS.maxName} characters`);
  return name;
}

/** The use cases. */
export function createEndpoints(deps: { store: NodeStore; clock: Clock }) {
  const { store, clock } = deps;
  const get = async (id: string) => (await store.endpoint(id)) ?? Promise.reject(endpointNotFound(id));
  return {
    /** A new endpoint, and its secret (shown this once). */
    async create(r: EndpointRequest): Promise<{ endpoint: EndpointRecord; secret: string | null }> {
      const kind = (r.kind ?? 'webhook') as EndpointKind;
      if (!ENDPOINT_KINDS.includes(kind)) throw bad(`kind: one of ${ENDPOINT_KINDS.join(', ')}`);
      const input = { name: nameOf(r.name), url: urlOf(r.url, kind), kind, events: eventsOf(r.events), selectorText: selectorTextOf(r.selector), secret: newSecret() };
      const endpoint = await store.createEndpoint(input, clock.now());
      return { endpoint, secret: kind === 'webhook' ? input.secret : null };
    },
    list: () => store.endpoints(),
    get,
    async change(id: string, p: EndpointPatch): Promise<EndpointRecord> {
      const current = await get(id);
      const change: EndpointChange = {};
      if (p.name !== undefined) change.name = nameOf(p.name);
      if (p.url !== undefined) change.url = urlOf(p.url, current.kind);
      if (p.events !== undefined) change.events = eventsOf(p.events);
      if (p.selector !== undefined) change.selectorText = selectorTextOf(p.selector);
      if (p.enabled !== undefined) change.enabled = p.enabled;
      return (await store.changeEndpoint(id, change)) ?? Promise.reject(endpointNotFound(id));
    },
    async remove(id: string): Promise<void> {
      if (!(await store.deleteEndpoint(id))) throw endpointNotFound(id);
    },
    /** Queues a test message for the endpoint (delivered like any other, within a second). */
    async test(id: string): Promise<DeliveryRow> {
      const e = await get(id);
      const now = clock.now();
      const msgId = `msg_${e.id}_test_${now}_${Math.floor(Math.random() * 1e6)}`;
      const body = e.kind === 'alertmanager'
        ? JSON.stringify([{ labels: { alertname: 'ArgusTest', endpoint: e.id }, annotations: { summary: `a test from Argus Master to ${e.name}` }, startsAt: rfc3339(now), endsAt: rfc3339(now + 60_000) }])
        : JSON.stringify({ type: 'test', timestamp: rfc3339(now), data: { endpoint: e.id, name: e.name, message: 'a test from Argus Master' } });
      await store.enqueue({ id: msgId, endpointId: e.id, type: 'test', nodeId: null, eventId: null, events: 0, body }, now);
      return (await store.delivery(msgId))!;
    },
    async deliveries(q: { endpoint?: string; state?: DeliveryState; before?: number; limit: number }) {
      return store.deliveries({ endpointId: q.endpoint ?? null, state: q.state ?? null, beforeSeq: q.before ?? null, limit: q.limit });
    },
    async delivery(id: string) {
      return (await store.delivery(id)) ?? Promise.reject(new AppError('NOT_FOUND', `delivery ${id} not found`));
    },
    /** Tries a dead or pending delivery again now (a delivered one is answered as it is: 409). */
    async retry(id: string): Promise<DeliveryRow> {
      const row = await store.retryDelivery(id, clock.now());
      if (!row) throw new AppError('NOT_FOUND', `delivery ${id} not found`);
      if (row.state === 'delivered' || row.state === 'folded') throw new AppError('CONFLICT', `delivery ${id} is ${row.state}: nothing to retry`);
      return row;
    },
  };
}

export type Endpoints = ReturnType<typeof createEndpoints>;
