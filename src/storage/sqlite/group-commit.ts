// Group commit for better-sqlite3. Guarantee: every write queued in the same turn of the event loop runs
// in ONE `BEGIN IMMEDIATE` transaction, each inside its own savepoint, and every caller is answered only
// after that transaction committed. One failing write (its savepoint is rolled back) does not affect the
// others; a failing commit fails them all. One commit per batch instead of one per write is what lets a
// single process take thousands of status reports per second.
// Waiting for the write lock never blocks the event loop: the connection's busy timeout is 0, and a
// batch that finds the database locked by another process (SQLITE_BUSY) is retried from the event loop,
// for at most `maxWaitMs`; SQLite's own busy handler would sleep inside the call and stall every request
// of this process meanwhile. The retry comes at the next turn of the loop during the first
// SPIN_MS of a wait (another worker's batch holds the lock for a fraction of a millisecond: a 1 ms
// timer would make most waits ten times longer), then every 1 ms (a long holder, a sweep chunk or a
// checkpoint, is not spun on).
import type Database from 'better-sqlite3';
import { systemClock, type Clock } from '../../clock.js';

/** How long a locked batch is retried at every turn of the event loop before it waits 1 ms per try. */
const SPIN_MS = 2;

interface Pending {
  run: () => unknown;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

/**
 * Queues `run` into the next batch and resolves with its result once the batch committed. `run` runs in
 * its own savepoint: when it throws, whatever it wrote is rolled back and the rest of the batch stands.
 */
export type GroupCommit = <T>(run: () => T) => Promise<T>;

/** Options of the batcher. */
export interface GroupCommitOptions {
  /** Most writes per transaction: bounds how long the write lock is held. */
  maxBatch?: number;
  /** Longest a batch waits for the write lock before its writes fail with SQLITE_BUSY. */
  maxWaitMs?: number;
  /** The clock of the waits (default: the system clock). */
  clock?: Clock;
}

/**
 * Creates the batcher of one connection; every write of that connection must go through it (the
 * connection's busy timeout is set to 0).
 */
export function createGroupCommit(db: Database.Database, options: GroupCommitOptions = {}): GroupCommit {
  const maxBatch = options.maxBatch ?? 512;
  const maxWaitMs = options.maxWaitMs ?? 10_000;
  const clock = options.clock ?? systemClock;
  db.pragma('busy_timeout = 0');
  let busySince: number | null = null;
  const queue: Pending[] = [];
  let scheduled = false;
  // A nested db.transaction() runs as a SAVEPOINT inside the batch's transaction.
  const item = db.transaction((run: () => unknown) => run());

  const flush = () => {
    scheduled = false;
    const batch = queue.splice(0, maxBatch);
    const results: Array<{ ok: boolean; value: unknown }> = [];
    try {
      db.transaction(() => {
        for (const p of batch) {
          try {
            results.push({ ok: true, value: item(p.run) });
          } catch (err) {
            results.push({ ok: false, value: err });
          }
        }
      }).immediate();
    } catch (err) {
      const now = clock.now();
      if ((err as { code?: string }).code === 'SQLITE_BUSY' && now - (busySince ??= now) < maxWaitMs) {
        queue.unshift(...batch); // the whole transaction was rolled back: run the batch again
        schedule(now - busySince < SPIN_MS ? 0 : 1);
        return;
      }
      busySince = null;
      for (const p of batch) p.reject(err);
      if (queue.length > 0) schedule();
      return;
    }
    busySince = null;
    if (queue.length > 0) schedule();
    batch.forEach((p, i) => (results[i]!.ok ? p.resolve(results[i]!.value) : p.reject(results[i]!.value)));
  };
  const schedule = (delayMs = 0) => {
    if (!scheduled) {
      scheduled = true;
      if (delayMs > 0) clock.setTimeout(flush, delayMs);
      else setImmediate(flush);
    }
  };

  return <T>(run: () => T) =>
    new Promise<T>((resolve, reject) => {
      queue.push({ run, resolve: resolve as (v: unknown) => void, reject });
      schedule();
    });
}
