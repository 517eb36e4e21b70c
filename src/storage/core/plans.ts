// The statements of the store's writes, by name: each backend supplies every one in its own SQL
// (sqlite/plans.ts, postgres/plans.ts), and the typechecker holds both to these arguments and rows. The
// algorithms that use them are core/writes.ts's, once.
import type { HealthState } from '../../domain/selector.js';
import type { NodeStatus } from '../../domain/status.js';
import type { NodeRow } from '../rows.js';
import type { Plan } from './tx.js';

/** A node a sweep chunk changes. */
export interface ChunkRow {
  /** SQLite's rowid (its updates go by it); absent on PostgreSQL. */
  rowid?: number;
  id: string;
  from: NodeStatus;
  seq: number;
  flapping: number;
  flap_times: string;
  /** The maintenance window the node is in (its status events name it). */
  maintenance: string | null;
  health_state: HealthState;
}

/** A node by ID and seq (garbage collection, flapping). */
export interface NodeRef {
  rowid?: number;
  id: string;
  seq: number;
}

/** A node about to be removed, with the state its `node.deregistered` event records. */
export interface GoneRow extends NodeRef {
  status: NodeStatus;
  health_state: HealthState;
  maintenance: string | null;
}

/** An event retention deleted: its time, and whether it changed a node's state (SPEC §17). */
export interface DeletedEvent {
  time: number;
  state_after: number | null;
}

/** One event as a retention pass scans it. */
export interface ScannedEvent {
  id: number;
  node_id: string | null;
}

/** The statements of the writes. "For update": locked until commit where the backend locks rows. */
export interface WritePlans {
  nodeForUpdate: Plan<[id: string], NodeRow>;
  nodeByNameForUpdate: Plan<[name: string], NodeRow>;
  /** Raises the node ID counter (locking it until commit: every creation is ordered by it); the new value. */
  nextSeq: Plan<[], { value: string | number }>;
  /** Lowers the counter by one (a number taken and not used, while its lock is held). */
  giveBackSeq: Plan<[], never>;
  /** Inserts a node: every column of `toParams` and its seq. */
  insertNode: Plan<[params: Record<string, unknown>], never>;
  clearLabels: Plan<[seqs: readonly number[]], never>;
  addLabels: Plan<[seq: number, labels: readonly string[]], never>;
  deleteNodes: Plan<[seqs: readonly number[]], never>;
  /** Nodes initialized or online whose last report is before the cut-off, at most `limit`. */
  offlineCandidates: Plan<[cutoffMs: number, limit: number], ChunkRow>;
  /** Nodes initialized or offline whose last report is at or after the cut-off, at most `limit`. */
  onlineCandidates: Plan<[cutoffMs: number, limit: number], ChunkRow>;
  /** Sets the status of chunk rows (last_updated and status_since with it). */
  setStatus: Plan<[rows: readonly ChunkRow[], status: NodeStatus, nowMs: number], never>;
  setFlap: Plan<[row: NodeRef, flapping: boolean, timesMs: readonly number[]], never>;
  /** Flapping nodes whose oldest kept transition is before the cut-off, at most `limit`. */
  calmCandidates: Plan<[cutoffMs: number, limit: number], NodeRef>;
  clearFlap: Plan<[rows: readonly NodeRef[]], never>;
  /** Nodes offline, or initialized without a report, since before the cut-off, not in maintenance (SPEC §13), at most `limit`. */
  garbageCandidates: Plan<[cutoffMs: number, limit: number], GoneRow>;
  /** Deletes at most `limit` of the oldest events written before `beforeMs`. */
  pruneOld: Plan<[beforeMs: number, limit: number], DeletedEvent>;
  /** The events after id `since`, oldest first, at most `limit`. */
  scanEvents: Plan<[since: number, limit: number], ScannedEvent>;
  /** Deletes a node's events but its newest `keep`. */
  pruneNode: Plan<[nodeId: string, keep: number], DeletedEvent>;
  /** Retention's per-node cursor (kv retention_cursor): the last event its per-node pass looked at. */
  retentionCursor: Plan<[], { value: string | number }>;
  moveRetentionCursor: Plan<[id: number], never>;
  /** The fleet history's cursor (kv history_cursor): the last event folded into history_buckets. */
  historyCursor: Plan<[], { value: string | number }>;
  /** The id of the last of the next `limit` events after `cursor` (null: none). */
  historyChunkEnd: Plan<[cursor: number, limit: number], { upto: number | string | null }>;
  /** Adds the count changes of the events in (cursor, upto] to their 5-minute buckets. */
  foldHistory: Plan<[cursor: number, upto: number], never>;
  /** Moves the cursor to `upto`. */
  moveHistoryCursor: Plan<[upto: number], never>;
  /** Deletes the buckets before `beforeMs`. */
  pruneBuckets: Plan<[beforeMs: number], never>;
  /** Raises kv history_from to this time (retention deleted a state event from before it). */
  raiseHistoryFrom: Plan<[timeMs: number], never>;
  /** Raises a node's history_from to this time (its per-node limit deleted a state event from then). */
  raiseNodeHistoryFrom: Plan<[nodeId: string, timeMs: number], never>;
  putState: Plan<[key: string, value: string], never>;
  deleteState: Plan<[key: string], never>;
  /** Deletes the state under `prefix` whose JSON `expiresMs` is before `nowMs`. */
  pruneState: Plan<[prefix: string, nowMs: number], never>;
}
