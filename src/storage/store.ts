// The storage interface a backend implements (SQLite in sqlite/, PostgreSQL in postgres/), and
// that the shared contract suite (test/storage/contract.ts) holds it to, so that a second backend is
// held to the same. Async so a networked backend fits.
import type { NodeRecord, RegistrationInput, StatusCount, StatusTransition } from '../domain/node.js';
import type { EventDraft, EventType, StoredEvent } from '../domain/events.js';
import type { FlapSettings } from '../domain/flapping.js';
import type { MaintenanceWindow } from '../domain/maintenance.js';
import type { MaintenanceApplied } from './core/maintenance.js';
import type { OutboxStore } from './core/notifications.js';
import type { AvailabilityStore } from './core/availability.js';
import type { GroupBy, GroupRow } from '../domain/grouping.js';
import type { Selector } from '../domain/selector.js';
import type { SweepCutoffs } from '../domain/status.js';

/** What a registration did, decided atomically by the store (SPEC §2, Register). */
export type RegisterOutcome =
  | { kind: 'created'; node: NodeRecord; events: StoredEvent[] }
  | { kind: 'updated'; before: NodeRecord; node: NodeRecord; events: StoredEvent[] }
  | { kind: 'unknown-id' }
  | { kind: 'name-mismatch'; storedName: string };

/** Options of a registration. */
export interface RegisterOptions {
  /**
   * Runs inside the registration's transaction with the node it would update (null: it would create
   * one), after the unknown-id check and before the name-mismatch check (so that a caller without the
   * right learns nothing of the node); throwing aborts the registration unchanged.
   */
  guard?: (existing: NodeRecord | null) => void;
  /** For a new node: the token hash to store, given its allocated ID. */
  tokenHashFor?: (id: string) => string;
}

/** A read-modify-write step run atomically on one node; returns the node as it must be stored. */
export type NodeMutation = (current: NodeRecord) => NodeRecord;

/** Which nodes a discovery document lists, and the ports of their targets. */
export interface TargetGroupsQuery {
  /** The nodes listed (SPEC §7, §12): by default the online ones. */
  selector: Selector;
  ports: readonly number[];
}

/** Which events to read: those after id `after`, oldest first, at most `limit`, filtered (empty: all). */
export interface EventQuery {
  after: number;
  limit: number;
  types: readonly EventType[];
  nodeIds: readonly string[];
}

/** Which nodes a filtered list or statistics cover (SPEC §9.5); empty lists and null: no condition. */
export interface NodeFilter {
  /** Requirements every node must meet (SPEC §12; the older status, label and flapping parameters become requirements too). */
  selector: Selector;
  /** Case-insensitive substring of id, name, meta_data.hostname or meta_data.ip ('' or null: none). */
  q: string | null;
}

/** A new maintenance window (SPEC §13), validated by its use case. */
export type WindowInput = Pick<MaintenanceWindow, 'selectorText' | 'selector' | 'nodes' | 'reason' | 'actor' | 'startsAtMs' | 'endsAtMs'>;

/** The fleet's health at a glance (SPEC §13, §14; the metrics'). */
export interface FleetHealth {
  degraded: number;
  inMaintenance: number;
  components: Array<{ component: string; count: number }>;
}

/** A change of a window: its reason, its end, or an end now (a scheduled window is cancelled). */
export interface WindowChange {
  reason?: string;
  endsAtMs?: number;
  end?: boolean;
}

/** One keyset page of a filtered list. */
export interface NodePage {
  /** The JSON array of the page's summaries (as GET /nodes), UTF-8. */
  doc: Buffer;
  /** Nodes matching the filter, all pages. */
  total: number;
  /** The last ID of this page when more match after it; null on the last page. */
  next: string | null;
}

/** Where a page of `browse` starts: after an ID (or from the first node), or ending before one. */
export type PageCursor = { after: string | null } | { before: string };

/** One page of full records (the dashboard's table), with the cursors either side. */
export interface RecordPage {
  nodes: NodeRecord[];
  /** Nodes matching the filter, all pages. */
  total: number;
  /** The last ID of the page when more match after it, else null. */
  next: string | null;
  /** The first ID of the page when more match before it, else null. */
  prev: string | null;
}

/** Retention of events (SPEC §8.1). */
export interface EventRetention {
  /** Events older than this are deleted. */
  olderThanMs: number;
  /** At most this many events are kept per node (the newest). */
  maxPerNode: number;
}

