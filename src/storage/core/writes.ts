// The store's writes, each algorithm once over a backend's statements (plans.ts) and transaction runner.
// Guarantees (with the runner's: a write resolves only after its transaction committed):
// - a registration is atomic against every other writer, in any process or master: a new node's number
//   comes from the ID counter, whose row lock orders every creation, and the name is looked for again
//   under it, so one name is one node however many masters register it at once (SPEC §2);
// - an update writes only the columns its mutation changed, with its events, in one transaction;
// - every transaction that changes what the list, statistics or discovery show moves the change version,
//   and one that changes what nodes.json and file_sd show (an online node's) the publish version;
// - a sweep, garbage collection or flapping pass commits in chunks of `chunkRows`, with the event loop
//   (and, with SQLite, the write lock) free between them; each chunk changes the rows it picked, so they
//   are not picked again: the node count bounds the loop.
import { isFlapTransition, recordFlapTransition, type FlapSettings } from '../../domain/flapping.js';
import { deregisteredEvent, flappingEvent, registeredEvent, reregisteredEvents, statusEvent, updateEvents, type EventDraft, type NodeState, type StoredEvent } from '../../domain/events.js';
import type { NodeRecord, RegistrationInput, StatusTransition } from '../../domain/node.js';
import { isPublished, publishedViewChanged } from '../../domain/published.js';
import type { NodeStatus } from '../../domain/status.js';
import { changedColumns, changesPublished, fromRow, toParams, withStatusSince, type NodeRow } from '../rows.js';
import type { NodeMutation, NodeStore, RegisterOptions, RegisterOutcome } from '../store.js';
import type { ChunkRow, GoneRow, WritePlans } from './plans.js';
import { all, appendEvents, bumpChangeVersion, lockNode, one, run, writeNode, type Tx } from './tx.js';
import { createMaintenanceWrites, type MaintenanceDialect, type MaintenanceWrites } from './maintenance.js';
import { createOutboxWrites, type OutboxPlans } from './notifications.js';
import { createRetentionWrites } from './retention.js';

/** How a write touches nodes: `key`, an update of that node only; `direct`, nodes by its own statements. */
export interface WriteKind {
  key?: string;
  direct?: boolean;
}

/** What a backend supplies to the writes. */
export interface WriteDialect {
  plans: WritePlans;
  /** Runs `tx` in a transaction of the backend's group commit; resolves once it committed. */
  write: <T>(tx: () => Tx<T>, kind?: WriteKind) => Promise<T>;
  /**
   * Runs `tx`, of reads only (`one`, `all`), outside any write transaction: a check that finds nothing to
   * do takes no write lock (the sweeping side's passes run every quarter or half second).
   */
  read: <T>(tx: () => Tx<T>) => Promise<T>;
  /** Rows per chunk of a sweep, garbage collection or flapping pass (a bound on one transaction). */
  chunkRows: number;
  /** Runs a series of chunk transactions (SQLite tells its checkpoint thread); default: as is. */
  series?<T>(run: () => Promise<T>): Promise<T>;
  /** Between two chunks of a series (SQLite: the event loop, and the checkpoint thread's turn). */
  betweenChunks?(): Promise<void>;
  /** Maintenance's statements and each window's coverage (SPEC §13). */
  maintenance: MaintenanceDialect;
  /** Notifications' statements (SPEC §15). */
  outbox: OutboxPlans;
}

/** A re-registration: type, version and meta_data of the existing node (SPEC §2). */
function* reregisterTx(existing: NodeRow, input: RegistrationInput, nowMs: number): Tx<RegisterOutcome> {
  const before = fromRow(existing);
  const node: NodeRecord = { ...before, type: input.type, version: input.version, metaData: input.metaData, lastUpdatedMs: nowMs };
  const changed = changedColumns(existing, before, node);
  if (Object.keys(changed).length > 0) yield* writeNode({ row: existing, record: before }, changed, node);
  const events = yield* appendEvents(reregisteredEvents(before, node), nowMs);
  if (events.length > 0) yield* bumpChangeVersion(publishedViewChanged(before, node));
  return { kind: 'updated', before, node, events };
}

/** The record of a new node. */
function newNode(id: string, input: RegistrationInput, nowMs: number, tokenHash: string | null): NodeRecord {
  return {
    id, name: input.name, type: input.type, version: input.version, status: 'initialized', config: {}, label: [], metaData: input.metaData, health: {},
    registerTimeMs: nowMs, lastReportMs: null, agentLastReportMs: null, lastUpdatedMs: nowMs, statusSinceMs: nowMs, flapping: false, flapTimesMs: [], tokenHash,
    healthState: 'unknown', conditions: [], maintenance: null, maintenanceStatus: null,
  };
}

