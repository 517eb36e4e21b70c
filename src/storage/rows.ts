// Row mapping of the `nodes` and `events` tables, shared by both backends (the same columns in SQLite and
// PostgreSQL): columns ↔ NodeRecord (times as epoch ms, JSON columns as text),
// and the columns an update actually changed.
import type { EventType, StoredEvent } from '../domain/events.js';
import { healthSelectablyChanged, type Condition } from '../domain/health.js';
import type { NodeRecord } from '../domain/node.js';
import type { HealthState } from '../domain/selector.js';
import { toNodesFileEntry, type OnlineNode } from '../domain/nodes-file-entry.js';
import type { NodeStatus } from '../domain/status.js';

/** One row of `nodes` as better-sqlite3 returns it. */
export interface NodeRow {
  id: string;
  seq: number;
  name: string;
  type: string;
  version: string;
  status: NodeStatus;
  config: string;
  label: string;
  meta_data: string;
  health: string;
  register_time: number;
  last_report: number | null;
  agent_last_report: number | null;
  last_updated: number;
  token_hash: string | null;
  status_since: number;
  flapping: number;
  flap_times: string;
  /** The node's nodes.json entry (fileEntryOf), kept by every write; null only in a row written around the store (the migrations fill it in). */
  file_entry: string | null;
  health_state: HealthState;
  /** JSON: [{"component", "status", "since" (epoch ms), "message"}]. */
  conditions: string;
  maintenance: string | null;
  maintenance_status: NodeStatus | null;
  /** Since when its state history is whole, when EVENTS_MAX_PER_NODE cut it (migration 014). */
  history_from?: number | null;
  /** Its capacity from meta_data (numbers only, else 0), kept by every write (migration 014): sums without JSON. */
  cpu_number: number;
  gpu_number: number;
  memory_in_bytes: number;
}

/** The capacity columns and the meta_data keys they come from (SPEC §17). */
export const CAPACITY_KEYS = ['cpu_number', 'gpu_number', 'memory_in_bytes'] as const;
/** A meta_data value as capacity: a finite number, else 0. */
const capacityOf = (meta: Record<string, unknown>, k: (typeof CAPACITY_KEYS)[number]) => {
  const v = meta[k];
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
};

/** Conditions as stored (`since` in epoch ms). */
type StoredCondition = { component: string; status: string; since: number; message: string | null };
const conditionsText = (cs: readonly Condition[]): string =>
  JSON.stringify(cs.map((c): StoredCondition => ({ component: c.component, status: c.status, since: c.sinceMs, message: c.message })));
const conditionsOf = (text: string): Condition[] =>
  (JSON.parse(text) as StoredCondition[]).map((c) => ({ component: c.component, status: c.status, sinceMs: c.since, message: c.message ?? null }));

/**
 * A node's nodes.json entry as compact JSON, stored beside the node (`file_entry`) whenever its ID,
 * meta_data or labels are written, so that building nodes.json concatenates stored text instead of
 * parsing every online node's meta_data again (docs/PERFORMANCE.md, "Figures behind the code").
 */
export const fileEntryOf = (n: OnlineNode): string => JSON.stringify(toNodesFileEntry(n));

/**
 * `fileEntryOf` from the stored columns (the migrations that fill the entries in); null for JSON that
 * does not parse, whose node nodes.json then renders in SQL.
 */
export function fileEntryOfColumns(id: unknown, metaData: unknown, label: unknown): string | null {
  try {
    return fileEntryOf({ id: String(id), metaData: JSON.parse(String(metaData)) as Record<string, unknown>, label: JSON.parse(String(label)) as string[] });
  } catch {
    return null;
  }
}

/** The record of a row. */
export function fromRow(r: NodeRow): NodeRecord {
  return {
    id: r.id,
    name: r.name,
    type: r.type,
    version: r.version,
    status: r.status,
    config: JSON.parse(r.config) as NodeRecord['config'],
    label: JSON.parse(r.label) as string[],
    metaData: JSON.parse(r.meta_data) as NodeRecord['metaData'],
    health: JSON.parse(r.health) as NodeRecord['health'],
    registerTimeMs: r.register_time,
    lastReportMs: r.last_report,
    agentLastReportMs: r.agent_last_report,
    lastUpdatedMs: r.last_updated,
    statusSinceMs: r.status_since,
    flapping: r.flapping === 1,
    flapTimesMs: JSON.parse(r.flap_times) as number[],
    tokenHash: r.token_hash,
    healthState: r.health_state,
    conditions: conditionsOf(r.conditions),
    maintenance: r.maintenance,
    maintenanceStatus: r.maintenance_status,
  };
}

/**
 * The columns (and their new values) where `after` differs from the stored `row`. JSON fields are
 * serialised only when the mutation replaced the object. `id`, `seq`, `name`, `register_time` are
 * identity and never written by an update.
 */
