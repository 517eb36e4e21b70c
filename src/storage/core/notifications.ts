// Notifications in the store (SPEC §15): endpoints, and the outbox, each algorithm once over a backend's
// statements (sqlite/notification-plans.ts, postgres/notification-plans.ts). Guarantees:
// - the events table is the outbox: every event is written in the transaction of its change; fan-out
//   reads the events after the cursor and writes their deliveries and the new cursor in one transaction
//   (on the leader, fenced by its epoch with PostgreSQL), so that no event is fanned out twice or skipped,
//   whatever restarts or fails over in between;
// - a delivery keeps its id and body across attempts; an attempt is claimed (written) before it is sent,
//   so that a new leader after a failover retries what was in flight with the same id, and a deposed one
//   cannot claim anything;
// - a message not delivered within the maximum age is dead, kept (with its last answer) for replay.
import type { EventType } from '../../domain/events.js';
import type { Endpoint, EndpointKind } from '../../domain/notifications.js';
import { parseSelector } from '../../domain/selector.js';
import type { NodeRecord } from '../../domain/node.js';
import { fromRow, type EventRow, type NodeRow } from '../rows.js';
import { all, one, run, type Plan, type Tx } from './tx.js';

/** One row of `notification_endpoints`. */
export interface EndpointRow {
  seq: number;
  id: string;
  name: string;
  url: string;
  kind: EndpointKind;
  events: string;
  selector: string;
  enabled: number;
  disabled_reason: string | null;
  secret: string;
  created_at: number;
  from_event: number;
}

/** One row of `notification_deliveries`. */
export interface DeliveryRow {
  seq: number;
  id: string;
  endpoint_id: string;
  type: string;
  node_id: string | null;
  event_id: number | null;
  events: number;
  body: string;
  state: DeliveryState;
  attempts: number;
  next_at: number;
  created_at: number;
  last_attempt_at: number | null;
  last_answer: string | null;
  folded_into: string | null;
}

export type DeliveryState = 'pending' | 'delivered' | 'dead' | 'folded';
export const DELIVERY_STATES: readonly DeliveryState[] = ['pending', 'delivered', 'dead', 'folded'];

/** An endpoint with its secret (which only the notifications module reads). */
export type EndpointRecord = Endpoint & { secret: string };

/** A message to write: its id, endpoint, type, node and event, how many events it carries, its body. */
export interface NewDelivery {
  id: string;
  endpointId: string;
  type: string;
  nodeId: string | null;
  eventId: number | null;
  events: number;
  body: string;
}

/** A new endpoint, validated by its use case. */
export type EndpointInput = Pick<EndpointRecord, 'name' | 'url' | 'kind' | 'events' | 'selectorText' | 'secret'>;

/** A change of an endpoint (absent: unchanged). */
export type EndpointChange = Partial<Pick<EndpointRecord, 'name' | 'url' | 'events' | 'selectorText' | 'enabled'>>;

/** Which deliveries to list: newest first, before `beforeSeq`. */
export interface DeliveryQuery {
  endpointId: string | null;
  state: DeliveryState | null;
  beforeSeq: number | null;
  limit: number;
}

/** How an attempt ended: delivered, failed (retry at `nextAtMs`, or dead when null), or gone (410). */
export type AttemptOutcome =
  | { kind: 'delivered'; answer: string }
  | { kind: 'failed'; answer: string; nextAtMs: number | null }
  | { kind: 'gone'; answer: string };

/** What fan-out hands the notifications module: events after the cursor, the endpoints, their nodes. */
export interface FanOutInput {
  events: EventRow[];
  endpoints: EndpointRecord[];
  nodes: Map<string, NodeRecord>;
}

