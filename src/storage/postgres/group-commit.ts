// Group commit of the PostgreSQL store. Guarantees:
// - the writes issued while a process's batches ran (at least those of one event-loop turn, at most
//   256) run in one transaction; a write that throws rejects alone (the transaction is rolled back and
//   run again without it); a write resolves only after that transaction committed; at
//   most `parallel` batches of a process run at once, each on its own connection (two writes in flight
//   at once have no order, as two requests in flight have none);
// - what must be ordered across masters is done last, under one advisory lock held to the commit: the
//   change version's bump and the events' ids (raised from the counter) and rows. Event ids therefore
//   become visible in the order they were given (SPEC §8.1: PostgreSQL's sequences are not
//   commit-ordered; this lock is what orders them). A batch with neither (a status report that changes
//   nothing published: the usual one) takes no global lock, so the masters' batches run side by side;
//   node IDs are ordered by the row lock of their counter;
// - the lock is always the last thing a transaction waits for, so it cannot take part in a deadlock;
//   two batches updating the same nodes in opposite orders can deadlock on the rows — PostgreSQL ends
//   one, and that batch is run again (up to 3 times) from the start;
// - with a fence (a leader's sweeping side), every transaction first checks and share-locks the lease
//   row: a leader that lost its lease writes nothing, and a takeover waits for its last transaction.
import type pg from 'pg';
import { KV } from '../keys.js';
import { renderEvent, type EventDraft, type StoredEvent } from '../../domain/events.js';
import type { NodeRecord } from '../../domain/node.js';
import type { NodeRow } from '../rows.js';
import type { WriteKind } from '../core/writes.js';
import { isUnavailable } from './errors.js';

/** The advisory lock of the ordered part of a transaction (a constant of this schema). */
export const WRITE_LOCK = 7_340_002;
/** Most writes in one transaction. */
const MAX_BATCH = 256;
/** Runs of a batch that PostgreSQL ended as a deadlock victim. */
const DEADLOCK_RUNS = 3;

/** What the writes of a transaction leave to its ordered end. */
export interface TxTail {
  /** Events to write at the end, each group with its time; `out` is filled with their ids before commit. */
  events: Array<{ drafts: readonly EventDraft[]; timeMs: number; out: StoredEvent[] }>;
  /** The change version (list, statistics, discovery caches) moves. */
  bumpList: boolean;
  /** The publish version (nodes.json, file_sd) moves too. */
  bumpPublish?: boolean;
  /**
   * In a batch of updates by node ID only: the batch's nodes, read (and locked, in one statement) at
   * its start; each update changes them here, and the changes are written at its end, one statement for
   * each set of changed columns.
   */
  staged?: Map<string, StagedNode>;
}

/** A node of a batch of updates: its row as changed so far, its record, and the columns to write. */
export interface StagedNode {
  row: NodeRow;
  record: NodeRecord;
  changed: Record<string, string | number | null>;
}

/** How a backend's writes take part in the batch: read the updated nodes at its start, write them at its end. */
export interface BatchHooks {
  prepare(client: pg.PoolClient, tail: TxTail, ids: string[]): Promise<void>;
  flush(client: pg.PoolClient, tail: TxTail): Promise<void>;
}


/** A write: runs on the batch's connection, inside the batch's transaction. */
export type PgWrite<T> = (client: pg.PoolClient, tail: TxTail) => Promise<T>;