export function changedColumns(row: NodeRow, before: NodeRecord, after: NodeRecord): Record<string, string | number | null> {
  const out: Record<string, string | number | null> = {};
  const scalar = (column: keyof NodeRow, value: string | number | null) => {
    if (value !== row[column]) out[column] = value;
  };
  const json = (column: keyof NodeRow, b: unknown, a: unknown) => {
    if (a === b) return;
    const text = JSON.stringify(a);
    if (text !== row[column]) out[column] = text;
  };
  scalar('type', after.type);
  scalar('version', after.version);
  scalar('status', after.status);
  json('config', before.config, after.config);
  json('label', before.label, after.label);
  json('meta_data', before.metaData, after.metaData);
  json('health', before.health, after.health);
  scalar('last_report', after.lastReportMs);
  scalar('agent_last_report', after.agentLastReportMs);
  scalar('last_updated', after.lastUpdatedMs);
  scalar('token_hash', after.tokenHash);
  scalar('status_since', after.statusSinceMs);
  scalar('flapping', after.flapping ? 1 : 0);
  json('flap_times', before.flapTimesMs, after.flapTimesMs);
  scalar('health_state', after.healthState);
  if (after.conditions !== before.conditions) {
    const text = conditionsText(after.conditions);
    if (text !== row.conditions) out.conditions = text;
  }
  scalar('maintenance', after.maintenance);
  scalar('maintenance_status', after.maintenanceStatus);
  if ('label' in out || 'meta_data' in out || row.file_entry === null) {
    const entry = fileEntryOf(after);
    if (entry !== row.file_entry) out.file_entry = entry;
  }
  if ('meta_data' in out) {
    for (const k of CAPACITY_KEYS) if (capacityOf(after.metaData, k) !== Number(row[k])) out[k] = capacityOf(after.metaData, k);
  }
  return out;
}

/** Every column of `nodes`, in the schema's order (both backends' inserts, copy-db). */
export const NODE_COLUMNS = [
  'id', 'seq', 'name', 'type', 'version', 'status', 'config', 'label', 'meta_data', 'health', 'register_time', 'last_report', 'agent_last_report', 'last_updated',
  'token_hash', 'status_since', 'flapping', 'flap_times', 'file_entry', 'health_state', 'conditions', 'maintenance', 'maintenance_status', 'history_from',
  'cpu_number', 'gpu_number', 'memory_in_bytes',
] as const;

/** Each column's PostgreSQL type (the arrays of the PostgreSQL store's batched writes and of copy-db). */
export const NODE_COLUMN_PG_TYPES: Record<(typeof NODE_COLUMNS)[number], string> = {
  id: 'text', seq: 'bigint', name: 'text', type: 'text', version: 'text', status: 'text', config: 'text', label: 'text', meta_data: 'text', health: 'text',
  register_time: 'bigint', last_report: 'bigint', agent_last_report: 'bigint', last_updated: 'bigint', token_hash: 'text', status_since: 'bigint',
  flapping: 'integer', flap_times: 'text', file_entry: 'text', health_state: 'text', conditions: 'text', maintenance: 'text', maintenance_status: 'text', history_from: 'bigint',
  cpu_number: 'float8', gpu_number: 'float8', memory_in_bytes: 'float8',
};

/** The record to store after `mutate`: a status change moves status_since with it, whoever made the mutation. */
export function withStatusSince(before: NodeRecord, mutated: NodeRecord): NodeRecord {
  return mutated.status !== before.status && mutated.statusSinceMs === before.statusSinceMs ? { ...mutated, statusSinceMs: mutated.lastUpdatedMs } : mutated;
}

/**
 * Whether an update alters what the list, statistics, selectors or discovery show (the change version
 * moves): its changed columns, or its health as selectors see it (a condition's message alone does not).
 */
export const changesPublished = (changed: Record<string, unknown>, before: NodeRecord, after: NodeRecord) =>
  'status' in changed || 'type' in changed || 'version' in changed || 'label' in changed || 'meta_data' in changed || 'health_state' in changed ||
  'maintenance' in changed || ('health' in changed && healthSelectablyChanged(before.health, after.health));

/** Every column's value of a record. */
export function toParams(n: NodeRecord) {
  return {
    id: n.id,
    name: n.name,
    type: n.type,
    version: n.version,
    status: n.status,
    config: JSON.stringify(n.config),
    label: JSON.stringify(n.label),
    meta_data: JSON.stringify(n.metaData),
    health: JSON.stringify(n.health),
    register_time: n.registerTimeMs,
    last_report: n.lastReportMs,
    agent_last_report: n.agentLastReportMs,
    last_updated: n.lastUpdatedMs,
    token_hash: n.tokenHash,
    status_since: n.statusSinceMs,
    flapping: n.flapping ? 1 : 0,
    flap_times: JSON.stringify(n.flapTimesMs),
    file_entry: fileEntryOf(n),
    health_state: n.healthState,
    conditions: conditionsText(n.conditions),
    maintenance: n.maintenance,
    maintenance_status: n.maintenanceStatus,
    cpu_number: capacityOf(n.metaData, 'cpu_number'),
    gpu_number: capacityOf(n.metaData, 'gpu_number'),
    memory_in_bytes: capacityOf(n.metaData, 'memory_in_bytes'),
  };
}

/** One row of `events`. */
export interface EventRow {
  id: number;
  time: number;
  type: string;
  node_id: string | null;
  body: string;
  /** The node's state codes around the event, when it changed them (domain/events.ts, stateCode). */
  state_before?: number | null;
  state_after?: number | null;
}

/** The stored event of a row. */
export function fromEventRow(r: EventRow): StoredEvent {
  return { id: r.id, timeMs: r.time, type: r.type as EventType, nodeId: r.node_id, json: r.body };
}
