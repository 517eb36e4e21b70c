// The PostgreSQL store's side of the writes: it runs the core's algorithms (core/writes.ts) in its group
// commit (group-commit.ts: one transaction per batch, events and the change version written at its end
// under the advisory lock that orders them across masters), awaiting each statement (plans.ts).
// Guarantees: a write resolves only after its transaction committed; read-modify-write steps read their
// node FOR UPDATE; a batch of updates by node ID (status reports) reads its nodes in one statement at its
// start, locked in seq order, and writes them in one statement per set of changed columns at its end.
import type pg from 'pg';
import { createWrites, type WriteDialect } from '../core/writes.js';
import { bound, runAsync, type Effect, type LockedNode, type Tx } from '../core/tx.js';
import type { StorageHealthSink } from '../health.js';
import { fromRow, NODE_COLUMN_PG_TYPES, type NodeRow } from '../rows.js';
import { translate } from './errors.js';
import { createPgGroupCommit, deferEvents, type BatchHooks, type Fence, type StagedNode, type TxTail } from './group-commit.js';
import { PG_WRITE_PLANS } from './plans.js';
import { PG_MAINTENANCE } from './maintenance-plans.js';
import { PG_OUTBOX_PLANS } from './notification-plans.js';

/**
 * Rows per chunk of a sweep, garbage collection or flapping pass: each chunk is a few round trips, and
 * no event loop of a serving process waits on it (SQLite's 100 bound its stalls; here 250 saves trips).
 */
const SWEEP_CHUNK = 250;
/** Write transactions a process runs at once (of its pool of 8 connections; the rest read). */
const WRITE_BATCHES = 4;

/** The nodes of a batch of updates, locked in seq order (so that two such batches cannot deadlock). */
const hooks: BatchHooks = {
  async prepare(c, tail, ids) {
    for (const row of (await c.query<NodeRow>('SELECT * FROM nodes WHERE id = ANY($1::text[]) ORDER BY seq FOR UPDATE', [ids])).rows) {
      tail.staged!.set(row.id, { row, record: fromRow(row), changed: {} });
    }
  },
  async flush(c, tail) {
    // One UPDATE for each set of changed columns (status reports all change the same few).
    const groups = new Map<string, StagedNode[]>();
    for (const node of tail.staged!.values()) {
      const columns = Object.keys(node.changed).sort();
      if (columns.length === 0) continue;
      const key = columns.join(',');
      groups.set(key, [...(groups.get(key) ?? []), node]);
    }
    for (const [key, nodes] of groups) {
      const columns = key.split(',');
      const arrays = columns.map((col) => nodes.map((n) => n.changed[col] ?? null));
      const from = columns.map((col, i) => `$${i + 2}::${NODE_COLUMN_PG_TYPES[col as keyof typeof NODE_COLUMN_PG_TYPES]}[]`).join(', ');
      await c.query(
        `UPDATE nodes SET ${columns.map((col) => `${col} = v.${col}`).join(', ')} FROM unnest($1::text[], ${from}) AS v(id, ${columns.join(', ')}) WHERE nodes.id = v.id`,
        [nodes.map((n) => n.row.id), ...arrays],
      );
    }
  },
};

/** Answers the effects of one algorithm on the batch's connection and tail. */
async function answer(c: pg.PoolClient, tail: TxTail, e: Effect): Promise<unknown> {
  switch (e.t) {
    case 'one':
      return (await c.query(e.plan.sql, bound(e.plan, e.args) as unknown[])).rows[0];
    case 'all':
      return (await c.query(e.plan.sql, bound(e.plan, e.args) as unknown[])).rows;
    case 'run':
      return (await c.query(e.plan.sql, bound(e.plan, e.args) as unknown[])).rowCount ?? 0;
    case 'events':
      return deferEvents(tail, e.drafts, e.timeMs);
    case 'bump':
      tail.bumpList = true;
      if (e.published) tail.bumpPublish = true;
      return undefined;
    case 'lock': {
      if (tail.staged) {
        // Read at the batch's start (none: no such node); earlier updates of the batch are in it.
        const staged = tail.staged.get(e.id);
        return staged ? ({ row: staged.row, record: staged.record } satisfies LockedNode) : undefined;
      }
      const row = (await c.query<NodeRow>('SELECT * FROM nodes WHERE id = $1 FOR UPDATE', [e.id])).rows[0];
      return row ? ({ row, record: fromRow(row) } satisfies LockedNode) : undefined;
    }
    case 'write': {
      const staged = tail.staged?.get(e.node.row.id);
      if (staged) {
        // Written at the batch's end (flush); later updates of this node in the batch start from here.
        Object.assign(staged.row, e.changed);
        Object.assign(staged.changed, e.changed);
        staged.record = e.after;
        return undefined;
      }
      const columns = Object.keys(e.changed);
      await c.query(`UPDATE nodes SET ${columns.map((col, i) => `${col} = $${i + 2}`).join(', ')} WHERE id = $1`, [e.node.row.id, ...columns.map((col) => e.changed[col])]);
      return undefined;
    }
  }
}

/** The writes of the store on `pool`; with `fence` (a leader's sweeping side) each checks the lease. */
export function createPgWrites(pool: pg.Pool, health: StorageHealthSink | undefined, fence?: Fence) {
  // The leader's sweeping side (fenced) writes one batch at a time: its chunks follow one another.
  const batch = createPgGroupCommit(pool, { fence, parallel: fence ? 1 : WRITE_BATCHES, hooks });
  const dialect: WriteDialect = {
    plans: PG_WRITE_PLANS,
    maintenance: PG_MAINTENANCE,
    outbox: PG_OUTBOX_PLANS,
    chunkRows: SWEEP_CHUNK,
    read: readOnPool(pool, health),
    write: (tx, kind) =>
      batch((c, tail) => runAsync(tx(), (e) => answer(c, tail, e)), kind).then(
        (value) => {
          health?.writeSucceeded();
          return value;
        },
        (err: unknown) => translate(err, health, 'write'),
      ),
  };
  return createWrites(dialect);
}

/** Reads of the core's algorithms on the pool, outside any transaction (`one` and `all` only). */
function readOnPool(pool: pg.Pool, health: StorageHealthSink | undefined) {
  return <T>(tx: () => Tx<T>): Promise<T> =>
    runAsync(tx(), async (e) => {
      if (e.t !== 'one' && e.t !== 'all') throw new Error(`a read runs no ${e.t}`);
      const rows: unknown[] = (await pool.query(e.plan.sql, bound(e.plan, e.args) as unknown[])).rows;
      return e.t === 'one' ? rows[0] : rows;
    }).catch((err: unknown) => translate(err, health, 'read'));
}