/** The statements of notifications. */
export interface OutboxPlans {
  nextEndpointSeq: Plan<[], { value: string | number }>;
  eventCounter: Plan<[], { value: string | number }>;
  insertEndpoint: Plan<[row: EndpointRow], never>;
  updateEndpoint: Plan<[row: EndpointRow], never>;
  deleteEndpoint: Plan<[id: string], never>;
  deleteDeliveriesOf: Plan<[endpointId: string], never>;
  endpointById: Plan<[id: string], EndpointRow>;
  allEndpoints: Plan<[], EndpointRow>;
  cursor: Plan<[], { value: string }>;
  setCursor: Plan<[value: number], never>;
  eventsAfter: Plan<[after: number, limit: number], EventRow>;
  nodesByIds: Plan<[ids: readonly string[]], NodeRow>;
  insertDeliveries: Plan<[rows: readonly NewDelivery[], nowMs: number], never>;
  /** Pending deliveries due at `nowMs`, oldest first, at most `limit` (id, endpoint, attempts, events). */
  due: Plan<[nowMs: number, limit: number], DeliveryRow>;
  byIds: Plan<[ids: readonly string[]], DeliveryRow>;
  /** Claims pending deliveries for an attempt: attempts + 1, last_attempt_at, next_at (in case it never ends). */
  claim: Plan<[ids: readonly string[], nowMs: number, nextAtMs: number], never>;
  /** Folds pending fresh deliveries into a digest. */
  fold: Plan<[ids: readonly string[], digestId: string], never>;
  finish: Plan<[id: string, state: DeliveryState, nextAtMs: number, answer: string], never>;
  /** Pending deliveries created before the cut-off become dead. */
  expire: Plan<[beforeMs: number, answer: string], never>;
  /** A dead or pending delivery to be tried again now (its age counted afresh). */
  retry: Plan<[id: string, nowMs: number], never>;
  list: Plan<[q: DeliveryQuery], DeliveryRow>;
  byId: Plan<[id: string], DeliveryRow>;
  /** Finished deliveries (delivered, dead, folded) created before the cut-off are deleted, at most `limit`. */
  prune: Plan<[beforeMs: number, limit: number], never>;
  pendingStats: Plan<[], { endpoint_id: string; n: number; oldest: number }>;
}

/** An endpoint of its row. */
export function fromEndpointRow(r: EndpointRow): EndpointRecord {
  return {
    id: r.id, name: r.name, url: r.url, kind: r.kind, events: JSON.parse(r.events) as EventType[], selectorText: r.selector, selector: parseSelector(r.selector),
    enabled: Number(r.enabled) === 1, disabledReason: r.disabled_reason, createdMs: Number(r.created_at), fromEvent: Number(r.from_event), secret: r.secret,
  };
}

const toEndpointRow = (e: EndpointRecord, seq: number): EndpointRow => ({
  seq, id: e.id, name: e.name, url: e.url, kind: e.kind, events: JSON.stringify(e.events), selector: e.selectorText, enabled: e.enabled ? 1 : 0,
  disabled_reason: e.disabledReason, secret: e.secret, created_at: e.createdMs, from_event: e.fromEvent,
});

/**
 * While no endpoint is enabled, fan-out does nothing (no transaction, no lock: the events simply stay
 * where they are); the first endpoint enabled moves the cursor to `counter`, so that fan-out does not
 * then read the events of that idle time, which no endpoint would get.
 */
function* skipIfIdle(p: OutboxPlans, counter: number): Tx<void> {
  if (!(yield* all(p.allEndpoints)).some((e) => Number(e.enabled) === 1)) yield* run(p.setCursor, counter);
}

