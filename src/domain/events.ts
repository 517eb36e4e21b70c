// Fleet events (SPEC §8.1): one change of the fleet each, written in the transaction of the change.
// Pure: which events a change makes, and their JSON as the API shows it (rendered once, when written).
import { failingOf, healthEventDue, type DerivedHealth } from './health.js';
import type { NodeRecord } from './node.js';
import type { HealthState } from './selector.js';
import type { NodeStatus } from './status.js';
import { rfc3339 } from './time.js';

/** The event types, written once. */
export const EventType = {
  Registered: 'node.registered',
  Reregistered: 'node.reregistered',
  Status: 'node.status',
  Config: 'node.config',
  Flapping: 'node.flapping',
  Health: 'node.health',
  Maintenance: 'node.maintenance',
  Deregistered: 'node.deregistered',
  BrakeEngaged: 'brake.engaged',
  BrakeReleased: 'brake.released',
  MaintenanceStarted: 'maintenance.started',
  MaintenanceEnded: 'maintenance.ended',
} as const;
/** One event type. */
export type EventType = (typeof EventType)[keyof typeof EventType];
/** Every event type (for validating filters). */
export const ALL_EVENT_TYPES: readonly EventType[] = Object.values(EventType);

/** What caused a status change. */
export type StatusCause = 'report' | 'sweep';

/** An event before the store gives it an id: its type, node (null for fleet-wide ones) and fields. */
export interface EventDraft {
  type: EventType;
  nodeId: string | null;
  fields: Record<string, unknown>;
  /** The node's state code before and after, for the events that change it (see `stateCode`). */
  states?: readonly [before: number, after: number];
}

/** A node's state as it is counted (the fleet's history) and timed (availability), as stored. */
export interface NodeState {
  status: NodeStatus;
  healthState: HealthState;
  /** The maintenance window it is in, if any. */
  maintenance: string | null;
}

const STATUS_CODES: Record<NodeStatus, number> = { initialized: 1, online: 2, offline: 3 };
/** The bits of a state code beside its status (the low two bits; 0: no node). */
export const StateBit = { Degraded: 4, Maintenance: 8 } as const;

/**
 * A node's state in one integer, written beside each event that changes it (its `state_before` and
 * `state_after` columns, SPEC §17): the status (1 initialized, 2 online, 3 offline), plus 4 when
 * degraded, plus 8 when in maintenance; 0 before a node exists and after it is removed.
 */
export function stateCode(s: NodeState): number {
  return STATUS_CODES[s.status] + (s.healthState === 'degraded' ? StateBit.Degraded : 0) + (s.maintenance !== null ? StateBit.Maintenance : 0);
}

/** A stored event as the store hands it out: its id, time, filters' columns, and its JSON. */
export interface StoredEvent {
  id: number;
  timeMs: number;
  type: EventType;
  nodeId: string | null;
  json: string;
}

/** The JSON of an event: `{"id", "time", "type", "node_id"?, ...fields}` (node_id absent when null). */
export function renderEvent(id: number, timeMs: number, draft: EventDraft): string {
  const head: Record<string, unknown> = { id, time: rfc3339(timeMs), type: draft.type };
  if (draft.nodeId !== null) head.node_id = draft.nodeId;
  return JSON.stringify({ ...head, ...draft.fields });
}

/**
 * A status change; a node in maintenance names its window (SPEC §13), a flapping node says so (its
 * transitions notify nobody until it stops, SPEC §15).
 */
export function statusEvent(nodeId: string, from: NodeStatus, after: NodeState, cause: StatusCause, flapping = false): EventDraft {
  const { maintenance } = after;
  const fields: Record<string, unknown> = { from, to: after.status, cause };
  if (maintenance !== null) fields.maintenance = maintenance;
  if (flapping) fields.flapping = true;
  return { type: EventType.Status, nodeId, fields, states: [stateCode({ ...after, status: from }), stateCode(after)] };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The event of a new node. */
export function registeredEvent(node: NodeRecord): EventDraft {
  return { type: EventType.Registered, nodeId: node.id, fields: { name: node.name }, states: [0, stateCode(node)] };
}

/** The event of a re-registration, when it changed type, version or meta_data; else none. */
export function reregisteredEvents(before: NodeRecord, after: NodeRecord): EventDraft[] {
  const changed = (['type', 'version', 'metaData'] as const).filter((k) => !same(before[k], after[k])).map((k) => (k === 'metaData' ? 'meta_data' : k));
  return changed.length === 0 ? [] : [{ type: EventType.Reregistered, nodeId: after.id, fields: { changed } }];
}

/**
 * The events of an update of one node (a status report, a config or label change, a token rotation):
 * its status change (a report's) and its config/label change. Heartbeats that change only the report
 * times and health make none.
 */
export function updateEvents(before: NodeRecord, after: NodeRecord): EventDraft[] {
  const out: EventDraft[] = [];
  if (before.status !== after.status) out.push(statusEvent(after.id, before.status, { ...after, healthState: before.healthState }, 'report', after.flapping));
  if (before.flapping !== after.flapping) out.push(flappingEvent(after.id, after.flapping));
  if (healthEventDue(before, after)) out.push(healthEvent(after.id, before.healthState, after));
  const changed = (['config', 'label'] as const).filter((k) => !same(before[k], after[k]));
  if (changed.length > 0) out.push({ type: EventType.Config, nodeId: after.id, fields: { changed } });
  return out;
}

/** A node removed, by an admin or by garbage collection, in its last state. */
export function deregisteredEvent(nodeId: string, cause: 'admin' | 'gc', last: NodeState): EventDraft {
  return { type: EventType.Deregistered, nodeId, fields: { cause }, states: [stateCode(last), 0] };
}

/** A node's health state or its set of failing components changed (SPEC §14). */
export function healthEvent(nodeId: string, from: HealthState, after: DerivedHealth & NodeState): EventDraft {
  const states = [stateCode({ ...after, healthState: from }), stateCode(after)] as const;
  return { type: EventType.Health, nodeId, fields: { from, to: after.healthState, failing: failingOf(after.conditions) }, states };
}

/** A node entered (`in`) or left a maintenance window, with its status then (SPEC §13). */
export function nodeMaintenanceEvent(nodeId: string, window: string, entering: boolean, node: Omit<NodeState, 'maintenance'>, enteredWith: NodeStatus | null = null): EventDraft {
  const fields: Record<string, unknown> = { window, in: entering, status: node.status };
  if (!entering && enteredWith !== null) fields.entered_status = enteredWith;
  const outside = stateCode({ ...node, maintenance: null });
  const inside = stateCode({ ...node, maintenance: window });
  return { type: EventType.Maintenance, nodeId, fields, states: entering ? [outside, inside] : [inside, outside] };
}

/** A maintenance window started or ended, with the nodes it covered (SPEC §13). */
export function windowEvent(window: string, started: boolean, matched: number): EventDraft {
  return { type: started ? EventType.MaintenanceStarted : EventType.MaintenanceEnded, nodeId: null, fields: { window, matched } };
}

/** A node started or stopped flapping (SPEC §9.3). */
export function flappingEvent(nodeId: string, flapping: boolean): EventDraft {
  return { type: EventType.Flapping, nodeId, fields: { flapping } };
}