/** A registration (SPEC §2, Register). */
function* registerTx(p: WritePlans, input: RegistrationInput, nowMs: number, idPrefix: string, options: RegisterOptions): Tx<RegisterOutcome> {
  let existing: NodeRow | undefined;
  if (input.id !== null) {
    existing = yield* one(p.nodeForUpdate, input.id);
    if (!existing) return { kind: 'unknown-id' };
    // The right is checked before the name: a caller who may not touch this node learns nothing of it.
    options.guard?.(fromRow(existing));
    if (existing.name !== input.name) return { kind: 'name-mismatch', storedName: existing.name };
  } else {
    existing = yield* one(p.nodeByNameForUpdate, input.name);
    options.guard?.(existing ? fromRow(existing) : null);
  }
  if (existing) return yield* reregisterTx(existing, input, nowMs);
  const seq = Number((yield* one(p.nextSeq))!.value);
  // The counter's lock orders every creation: a node of this name made by another master while we
  // waited for it has committed, and this read sees it. Then it is a re-registration; the number goes back.
  if (input.id === null && (yield* one(p.nodeByNameForUpdate, input.name))) {
    yield* run(p.giveBackSeq);
    return yield* registerTx(p, input, nowMs, idPrefix, options);
  }
  const id = `${idPrefix}${seq}`;
  const node = newNode(id, input, nowMs, options.tokenHashFor?.(id) ?? null);
  yield* run(p.insertNode, { ...toParams(node), seq });
  yield* bumpChangeVersion(isPublished(node.status));
  return { kind: 'created', node, events: yield* appendEvents([registeredEvent(node)], nowMs) };
}

/** A read-modify-write of one node: only the changed columns are written. */
function* updateTx(p: WritePlans, id: string, mutate: NodeMutation): Tx<{ before: NodeRecord; after: NodeRecord; events: StoredEvent[] } | null> {
  const node = yield* lockNode(id);
  if (!node) return null;
  const before = node.record;
  const after = withStatusSince(before, mutate(before));
  const changed = changedColumns(node.row, before, after);
  if (Object.keys(changed).length > 0) {
    yield* writeNode(node, changed, after);
    if ('label' in changed) {
      yield* run(p.clearLabels, [node.row.seq]);
      yield* run(p.addLabels, node.row.seq, after.label);
    }
    if (changesPublished(changed, before, after)) yield* bumpChangeVersion(publishedViewChanged(before, after));
  }
  return { before, after, events: yield* appendEvents(updateEvents(before, after), after.lastUpdatedMs) };
}

/** Removes nodes with their labels and a `node.deregistered` event each; `published`: one of them was online. */
function* removeNodesTx(p: WritePlans, nodes: readonly GoneRow[], cause: 'admin' | 'gc', nowMs: number, published: boolean): Tx<StoredEvent[]> {
  const seqs = nodes.map((n) => n.seq);
  yield* run(p.deleteNodes, seqs);
  yield* run(p.clearLabels, seqs);
  yield* bumpChangeVersion(published);
  return yield* appendEvents(nodes.map((n) => deregisteredEvent(n.id, cause, { status: n.status, healthState: n.health_state, maintenance: n.maintenance })), nowMs);
}

/** A swept node's state after its transition to `to`. */
const stateAfter = (r: ChunkRow, to: NodeStatus): NodeState => ({ status: to, healthState: r.health_state, maintenance: r.maintenance });

/** One chunk of a sweep: at most `limit` transitions to `to`, with their events and flapping. */
function* sweepChunkTx(p: WritePlans, to: 'offline' | 'online', cutoffMs: number, nowMs: number, limit: number, flap: FlapSettings | undefined): Tx<StatusTransition[]> {
  const rows: ChunkRow[] = yield* all(to === 'offline' ? p.offlineCandidates : p.onlineCandidates, cutoffMs, limit);
  if (rows.length === 0) return [];
  rows.sort((x, y) => x.seq - y.seq);
  yield* run(p.setStatus, rows, to, nowMs);
  const drafts: EventDraft[] = [];
  for (const r of rows) {
    if (!flap || !isFlapTransition(r.from, to)) {
      drafts.push(statusEvent(r.id, r.from, stateAfter(r, to), 'sweep', r.flapping === 1));
      continue;
    }
    const next = recordFlapTransition(JSON.parse(r.flap_times) as number[], nowMs, flap);
    yield* run(p.setFlap, r, next.flapping, next.timesMs);
    drafts.push(statusEvent(r.id, r.from, stateAfter(r, to), 'sweep', next.flapping));
    if (next.flapping !== (r.flapping === 1)) drafts.push(flappingEvent(r.id, next.flapping));
  }
  yield* appendEvents(drafts, nowMs);
  yield* bumpChangeVersion(rows.some((r) => isPublished(r.from) || isPublished(to)));
  return rows.map((r): StatusTransition => ({ id: r.id, from: r.from, to }));
}

