// Group commit for better-sqlite3. Guarantee: every write queued in the same turn of the event loop runs
// in ONE `BEGIN IMMEDIATE` transaction, each inside its own savepoint, and every caller is answered only
// after that transaction committed. One failing write (its savepoint is rolled back) does not affect the
// others; a failing commit fails them all. One commit per batch instead of one per write is what lets a
// single process take thousands of status reports per second.
import type Database from 'better-sqlite3';

interface Pending {
  run: () => unknown;
  savepoint: boolean;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

/**
 * Queues `run` into the next batch and resolves with its result once the batch committed. `savepoint:
 * false` is for a `run` that writes with at most one statement (which SQLite applies atomically), so a
 * failure leaves nothing half-written even without a savepoint.
 */
export type GroupCommit = <T>(run: () => T, options?: { savepoint?: boolean }) => Promise<T>;

/** Creates the batcher of one connection. `maxBatch` bounds how long the write lock is held. */
export function createGroupCommit(db: Database.Database, maxBatch = 512): GroupCommit {
  const queue: Pending[] = [];
  let scheduled = false;
  // A nested db.transaction() runs as a SAVEPOINT inside the batch's transaction.
  const item = db.transaction((run: () => unknown) => run());

  const flush = () => {
    scheduled = false;
    const batch = queue.splice(0, maxBatch);
    if (queue.length > 0) schedule();
    const results: Array<{ ok: boolean; value: unknown }> = [];
    try {
      db.transaction(() => {
        for (const p of batch) {
          try {
            results.push({ ok: true, value: p.savepoint ? item(p.run) : p.run() });
          } catch (err) {
            results.push({ ok: false, value: err });
          }
        }
      }).immediate();
    } catch (err) {
      for (const p of batch) p.reject(err);
      return;
    }
    batch.forEach((p, i) => (results[i]!.ok ? p.resolve(results[i]!.value) : p.reject(results[i]!.value)));
  };
  const schedule = () => {
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };

  return <T>(run: () => T, options: { savepoint?: boolean } = {}) =>
    new Promise<T>((resolve, reject) => {
      queue.push({ run, savepoint: options.savepoint ?? true, resolve: resolve as (v: unknown) => void, reject });
      schedule();
    });
}