/** A discovery document (see `targetGroupsDocument`). */
export interface TargetGroupsDocument {
  parts: Buffer[];
  groups: number;
  /** The `changeVersion` of the snapshot it was built from. */
  version: string;
  /** Selected nodes left out because their ip/hostname is not a scrape host (`isScrapeHost`). */
  invalidHosts: { count: number; nodeIds: string[] };
}

/** The node registry's persistent state. Every method that resolves has durably committed. */
export interface NodeStore extends OutboxStore, AvailabilityStore {
  /**
   * Registers a node: no id → find by name or allocate `${idPrefix}${n}` (n never reused, increasing);
   * id → update that node if its name matches. Only type, version, meta_data (and last_updated) change
   * on an update. Atomic with respect to every other writer, in any process.
   */
  register(input: RegistrationInput, nowMs: number, idPrefix: string, options?: RegisterOptions): Promise<RegisterOutcome>;
  /** Atomically applies `mutate` to the node `id`; null when it does not exist. */
  update(id: string, mutate: NodeMutation): Promise<{ before: NodeRecord; after: NodeRecord; events: StoredEvent[] } | null>;
  /** One node, or null. */
  get(id: string): Promise<NodeRecord | null>;
  /**
   * Removes node `id` (SPEC §9.1) with a `node.deregistered` event; returns the node as it was, or null
   * when it does not exist. Its ID is never given again; its token dies with it.
   */
  deregister(id: string, cause: 'admin' | 'gc', nowMs: number): Promise<{ node: NodeRecord; events: StoredEvent[] } | null>;
  /**
   * Garbage collection (SPEC §9.1): removes the nodes `offline`, or `initialized` without ever having
   * reported, since before `cutoffMs`, each with a `node.deregistered` event of cause `gc`, in committed
   * chunks (`onChunk` after each); returns the IDs removed.
   */
  collectGarbage(cutoffMs: number, nowMs: number, onChunk?: (ids: string[]) => void): Promise<string[]>;
  /** The token hash of node `id` alone (null: no such node, or no token), for authentication. */
  tokenHash(id: string): Promise<string | null>;
  /**
   * The JSON document of GET /nodes (every node's summary, ordered by ID number), as UTF-8 bytes. The
   * backend may cache it until the list changes (in any process) and return the same Buffer meanwhile.
   */
  listDocument(): Promise<Buffer>;
  /** Count per status that at least one node has, ordered by status name. */
  statistics(): Promise<StatusCount[]>;
  /** The nodes matching `filter` after ID `after` (null: from the first), by ID number, at most `limit`. */
  listPage(filter: NodeFilter, after: string | null, limit: number): Promise<NodePage>;
  /**
   * A keyset page of the full records matching `filter`, by ID number, forwards (`after`) or backwards
   * (`before`: the `limit` matching nodes right before that ID), with the cursors of its neighbours.
   */
  browse(filter: NodeFilter, cursor: PageCursor, limit: number): Promise<RecordPage>;
  /** `statistics()` of the nodes matching `filter`. */
  statisticsOf(filter: NodeFilter): Promise<StatusCount[]>;
  /** The nodes matching `filter` counted by a field or label key and status, with their online capacity (SPEC §17). */
  statisticsBy(filter: NodeFilter, by: GroupBy): Promise<GroupRow[]>;
  /**
   * Applies one sweep: nodes with a report older than `offlineBeforeMs` become offline, nodes with a
   * report at or after `onlineSinceMs` become online (others keep their status; never-reported nodes
   * are untouched). Sets last_updated of changed nodes to `nowMs`. A backend may commit a large sweep in
   * several transactions (each transition is atomic; a report arriving meanwhile wins) and calls
   * `onChunk` after each commit with its changes, by ID number; it keeps none of them (a sweep of a
   * million nodes would hold a million objects until its end: long garbage-collection pauses). Returns
   * how many changes it made.
   */
  sweep(cutoffs: SweepCutoffs, nowMs: number, onChunk?: (transitions: StatusTransition[]) => void, flap?: FlapSettings): Promise<number>;
  /**
   * Clears the flapping flag (with a `node.flapping` false event) of the nodes whose oldest kept
   * transition left the window (SPEC §9.3); returns their IDs. With `flap`, `sweep` and a report's
   * status change record the transition times and start flapping.
   */
  settleFlapping(nowMs: number, flap: FlapSettings): Promise<string[]>;
  /**
   * The whole nodes.json document of SPEC §4 (the online nodes, by ID number, entries as
   * `toNodesFileEntry` defines them), rendered by the backend: at 100,000 nodes, building it in the
   * database is several times faster and leaner than through JavaScript objects. The contract suite
   * holds it equal to the domain's rendering. Returned as UTF-8 bytes in parts (the document is their
   * concatenation; a backend may build it in steps), with the number of entries.
   */
  nodesFileDocument(): Promise<{ parts: Buffer[]; nodes: number }>;
  /**
   * Prometheus target groups (domain/prometheus-sd.ts `toTargetGroups`) of the nodes the selector
   * selects, by ID number, with a target per port, as a JSON array in
   * UTF-8 parts (the document is their concatenation), rendered by the backend; with the group count.
   */
  targetGroupsDocument(query: TargetGroupsQuery): Promise<TargetGroupsDocument>;
  /**
   * A token that changes whenever anything the list, the statistics or the discovery documents show
   * changes, in any process (caches compare it). Heartbeats that change only report times and health
   * do not change it.
   */
  changeVersion(): Promise<string>;
  /**
   * A token that changes whenever what nodes.json and the file_sd file show changes (an online node
   * added, removed or changed), in any process or master: the leader publishes when it moves.
   */
  publishVersion(): Promise<string>;
  /**
   * What `sweep(cutoffs)` would do to the online set, without doing it: how many online nodes it would
   * take offline, and how many are online now (for the mass-offline brake), leaving out nodes in
   * maintenance: their transitions do not count toward the brake (SPEC §13).
   */
  sweepPreview(cutoffs: SweepCutoffs): Promise<{ goingOffline: number; online: number }>;
  /** Events after `query.after` in id order (SPEC §8.2). */
  events(query: EventQuery): Promise<StoredEvent[]>;
  /** Events of node `nodeId` with an id below `beforeId` (null: the newest), newest first. */
  nodeEvents(nodeId: string, beforeId: number | null, limit: number): Promise<StoredEvent[]>;
  /** The oldest retained event id (null: none retained) and the last id ever given. */
  eventBounds(): Promise<{ oldest: number | null; last: number }>;
  /**
   * Deletes events past retention in bounded steps (the event loop free between them); returns how
   * many were deleted. Run by the sweeping process.
   */
  pruneEvents(retention: EventRetention): Promise<number>;
  /**
   * Folds the events written since the last fold into the fleet's history (5-minute buckets of count
   * changes, SPEC §17), in bounded steps, and drops buckets older than 8 days; returns how many events.
   * Run by the sweeping process before retention, which deletes only folded events. Takes no write
   * lock when there is nothing to fold.
   */
  foldHistory(nowMs: number): Promise<number>;
  /**
   * Stores a small piece of operational state (e.g. the sweeper's heartbeat) shared by all processes,
   * with `events` (fleet-wide ones, e.g. the brake's) written at `nowMs` in the same transaction.
   */
  putState(key: string, value: string, events?: readonly EventDraft[], nowMs?: number): Promise<void>;
  /** Reads a piece of operational state, or null. A real query: it rejects when the database fails. */
  getState(key: string): Promise<string | null>;
  /** Removes a piece of operational state (nothing when there is none). */
  deleteState(key: string): Promise<void>;
  /**
   * Removes the pieces of operational state whose key starts with `prefix` and whose value, a JSON object,
   * has an `expiresMs` before `nowMs` (the dashboard's sessions); returns how many.
   */
  pruneExpiredState(prefix: string, nowMs: number): Promise<number>;
  /** Releases the database; further calls reject. */
  /** Stores a new maintenance window (SPEC §13), scheduled; its ID is `M<n>`. */
  createWindow(input: WindowInput, nowMs: number): Promise<MaintenanceWindow>;
  /** Changes a window's reason or end, or ends it now; null when there is no such window. */
  changeWindow(id: string, change: WindowChange, nowMs: number): Promise<MaintenanceWindow | null>;
  window(id: string): Promise<MaintenanceWindow | null>;
  /** Every window kept, newest first. */
  windows(): Promise<MaintenanceWindow[]>;
  /** How many nodes a window covers now (its listed nodes and its selector's). */
  windowCoverage(w: MaintenanceWindow): Promise<number>;
  /**
   * The sweeping side's pass (every second): ends and starts the windows whose time came, moves nodes
   * in and out; with `reconcile` (the change version moved) re-evaluates every active window's coverage.
   */
  applyMaintenance(nowMs: number, reconcile: boolean): Promise<MaintenanceApplied>;
  /** Degraded nodes, nodes in maintenance, and how many nodes each failing component fails on (most first). */
  fleetHealth(): Promise<FleetHealth>;
  /** Deletes windows that ended before `beforeMs`; how many. */
  pruneWindows(beforeMs: number): Promise<number>;
  close(): Promise<void>;
}