/** One chunk of garbage collection: the nodes gone quiet before the cut-off, removed (cause gc). */
function* garbageChunkTx(p: WritePlans, cutoffMs: number, nowMs: number, limit: number): Tx<string[]> {
  const rows = (yield* all(p.garbageCandidates, cutoffMs, limit)).sort((x, y) => x.seq - y.seq);
  // Only offline and never-reporting nodes are collected: none of them is published.
  if (rows.length > 0) yield* removeNodesTx(p, rows, 'gc', nowMs, false);
  return rows.map((r) => r.id);
}

/** One chunk of the flapping pass: nodes whose oldest kept transition left the window stop flapping. */
function* calmChunkTx(p: WritePlans, nowMs: number, flap: FlapSettings, limit: number): Tx<string[]> {
  const rows = (yield* all(p.calmCandidates, nowMs - flap.windowMs, limit)).sort((x, y) => x.seq - y.seq);
  if (rows.length === 0) return [];
  yield* run(p.clearFlap, rows);
  yield* appendEvents(rows.map((r) => flappingEvent(r.id, false)), nowMs);
  return rows.map((r) => r.id);
}

/** The store's writes over `dialect`. */
export function createWrites(dialect: WriteDialect): Pick<NodeStore, 'register' | 'update' | 'sweep' | 'putState' | 'deleteState' | 'pruneExpiredState' | 'pruneEvents' | 'foldHistory' | 'deregister' | 'collectGarbage' | 'settleFlapping'> & MaintenanceWrites & ReturnType<typeof createOutboxWrites> {
  const { plans: p, write, chunkRows } = dialect;
  const DIRECT: WriteKind = { direct: true };
  const { inChunks, allInChunks } = chunked(dialect);
  return {
    register: (input, nowMs, idPrefix, options = {}) => write(() => registerTx(p, input, nowMs, idPrefix, options), DIRECT),
    update: (id, mutate) => write(() => updateTx(p, id, mutate), { key: id }),
    deregister: (id, cause, nowMs) =>
      write(function* () {
        const row = yield* one(p.nodeForUpdate, id);
        return row ? { node: fromRow(row), events: yield* removeNodesTx(p, [row], cause, nowMs, isPublished(row.status)) } : null;
      }, DIRECT),
    collectGarbage: (cutoffMs, nowMs, onChunk) => allInChunks(() => garbageChunkTx(p, cutoffMs, nowMs, chunkRows), onChunk),
    // Work per chunk only, so that a sweep of 100,000 transitions never blocks the event loop for long.
    sweep: async (cutoffs, nowMs, onChunk, flap) =>
      (await inChunks(() => sweepChunkTx(p, 'offline', cutoffs.offlineBeforeMs, nowMs, chunkRows, flap), onChunk))
      + (await inChunks(() => sweepChunkTx(p, 'online', cutoffs.onlineSinceMs, nowMs, chunkRows, flap), onChunk)),
    settleFlapping: (nowMs, flap) => allInChunks(() => calmChunkTx(p, nowMs, flap, chunkRows)),
    ...createRetentionWrites(dialect),
    // Operational state touches no node: it may share a batch of updates.
    putState: (key, value, events = [], nowMs = 0) =>
      write(function* () {
        yield* run(p.putState, key, value);
        yield* appendEvents(events, nowMs);
      }),
    deleteState: (key) => write(function* () {
      yield* run(p.deleteState, key);
    }),
    pruneExpiredState: (prefix, nowMs) => write(() => run(p.pruneState, prefix, nowMs)),
    ...createMaintenanceWrites(dialect),
    ...createOutboxWrites(dialect.outbox, write, dialect.read),
  };
}

/** Runs a chunk transaction after another until one holds fewer than `chunkRows` (a series, for SQLite's checkpoints). */
export function chunked(dialect: WriteDialect) {
  const DIRECT: WriteKind = { direct: true };
  /** Runs chunk after chunk until one holds fewer than `chunkRows`, each to `onChunk`; returns how many. */
  const inChunks = <T>(step: () => Tx<T[]>, onChunk?: (items: T[]) => void, keep?: T[]): Promise<number> => {
    const loop = async () => {
      let count = 0;
      for (let round = 0; round < 10_000_000; round++) {
        const items = await dialect.write(step, DIRECT);
        if (items.length > 0) onChunk?.(items);
        count += items.length;
        if (keep) for (const item of items) keep.push(item);
        if (items.length < dialect.chunkRows) break;
        await dialect.betweenChunks?.();
      }
      return count;
    };
    return dialect.series ? dialect.series(loop) : loop();
  };
  const allInChunks = async <T>(step: () => Tx<T[]>, onChunk?: (items: T[]) => void): Promise<T[]> => {
    const kept: T[] = [];
    await inChunks(step, onChunk, kept);
    return kept;
  };
  return { inChunks, allInChunks };
}
