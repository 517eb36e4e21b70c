// Maintenance windows in the store (SPEC §13), each algorithm once over a backend's statements
// (sqlite/maintenance-plans.ts, postgres/maintenance-plans.ts). Guarantees:
// - a window is stored before it is answered, and its times decide its state at once; the sweeping side
//   applies them (`applyMaintenance`, every second): it starts and ends windows, writing
//   `maintenance.started`/`maintenance.ended`, and moves nodes in and out with a `node.maintenance`
//   event each, in chunks of `chunkRows` nodes per transaction;
// - coverage is evaluated continuously: a node that registers, gets a label or otherwise comes to match
//   an active window enters it at the next pass after the change version moved; one that no longer
//   matches leaves it, unless another active window covers it (then it moves over without an event);
// - a node's status when it entered is kept (`maintenance_status`) for the end-of-window rule.
import { nodeMaintenanceEvent, windowEvent, type EventDraft } from '../../domain/events.js';
import { windowState, type MaintenanceWindow, type WindowPhase } from '../../domain/maintenance.js';
import { parseSelector } from '../../domain/selector.js';
import { isPublished } from '../../domain/published.js';
import type { HealthState } from '../../domain/selector.js';
import type { NodeStatus } from '../../domain/status.js';
import type { NodeStore, WindowChange, WindowInput } from '../store.js';
import { all, appendEvents, bumpChangeVersion, one, run, type Plan, type Tx } from './tx.js';
import type { WriteDialect } from './writes.js';
import { chunked } from './writes.js';

/** One row of `maintenance_windows`. */
export interface WindowRow {
  seq: number;
  id: string;
  selector: string;
  nodes: string;
  reason: string;
  actor: string;
  starts_at: number;
  ends_at: number;
  created_at: number;
  phase: WindowPhase;
  ended_at: number | null;
  cancelled: number;
  matched: number;
}

/** The columns of `maintenance_windows`, in the schema's order (both backends' inserts, copy-db). */
export const WINDOW_COLUMNS = ['seq', 'id', 'selector', 'nodes', 'reason', 'actor', 'starts_at', 'ends_at', 'created_at', 'phase', 'ended_at', 'cancelled', 'matched'] as const;

/** A node as maintenance moves it. */
export interface MemberRow {
  seq: number;
  id: string;
  status: NodeStatus;
  health_state: HealthState;
  maintenance_status: NodeStatus | null;
}

/** The statements of maintenance that do not depend on a window's coverage. */
export interface MaintenancePlans {
  nextWindowSeq: Plan<[], { value: string | number }>;
  insertWindow: Plan<[row: WindowRow], never>;
  windowForUpdate: Plan<[id: string], WindowRow>;
  /** Windows scheduled or active, by seq. */
  openWindows: Plan<[], WindowRow>;
  /** Writes a window's reason, end, phase, ended_at, cancelled and matched. */
  updateWindow: Plan<[row: WindowRow], never>;
  /** Nodes in window `id`, at most `limit`. */
  membersOf: Plan<[windowId: string, limit: number], MemberRow>;
  countMembers: Plan<[windowId: string], { n: number }>;
  /** Puts nodes into a window, keeping each one's status as it enters. */
  enter: Plan<[seqs: readonly number[], windowId: string], never>;
  /** Moves nodes over to another window (their status on entry stays). */
  rebind: Plan<[seqs: readonly number[], windowId: string], never>;
  leave: Plan<[seqs: readonly number[]], never>;
  /** Deletes ended windows that ended before `beforeMs` (kept as long as events are). */
  pruneWindows: Plan<[beforeMs: number], never>;
}

/** The statements of one window's coverage (its selector's SQL, and its listed nodes). */
export interface CoveragePlans {
  /** Nodes in no window that it covers, at most `limit`. */
  uncovered: Plan<[limit: number], MemberRow>;
  /** Nodes in window `windowId` that it does not cover, at most `limit`. */
  strays: Plan<[windowId: string, limit: number], MemberRow>;
  /** Which of these nodes it covers. */
  coveredAmong: Plan<[seqs: readonly number[]], { seq: number }>;
  /** How many nodes it covers. */
  count: Plan<[], { n: number }>;
}

/** What a backend supplies to maintenance (besides its writes). */
export interface MaintenanceDialect {
  plans: MaintenancePlans;
  coverage: (w: MaintenanceWindow) => CoveragePlans;
}

