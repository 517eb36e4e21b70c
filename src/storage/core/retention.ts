// Keeping the events (SPEC §8.1, §17): retention by age and by the per-node limit, and the fleet's
// history folded from the events into 5-minute buckets before retention may delete them — once, over
// both dialects (each supplies the statements). Where retention cut a node's history is recorded with
// the deletion: kv history_from (by age), nodes.history_from (the per-node limit).
import type { EventRetention, NodeStore } from '../store.js';
import type { DeletedEvent, WritePlans } from './plans.js';
import { all, one, run, type Tx } from './tx.js';
import type { WriteDialect, WriteKind } from './writes.js';

/** Events deleted, or scanned for the per-node limit, per retention step. */
const PRUNE_STEP = 1_000;

/** Events folded into the fleet's history per step; its buckets are kept this long (the 7-day chart's). */
const FOLD_STEP = 20_000;
const BUCKETS_KEPT_MS = 8 * 86_400_000;

/** One step of the fleet's history: the next events after the cursor into their buckets, the cursor moved. */
function* foldStepTx(p: WritePlans, limit: number, keepFromMs: number): Tx<number> {
  const cursor = Number((yield* one(p.historyCursor))!.value);
  const end = (yield* one(p.historyChunkEnd, cursor, limit))!.upto;
  if (end === null) return 0;
  yield* run(p.foldHistory, cursor, Number(end));
  yield* run(p.moveHistoryCursor, Number(end));
  if (keepFromMs > -Infinity) yield* run(p.pruneBuckets, keepFromMs);
  return Number(end) - cursor;
}

/** The time of the newest of `events` that changed a node's state: its history is whole only after it. */
function newestStateTime(events: readonly DeletedEvent[]): number | null {
  let newest: number | null = null;
  for (const e of events) if (e.state_after !== null && (newest === null || Number(e.time) > newest)) newest = Number(e.time);
  return newest;
}

/** One step of retention by age: at most `limit` events from before `beforeMs`; returns how many. */
function* pruneOldStepTx(p: WritePlans, beforeMs: number, limit: number): Tx<number> {
  const gone = yield* all(p.pruneOld, beforeMs, limit);
  const cut = newestStateTime(gone);
  if (cut !== null) yield* run(p.raiseHistoryFrom, cut);
  return gone.length;
}

/**
 * One step of the per-node limit: the nodes with events after the retention cursor (kv: kept across
 * restarts, so a start does not scan every event again) keep their newest `keep`; the cursor moves on.
 */
function* pruneNodesStepTx(p: WritePlans, keep: number): Tx<{ deleted: number; last: number | null }> {
  const since = Number((yield* one(p.retentionCursor))!.value);
  const scanned = yield* all(p.scanEvents, since, PRUNE_STEP);
  let deleted = 0;
  for (const node of new Set(scanned.map((e) => e.node_id).filter((n): n is string => n !== null))) {
    const gone = yield* all(p.pruneNode, node, keep);
    const cut = newestStateTime(gone);
    if (cut !== null) yield* run(p.raiseNodeHistoryFrom, node, cut);
    deleted += gone.length;
  }
  const last = scanned.at(-1)?.id ?? null;
  if (last !== null) yield* run(p.moveRetentionCursor, Number(last));
  return { deleted, last };
}

/** Retention and the fleet's history over `dialect`. */
export function createRetentionWrites(dialect: WriteDialect): Pick<NodeStore, 'pruneEvents' | 'foldHistory'> {
  const { plans: p, write } = dialect;
  const DIRECT: WriteKind = { direct: true };
  /** Folds every event not folded yet into the fleet's history, dropping buckets before `keepFromMs`. */
  const foldAll = async (keepFromMs: number) => {
    let folded = 0;
    for (let round = 0; round < 100_000; round++) {
      // Read first: an idle pass takes no write lock.
      const pending = await dialect.read(function* () {
        const cursor = Number((yield* one(p.historyCursor))!.value);
        return (yield* one(p.historyChunkEnd, cursor, 1))!.upto !== null;
      });
      if (!pending) break;
      folded += await write(() => foldStepTx(p, FOLD_STEP, keepFromMs), DIRECT);
      await dialect.betweenChunks?.();
    }
    return folded;
  };
  async function pruneEvents(retention: EventRetention) {
    // Retention deletes only folded events (the fleet's history keeps what they changed).
    await foldAll(-Infinity);
    let deleted = 0;
    for (let round = 0; round < 100_000; round++) {
      const n = await write(() => pruneOldStepTx(p, retention.olderThanMs, PRUNE_STEP), DIRECT);
      deleted += n;
      if (n < PRUNE_STEP) break;
      await dialect.betweenChunks?.();
    }
    for (let round = 0; round < 100_000; round++) {
      const step = await write(() => pruneNodesStepTx(p, retention.maxPerNode), DIRECT);
      deleted += step.deleted;
      if (step.last === null) break;
      await dialect.betweenChunks?.();
    }
    return deleted;
  }
  return { pruneEvents, foldHistory: (nowMs) => foldAll(nowMs - BUCKETS_KEPT_MS) };
}
