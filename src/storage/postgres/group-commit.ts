// Group commit of the PostgreSQL store. Guarantees: the writes issued in one event-loop turn run in one
// transaction, each in its own savepoint (one that throws is rolled back alone and rejects alone); a
// write resolves only after that transaction committed; batches of a process run one after another on
// one connection; and every write transaction of every master holds the same advisory lock from its
// start to its commit, so write transactions are serialised across masters: IDs and event ids raised
// inside them become visible in the order they were given (SPEC §8.1: PostgreSQL's sequences are not
// commit-ordered; this lock is what orders them).
import type pg from 'pg';

/** The advisory lock every write transaction holds (a constant of this schema). */
export const WRITE_LOCK = 7_340_002;

/** A write: runs on the batch's connection, inside the batch's transaction. */
export type PgWrite<T> = (client: pg.PoolClient) => Promise<T>;

interface Pending {
  run: PgWrite<unknown>;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

/** The fence of a leader's store: its lease's instance and epoch, or null while it does not lead. */
export type Fence = () => { instance: string; epoch: number } | null;

/** A write refused because this master no longer holds the lease it wrote under. */
export class FencedError extends Error {
  constructor() {
    super('not the leader: the lease passed to another master (or could not be checked)');
    this.name = 'FencedError';
  }
}

/**
 * The group commit over `pool`. With `fence` (the store of a leader's sweeping side), every transaction
 * first checks, under the write lock, that the lease is still this master's with the same epoch: a
 * leader that lost its lease (paused, partitioned) writes nothing.
 */
export function createPgGroupCommit(pool: pg.Pool, fence?: Fence) {
  let queue: Pending[] = [];
  let scheduled = false;
  let chain: Promise<void> = Promise.resolve();

  const runBatch = async (batch: Pending[]) => {
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (err) {
      for (const p of batch) p.reject(err);
      return;
    }
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; err: unknown }> = [];
    let broken: unknown = null;
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [WRITE_LOCK]);
      if (fence) {
        const f = fence();
        const held = f !== null && (await client.query('SELECT 1 FROM leader_lease WHERE instance = $1 AND epoch = $2 AND expires_at > now()', [f.instance, f.epoch])).rowCount === 1;
        if (!held) throw new FencedError();
      }
      for (const p of batch) {
        await client.query('SAVEPOINT w');
        try {
          const value = await p.run(client);
          await client.query('RELEASE SAVEPOINT w');
          outcomes.push({ ok: true, value });
        } catch (err) {
          // A failed connection fails the batch; a failed write (a guard, a constraint) only itself.
          await client.query('ROLLBACK TO SAVEPOINT w');
          outcomes.push({ ok: false, err });
        }
      }
      await client.query('COMMIT');
    } catch (err) {
      broken = err;
      await client.query('ROLLBACK').catch(() => undefined);
    } finally {
      client.release(broken !== null ? (broken as Error) : undefined);
    }
    batch.forEach((p, i) => {
      const o = outcomes[i];
      if (broken !== null) p.reject(o && !o.ok ? o.err : broken);
      else if (o!.ok) p.resolve(o!.value);
      else p.reject(o!.err);
    });
  };

  const flush = () => {
    scheduled = false;
    const batch = queue;
    queue = [];
    chain = chain.then(() => runBatch(batch));
  };

  return function write<T>(run: PgWrite<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      queue.push({ run: run, resolve: resolve, reject });
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    });
  };
}