/** What one pass of the sweeping side applied. */
export interface MaintenanceApplied {
  started: string[];
  ended: string[];
  entered: number;
  left: number;
}

/** The window of a row. */
export function fromWindowRow(r: WindowRow): MaintenanceWindow {
  return {
    id: r.id, seq: Number(r.seq), selectorText: r.selector, selector: parseSelector(r.selector), nodes: JSON.parse(r.nodes) as string[], reason: r.reason, actor: r.actor,
    startsAtMs: Number(r.starts_at), endsAtMs: Number(r.ends_at), createdAtMs: Number(r.created_at), phase: r.phase,
    endedAtMs: r.ended_at === null ? null : Number(r.ended_at), cancelled: r.cancelled === 1, matched: r.matched,
  };
}

const toWindowRow = (w: MaintenanceWindow): WindowRow => ({
  seq: w.seq, id: w.id, selector: w.selectorText, nodes: JSON.stringify(w.nodes), reason: w.reason, actor: w.actor, starts_at: w.startsAtMs, ends_at: w.endsAtMs,
  created_at: w.createdAtMs, phase: w.phase, ended_at: w.endedAtMs, cancelled: w.cancelled ? 1 : 0, matched: w.matched,
});

function* createTx(p: MaintenancePlans, input: WindowInput, nowMs: number): Tx<MaintenanceWindow> {
  const seq = Number((yield* one(p.nextWindowSeq))!.value);
  const w: MaintenanceWindow = { ...input, id: `M${seq}`, seq, createdAtMs: nowMs, phase: 'scheduled', endedAtMs: null, cancelled: false, matched: 0 };
  yield* run(p.insertWindow, toWindowRow(w));
  return w;
}

function* changeTx(p: MaintenancePlans, id: string, change: WindowChange, nowMs: number): Tx<MaintenanceWindow | null> {
  const row = yield* one(p.windowForUpdate, id);
  if (!row) return null;
  const w = fromWindowRow(row);
  const state = windowState(w, nowMs);
  if (change.reason !== undefined) w.reason = change.reason;
  if (change.endsAtMs !== undefined && state !== 'ended') w.endsAtMs = change.endsAtMs;
  if (change.end && state === 'scheduled') Object.assign(w, { phase: 'ended', endedAtMs: nowMs, cancelled: true });
  else if (change.end && state === 'active') w.endsAtMs = Math.min(w.endsAtMs, nowMs);
  yield* run(p.updateWindow, toWindowRow(w));
  return w;
}

/** Starts a window: active from now, with the nodes it covers now. */
function* startTx(p: MaintenancePlans, c: CoveragePlans, w: MaintenanceWindow, nowMs: number): Tx<void> {
  const matched = (yield* one(c.count))!.n;
  yield* run(p.updateWindow, toWindowRow({ ...w, phase: 'active' }));
  yield* appendEvents([windowEvent(w.id, true, matched)], nowMs);
}

/** Ends a window: the nodes in it then are its `matched`; they leave afterwards (release). */
function* endTx(p: MaintenancePlans, w: MaintenanceWindow, nowMs: number, started: boolean): Tx<void> {
  const matched = started ? (yield* one(p.countMembers, w.id))!.n : 0;
  yield* run(p.updateWindow, toWindowRow({ ...w, phase: 'ended', endedAtMs: w.endedAtMs ?? nowMs, matched }));
  if (started) yield* appendEvents([windowEvent(w.id, false, matched)], nowMs);
}

/** One chunk of nodes covered by window `w` that are in none: they enter it. */
function* enterChunkTx(c: CoveragePlans, p: MaintenancePlans, w: MaintenanceWindow, limit: number, nowMs: number): Tx<MemberRow[]> {
  const rows = yield* all(c.uncovered, limit);
  if (rows.length === 0) return rows;
  yield* run(p.enter, rows.map((r) => r.seq), w.id);
  yield* appendEvents(rows.map((r) => nodeMaintenanceEvent(r.id, w.id, true, { status: r.status, healthState: r.health_state })), nowMs);
  yield* bumpChangeVersion(rows.some((r) => isPublished(r.status)));
  return rows;
}

/**
 * One chunk of nodes leaving window `w` (`rows`: its strays, or all its members once it ended): each
 * moves over to the first other active window that covers it, or leaves maintenance with an event.
 */
