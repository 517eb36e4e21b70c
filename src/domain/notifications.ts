// Notifications (SPEC §15), the pure rules: what an endpoint is, which events reach which endpoint
// (its types and selector, and the quiet rules of maintenance and flapping), the retry schedule, when a
// message is dead, and how a burst becomes digests. No I/O: the store keeps the outbox
// (storage/core/notifications.ts), src/notifications/ delivers.
import { EventType } from './events.js';
import type { NodeRecord } from './node.js';
import { matches } from './selector-match.js';
import type { Selector } from './selector.js';

/** Where messages go: a Standard Webhooks receiver, or an Alertmanager. */
export type EndpointKind = 'webhook' | 'alertmanager';
export const ENDPOINT_KINDS: readonly EndpointKind[] = ['webhook', 'alertmanager'];

/** An endpoint as the store keeps it (its secret never leaves the notifications module). */
export interface Endpoint {
  id: string;
  name: string;
  url: string;
  kind: EndpointKind;
  events: EventType[];
  selectorText: string;
  selector: Selector;
  enabled: boolean;
  /** Why it was disabled by the master (a `410 Gone`), or null. */
  disabledReason: string | null;
  createdMs: number;
  /** Events up to this id were written before it existed: it gets none of them. */
  fromEvent: number;
}

/** The types an endpoint gets when it names none (SPEC §15). */
export const DEFAULT_ENDPOINT_EVENTS: readonly EventType[] = [EventType.Status, EventType.Health, EventType.BrakeEngaged, EventType.BrakeReleased];

/** Waits after the 1st, 2nd, … failed attempt; then every 2 h until the message is dead (SPEC §15). */
export const RETRY_DELAYS_MS: readonly number[] = [5_000, 30_000, 120_000, 600_000, 1_800_000, 3_600_000];
const LATER_RETRY_MS = 7_200_000;
/** A delivery attempt ends after this long (a 2xx within it is a delivery). */
export const ATTEMPT_TIMEOUT_MS = 10_000;
/** At most this many requests in flight per endpoint. */
export const MAX_IN_FLIGHT = 4;
/** Events in one digest at most. */
export const DIGEST_MAX_EVENTS = 1_000;

/** When the next attempt is due after `attempts` failed ones, or null: the message is dead by then. */
export function nextAttemptMs(attempts: number, nowMs: number, createdMs: number, maxAgeMs: number): number | null {
  const next = nowMs + (RETRY_DELAYS_MS[attempts - 1] ?? LATER_RETRY_MS);
  return next - createdMs > maxAgeMs ? null : next;
}

/** An event as fan-out reads it: its id, type, node and fields (its JSON parsed). */
export interface NotifiableEvent {
  id: number;
  timeMs: number;
  type: EventType;
  nodeId: string | null;
  fields: Record<string, unknown>;
}

/**
 * Whether an event makes a message for an endpoint. `node` is the node as it is now (null: none, or a
 * fleet-wide event). The quiet rules:
 * - a node in maintenance sends nothing (its status events name the window); when it leaves, the
 *   end-of-window rule (SPEC §13) sends its `node.maintenance` event to endpoints of `node.status` once,
 *   if its status then differs from its status when it entered;
 * - a flapping node sends `node.flapping` once (to endpoints of `node.flapping` or `node.status`) and
 *   none of its transitions until it stops flapping;
 * - the selector, when the endpoint has one, must select the node (fleet-wide events pass).
 */
export function notifies(endpoint: Endpoint, event: NotifiableEvent, node: NodeRecord | null): boolean {
  if (!endpoint.enabled || event.id <= endpoint.fromEvent) return false;
  // An Alertmanager's alerts are resolved by a deregistration or a window, and follow flapping.
  if (endpoint.kind === 'alertmanager' && RESOLVING.has(event.type)) return event.nodeId === null || node === null || endpoint.selector.length === 0 || matches(endpoint.selector, node);
  if (!typeWanted(endpoint, event, node)) return false;
  if (event.nodeId === null) return true;
  if (endpoint.selector.length > 0 && (node === null || !matches(endpoint.selector, node))) return false;
  return true;
}

const RESOLVING = new Set<EventType>([EventType.Deregistered, EventType.Maintenance, EventType.Flapping]);

function typeWanted(endpoint: Endpoint, event: NotifiableEvent, node: NodeRecord | null): boolean {
  const wants = (t: EventType) => endpoint.events.includes(t);
  const f = event.fields;
  switch (event.type) {
    case EventType.Status:
      return wants(EventType.Status) && f.maintenance === undefined && f.flapping !== true;
    case EventType.Health:
      return wants(EventType.Health) && (node === null || node.maintenance === null);
    case EventType.Flapping:
      return f.flapping === true && (wants(EventType.Flapping) || wants(EventType.Status));
    case EventType.Maintenance:
      // Entering or leaving says nothing, but the end of a window for a node that went down in it.
      if (wants(EventType.Maintenance)) return true;
      return wants(EventType.Status) && f.in === false && typeof f.entered_status === 'string' && f.entered_status !== f.status;
    default:
      return wants(event.type);
  }
}

/** What a delivery pass does for one endpoint: messages to send now, and fresh ones to fold into digests. */
export interface SendPlan {
  send: string[];
  fold: string[][];
}

/** A message due for an endpoint, as the pass sees it. */
export interface DueMessage {
  id: string;
  attempts: number;
  /** Events it carries (1 for an event's message, more for a digest; 0 for a test). */
  events: number;
}

/**
 * One endpoint's pass (SPEC §15): at most `budget` more requests this minute and `slots` in flight.
 * When more fresh messages are due than the budget allows, every fresh one is folded into digests of at
 * most 1,000 events (each digest one request); retried messages keep their id and are never folded.
 */
export function planSends(due: readonly DueMessage[], budget: number, slots: number): SendPlan {
  const room = Math.min(budget, slots);
  if (room <= 0 || due.length === 0) return { send: [], fold: [] };
  const fresh = due.filter((m) => m.attempts === 0 && m.events === 1);
  if (due.length <= budget || fresh.length < 2) return { send: due.slice(0, room).map((m) => m.id), fold: [] };
  const fold: string[][] = [];
  for (let i = 0; i < fresh.length; i += DIGEST_MAX_EVENTS) fold.push(fresh.slice(i, i + DIGEST_MAX_EVENTS).map((m) => m.id));
  const folded = new Set(fresh.map((m) => m.id));
  const rest = due.filter((m) => !folded.has(m.id)).slice(0, room).map((m) => m.id);
  return { send: rest, fold };
}

/** Requests sent in the last minute, per endpoint: the rate limit's memory (the leader's). */
export class SentWindow {
  private readonly times = new Map<string, number[]>();
  constructor(private readonly perMinute: number) {}
  /** How many more requests `endpoint` may get now. */
  budget(endpoint: string, nowMs: number): number {
    const kept = (this.times.get(endpoint) ?? []).filter((t) => t > nowMs - 60_000);
    this.times.set(endpoint, kept);
    return Math.max(0, this.perMinute - kept.length);
  }
  record(endpoint: string, nowMs: number): void {
    const list = this.times.get(endpoint) ?? [];
    list.push(nowMs);
    this.times.set(endpoint, list);
  }
}