/** The outbox's transactions, for the writes of a backend (core/writes.ts runs them). */
export function outboxTxs(p: OutboxPlans) {
  return {
    *createEndpoint(input: EndpointInput, nowMs: number): Tx<EndpointRecord> {
      const seq = Number((yield* one(p.nextEndpointSeq))!.value);
      const fromEvent = Number((yield* one(p.eventCounter))!.value);
      const e: EndpointRecord = { id: `E${seq}`, ...input, selector: parseSelector(input.selectorText), enabled: true, disabledReason: null, createdMs: nowMs, fromEvent };
      yield* skipIfIdle(p, fromEvent);
      yield* run(p.insertEndpoint, toEndpointRow(e, seq));
      return e;
    },
    *changeEndpoint(id: string, change: EndpointChange, disabledReason: string | null = null): Tx<EndpointRecord | null> {
      const row = yield* one(p.endpointById, id);
      if (!row) return null;
      const e = { ...fromEndpointRow(row), ...change };
      if (change.selectorText !== undefined) e.selector = parseSelector(change.selectorText);
      // Enabled again by an admin: the master's reason is gone; disabled by the master: its reason is kept.
      e.disabledReason = change.enabled === true ? null : (disabledReason ?? e.disabledReason);
      if (change.enabled === true && Number(row.enabled) !== 1) {
        // Events while it was disabled are not its: it starts from now, like a new one.
        e.fromEvent = Number((yield* one(p.eventCounter))!.value);
        yield* skipIfIdle(p, e.fromEvent);
      }
      yield* run(p.updateEndpoint, toEndpointRow(e, Number(row.seq)));
      return e;
    },
    *deleteEndpoint(id: string): Tx<boolean> {
      if (!(yield* one(p.endpointById, id))) return false;
      yield* run(p.deleteEndpoint, id);
      yield* run(p.deleteDeliveriesOf, id);
      return true;
    },
    /** One step of fan-out: events after the cursor (at most `limit`) become deliveries; the cursor moves. */
    *fanOut(limit: number, nowMs: number, build: (input: FanOutInput) => NewDelivery[]): Tx<{ events: number; deliveries: number }> {
      const cursor = Number((yield* one(p.cursor))!.value);
      const events = yield* all(p.eventsAfter, cursor, limit);
      if (events.length === 0) return { events: 0, deliveries: 0 };
      const endpoints = (yield* all(p.allEndpoints)).map(fromEndpointRow).filter((e) => e.enabled);
      const nodes = new Map<string, NodeRecord>();
      if (endpoints.length > 0) {
        const ids = [...new Set(events.map((e) => e.node_id).filter((id): id is string => id !== null))];
        for (const row of yield* all(p.nodesByIds, ids)) nodes.set(row.id, fromRow(row));
      }
      const deliveries = endpoints.length > 0 ? build({ events, endpoints, nodes }) : [];
      if (deliveries.length > 0) yield* run(p.insertDeliveries, deliveries, nowMs);
      yield* run(p.setCursor, Number(events.at(-1)!.id));
      return { events: events.length, deliveries: deliveries.length };
    },
    /** Folds fresh pending deliveries into one digest built from them (those no longer pending stay out). */
    *fold(ids: readonly string[], build: (rows: DeliveryRow[]) => NewDelivery | null, nowMs: number): Tx<NewDelivery | null> {
      const rows = (yield* all(p.byIds, ids)).filter((r) => r.state === 'pending' && Number(r.attempts) === 0);
      const digest = rows.length > 0 ? build(rows) : null;
      if (!digest) return null;
      yield* run(p.insertDeliveries, [digest], nowMs);
      yield* run(p.fold, rows.map((r) => r.id), digest.id);
      return digest;
    },
    /** Claims deliveries for an attempt; answers those still pending, with their bodies. */
    *claim(ids: readonly string[], nowMs: number, inFlightUntilMs: number): Tx<DeliveryRow[]> {
      const rows = (yield* all(p.byIds, ids)).filter((r) => r.state === 'pending');
      if (rows.length > 0) yield* run(p.claim, rows.map((r) => r.id), nowMs, inFlightUntilMs);
      return rows.map((r) => ({ ...r, attempts: Number(r.attempts) + 1 }));
    },
    *finish(id: string, endpointId: string, outcome: AttemptOutcome): Tx<void> {
      if (outcome.kind === 'delivered') yield* run(p.finish, id, 'delivered', 0, outcome.answer);
      else if (outcome.kind === 'failed' && outcome.nextAtMs !== null) yield* run(p.finish, id, 'pending', outcome.nextAtMs, outcome.answer);
      else yield* run(p.finish, id, 'dead', 0, outcome.answer);
      if (outcome.kind === 'gone') yield* outboxTxs(p).changeEndpoint(endpointId, { enabled: false }, `the receiver answered 410 Gone (${outcome.answer})`);
    },
  };
}