function* releaseChunkTx(p: MaintenancePlans, rows: MemberRow[], w: MaintenanceWindow, others: ReadonlyArray<{ w: MaintenanceWindow; c: CoveragePlans }>, nowMs: number): Tx<MemberRow[]> {
  let rest = rows;
  for (const other of others) {
    if (rest.length === 0) break;
    const covered = new Set((yield* all(other.c.coveredAmong, rest.map((r) => r.seq))).map((r) => Number(r.seq)));
    if (covered.size === 0) continue;
    yield* run(p.rebind, [...covered], other.w.id);
    rest = rest.filter((r) => !covered.has(Number(r.seq)));
  }
  if (rest.length > 0) {
    yield* run(p.leave, rest.map((r) => r.seq));
    const drafts: EventDraft[] = rest.map((r) => nodeMaintenanceEvent(r.id, w.id, false, { status: r.status, healthState: r.health_state }, r.maintenance_status));
    yield* appendEvents(drafts, nowMs);
  }
  yield* bumpChangeVersion(rest.some((r) => isPublished(r.status)));
  return rest;
}

/** The maintenance writes of a store. */
export type MaintenanceWrites = Pick<NodeStore, 'createWindow' | 'changeWindow' | 'applyMaintenance' | 'pruneWindows'>;

/** The maintenance writes over `dialect` (its `maintenance` part). */
export function createMaintenanceWrites(dialect: WriteDialect): MaintenanceWrites {
  const { write, chunkRows } = dialect;
  const p = dialect.maintenance.plans;
  const coverage = (w: MaintenanceWindow) => dialect.maintenance.coverage(w);
  const { inChunks } = chunked(dialect);
  const DIRECT = { direct: true };
  /**
   * Moves a window's leaving nodes out, chunk by chunk: its members (once it ended) or its strays
   * (while active). Each chunk takes nodes out of the window, so the members bound the loop.
   */
  const release = async (w: MaintenanceWindow, ended: boolean, others: ReadonlyArray<{ w: MaintenanceWindow; c: CoveragePlans }>, nowMs: number) => {
    let left = 0;
    for (let round = 0; round < 10_000_000; round++) {
      const step = await write(function* () {
        const rows = yield* all(ended ? p.membersOf : coverage(w).strays, w.id, chunkRows);
        return { taken: rows.length, left: (yield* releaseChunkTx(p, rows, w, others, nowMs)).length };
      }, DIRECT);
      left += step.left;
      if (step.taken < chunkRows) break;
      await dialect.betweenChunks?.();
    }
    return left;
  };
  return {
    createWindow: (input, nowMs) => write(() => createTx(p, input, nowMs), DIRECT),
    changeWindow: (id, change, nowMs) => write(() => changeTx(p, id, change, nowMs), DIRECT),
    pruneWindows: (beforeMs) => write(() => run(p.pruneWindows, beforeMs), DIRECT),
    async applyMaintenance(nowMs, reconcile) {
      const out: MaintenanceApplied = { started: [], ended: [], entered: 0, left: 0 };
      // Read without the write lock: with no window open (most of the time) the pass writes nothing.
      const open = (await dialect.read(() => all(p.openWindows))).map(fromWindowRow);
      if (open.length === 0) return out;
      for (const w of open) {
        if (windowState(w, nowMs) !== 'ended') continue;
        await write(() => endTx(p, w, nowMs, w.phase === 'active'), DIRECT);
        w.phase = 'ended';
        out.ended.push(w.id);
      }
      const active = open.filter((w) => w.phase !== 'ended' && nowMs >= w.startsAtMs).map((w) => ({ w, c: coverage(w) }));
      for (const { w, c } of active) {
        if (w.phase === 'active') continue;
        await write(() => startTx(p, c, w, nowMs), DIRECT);
        w.phase = 'active';
        out.started.push(w.id);
      }
      for (const id of out.ended) {
        const w = open.find((x) => x.id === id)!;
        out.left += await release(w, true, active, nowMs);
      }
      if (!reconcile && out.started.length === 0 && out.ended.length === 0) return out;
      for (const { w, c } of active) {
        out.left += await release(w, false, active.filter((o) => o.w !== w), nowMs);
        out.entered += await inChunks(() => enterChunkTx(c, p, w, chunkRows, nowMs));
      }
      return out;
    },
  };
}