interface Pending extends WriteKind {
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

/** Defers `drafts` to the ordered end of the transaction; the returned events get their ids before it commits. */
export function deferEvents(tail: TxTail, drafts: readonly EventDraft[], timeMs: number): StoredEvent[] {
  if (drafts.length === 0) return [];
  const out = drafts.map((d): StoredEvent => ({ id: 0, timeMs, type: d.type, nodeId: d.nodeId, json: '' }));
  tail.events.push({ drafts, timeMs, out });
  return out;
}

/** The ordered end: under the lock, the change version and the events with their ids. */
async function finish(client: pg.PoolClient, tail: TxTail): Promise<void> {
  const count = tail.events.reduce((n, g) => n + g.drafts.length, 0);
  if (count === 0 && !tail.bumpList) return;
  await client.query('SELECT pg_advisory_xact_lock($1)', [WRITE_LOCK]);
  if (tail.bumpList) await client.query(`UPDATE kv SET value = (value::bigint + 1)::text WHERE key = '${KV.changeVersion}'`);
  if (tail.bumpPublish) await client.query(`UPDATE kv SET value = (value::bigint + 1)::text WHERE key = '${KV.publishVersion}'`);
  if (count === 0) return;
  const last = Number((await client.query<{ value: string }>(`UPDATE kv SET value = (value::bigint + $1)::text WHERE key = '${KV.eventCounter}' RETURNING value`, [count])).rows[0]!.value);
  let id = last - count;
  const all: StoredEvent[] = [];
  const states: Array<readonly [number, number] | undefined> = [];
  for (const g of tail.events) {
    g.drafts.forEach((d, i) => {
      const e = g.out[i]!;
      e.id = ++id;
      e.json = renderEvent(e.id, g.timeMs, d);
      all.push(e);
      states.push(d.states);
    });
  }
  await client.query(
    `INSERT INTO events (id, time, type, node_id, body, state_before, state_after)
     SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::integer[], $7::integer[])`,
    [all.map((e) => e.id), all.map((e) => e.timeMs), all.map((e) => e.type), all.map((e) => e.nodeId), all.map((e) => e.json), states.map((s) => s?.[0] ?? null), states.map((s) => s?.[1] ?? null)],
  );
}

/**
 * One run of the batch's transaction over the writes not in `failed`: committed, or the write that
 * threw (the transaction is rolled back and the batch runs again without it), or the error that broke
 * the transaction as a whole.
 */
async function attempt(client: pg.PoolClient, batch: Pending[], failed: Map<number, unknown>, fence: Fence | undefined, hooks: BatchHooks | undefined): Promise<{ values: unknown[] } | { threw: number; err: unknown } | { broken: unknown }> {
  const values: unknown[] = [];
  const tail: TxTail = { events: [], bumpList: false };
  let current = -1;
  try {
    await client.query('BEGIN');
    if (fence) {
      const f = fence();
      const held = f !== null && (await client.query('SELECT 1 FROM leader_lease WHERE instance = $1 AND epoch = $2 AND expires_at > now() FOR SHARE', [f.instance, f.epoch])).rowCount === 1;
      if (!held) throw new FencedError();
    }
    // Updates by ID only (the usual batch: status reports): their nodes in one read, locked in order.
    const live = batch.filter((_, i) => !failed.has(i));
    if (hooks && live.some((p) => p.key !== undefined) && !live.some((p) => p.direct)) {
      tail.staged = new Map();
      await hooks.prepare(client, tail, [...new Set(live.flatMap((p) => (p.key === undefined ? [] : [p.key])))]);
    }
    for (let i = 0; i < batch.length; i++) {
      if (failed.has(i)) continue;
      current = i;
      values[i] = await batch[i]!.run(client, tail);
    }
    current = -1;
    if (tail.staged && hooks) await hooks.flush(client, tail);
    await finish(client, tail);
    await client.query('COMMIT');
    return { values };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    if (current >= 0 && !isUnavailable(err)) return { threw: current, err };
    return { broken: err };
  }
}

/**
 * The group commit over `pool`, `parallel` batches at a time. With `fence` (the store of a leader's sweeping side), every transaction
 * first checks that the lease is still this master's with the same epoch, and share-locks its row.
 */
export function createPgGroupCommit(pool: pg.Pool, options: { fence?: Fence; parallel?: number; hooks?: BatchHooks } = {}) {
  const { fence, hooks } = options;
  const parallel = options.parallel ?? 1;
  let queue: Pending[] = [];
  let scheduled = false;
  let running = 0;

  const runBatch = async (batch: Pending[]) => {
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (err) {
      for (const p of batch) p.reject(err);
      return;
    }
    // A write that throws (a guard, a constraint) fails alone: the others run again without it. No
    // savepoint per write: they would cost two round trips each for what is rare.
    const failed = new Map<number, unknown>();
    let result: Awaited<ReturnType<typeof attempt>> = { broken: new Error('not run') };
    let deadlocks = 0;
    try {
      for (let run = 0; run <= batch.length + DEADLOCK_RUNS; run++) {
        result = await attempt(client, batch, failed, fence, hooks);
        if ('threw' in result) {
          failed.set(result.threw, result.err);
          continue;
        }
        if ('broken' in result && (result.broken as { code?: string } | null)?.code === '40P01' && ++deadlocks < DEADLOCK_RUNS) continue;
        break;
      }
    } finally {
      client.release('broken' in result && isUnavailable(result.broken) ? (result.broken as Error) : undefined);
    }
    batch.forEach((p, i) => {
      if (failed.has(i)) p.reject(failed.get(i));
      else if ('values' in result) p.resolve(result.values[i]);
      else p.reject('broken' in result ? result.broken : new Error('write not run'));
    });
  };

  // A batch starts at the end of the turn, or when a batch of this process ended while all `parallel`
  // ran: what queued meanwhile goes together.
  const next = () => {
    scheduled = false;
    while (running < parallel && queue.length > 0) {
      const batch = queue.slice(0, MAX_BATCH);
      queue = queue.slice(batch.length);
      running++;
      void runBatch(batch).finally(() => {
        running--;
        next();
      });
    }
  };

  return function write<T>(run: PgWrite<T>, kind: WriteKind = {}): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      queue.push({ run, resolve, reject, ...kind });
      if (!scheduled && running < parallel) {
        scheduled = true;
        setImmediate(next);
      }
    });
  };
}