/** The outbox's writes over a backend's transactions (`write` runs one in its group commit). */
export function createOutboxWrites(p: OutboxPlans, write: <T>(tx: () => Tx<T>, kind?: { direct?: boolean }) => Promise<T>, read: <T>(tx: () => Tx<T>) => Promise<T>) {
  const tx = outboxTxs(p);
  const DIRECT = { direct: true };
  /** Whether fan-out has work: new events and an enabled endpoint (read without the write lock). */
  const fanOutDue = () => read(function* () {
    const cursor = Number((yield* one(p.cursor))!.value);
    const counter = Number((yield* one(p.eventCounter))!.value);
    return counter > cursor && (yield* all(p.allEndpoints)).some((e) => Number(e.enabled) === 1);
  });
  return {
    createEndpoint: (input: EndpointInput, nowMs: number) => write(() => tx.createEndpoint(input, nowMs), DIRECT),
    changeEndpoint: (id: string, change: EndpointChange) => write(() => tx.changeEndpoint(id, change), DIRECT),
    deleteEndpoint: (id: string) => write(() => tx.deleteEndpoint(id), DIRECT),
    fanOut: async (limit: number, nowMs: number, build: (input: FanOutInput) => NewDelivery[]) =>
      ((await fanOutDue()) ? write(() => tx.fanOut(limit, nowMs, build), DIRECT) : { events: 0, deliveries: 0 }),
    enqueue: (d: NewDelivery, nowMs: number) => write(function* () {
      yield* run(p.insertDeliveries, [d], nowMs);
    }, DIRECT),
    foldDeliveries: (ids: readonly string[], build: (rows: DeliveryRow[]) => NewDelivery | null, nowMs: number) => write(() => tx.fold(ids, build, nowMs), DIRECT),
    claimDeliveries: (ids: readonly string[], nowMs: number, inFlightUntilMs: number) => write(() => tx.claim(ids, nowMs, inFlightUntilMs), DIRECT),
    finishDelivery: (id: string, endpointId: string, outcome: AttemptOutcome) => write(() => tx.finish(id, endpointId, outcome), DIRECT),
    expireDeliveries: (beforeMs: number) => write(() => run(p.expire, beforeMs, 'expired: not delivered within NOTIFY_MAX_AGE_HOURS'), DIRECT),
    retryDelivery: (id: string, nowMs: number) => write(function* () {
      const row = yield* one(p.byId, id);
      if (!row || row.state === 'delivered' || row.state === 'folded') return row ?? null;
      yield* run(p.retry, id, nowMs);
      return (yield* one(p.byId, id)) ?? null;
    }, DIRECT),
    pruneDeliveries: (beforeMs: number) => write(() => run(p.prune, beforeMs, 10_000), DIRECT),
  };
}

/** The outbox's reads (`read` answers a statement's rows). */
export function createOutboxReads(p: OutboxPlans, read: <A extends readonly unknown[], R>(plan: Plan<A, R>, ...args: A) => Promise<R[]>) {
  return {
    endpoint: async (id: string) => {
      const row = (await read(p.endpointById, id))[0];
      return row ? fromEndpointRow(row) : null;
    },
    endpoints: async () => (await read(p.allEndpoints)).map(fromEndpointRow),
    dueDeliveries: (nowMs: number, limit: number) => read(p.due, nowMs, limit),
    deliveries: (q: DeliveryQuery) => read(p.list, q),
    delivery: async (id: string) => (await read(p.byId, id))[0] ?? null,
    pendingDeliveries: async () => (await read(p.pendingStats)).map((r) => ({ endpointId: r.endpoint_id, count: Number(r.n), oldestMs: Number(r.oldest) })),
  };
}

/** What the store offers notifications (SPEC §15). */
export type OutboxStore = ReturnType<typeof createOutboxWrites> & ReturnType<typeof createOutboxReads>;
