// Group commit of the PostgreSQL store. Guarantees:
// - the writes issued while a process's previous batch ran (at least those of one event-loop turn, at
//   most 256) run in one transaction, each in its own savepoint when there are several (one that
//   throws is rolled back alone and rejects alone); a write resolves only after that transaction
//   committed; batches of a process run one after another on one connection;
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
import { renderEvent, type EventDraft, type StoredEvent } from '../../domain/events.js';
import { AppError } from '../../errors.js';

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
}

/** A write: runs on the batch's connection, inside the batch's transaction. */
export type PgWrite<T> = (client: pg.PoolClient, tail: TxTail) => Promise<T>;

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
  if (tail.bumpList) await client.query("UPDATE kv SET value = (value::bigint + 1)::text WHERE key = 'list_version'");
  if (count === 0) return;
  const last = Number((await client.query<{ value: string }>("UPDATE kv SET value = (value::bigint + $1)::text WHERE key = 'event_id_counter' RETURNING value", [count])).rows[0]!.value);
  let id = last - count;
  const all: StoredEvent[] = [];
  for (const g of tail.events) {
    g.drafts.forEach((d, i) => {
      const e = g.out[i]!;
      e.id = ++id;
      e.json = renderEvent(e.id, g.timeMs, d);
      all.push(e);
    });
  }
  await client.query(
    'INSERT INTO events (id, time, type, node_id, body) SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[])',
    [all.map((e) => e.id), all.map((e) => e.timeMs), all.map((e) => e.type), all.map((e) => e.nodeId), all.map((e) => e.json)],
  );
}

type Outcome = { ok: true; value: unknown } | { ok: false; err: unknown };

/**
 * The group commit over `pool`. With `fence` (the store of a leader's sweeping side), every transaction
 * first checks that the lease is still this master's with the same epoch, and share-locks its row.
 */
export function createPgGroupCommit(pool: pg.Pool, fence?: Fence) {
  let queue: Pending[] = [];
  let scheduled = false;
  let running = false;

  /** One run of the batch's transaction: the outcome of each write, or the error that broke it. */
  const attempt = async (client: pg.PoolClient, batch: Pending[]): Promise<{ outcomes: Outcome[]; broken: unknown }> => {
    const outcomes: Outcome[] = [];
    const tail: TxTail = { events: [], bumpList: false };
    const single = batch.length === 1;
    try {
      await client.query('BEGIN');
      if (fence) {
        const f = fence();
        const held = f !== null && (await client.query('SELECT 1 FROM leader_lease WHERE instance = $1 AND epoch = $2 AND expires_at > now() FOR SHARE', [f.instance, f.epoch])).rowCount === 1;
        if (!held) throw new FencedError();
      }
      for (const p of batch) {
        if (single) {
          outcomes.push({ ok: true, value: await p.run(client, tail) });
          continue;
        }
        const mark = { events: tail.events.length, bumpList: tail.bumpList };
        await client.query('SAVEPOINT w');
        try {
          const value = await p.run(client, tail);
          await client.query('RELEASE SAVEPOINT w');
          outcomes.push({ ok: true, value });
        } catch (err) {
          // A failed connection fails the batch; a failed write (a guard, a constraint) only itself.
          await client.query('ROLLBACK TO SAVEPOINT w');
          tail.events.length = mark.events;
          tail.bumpList = mark.bumpList;
          outcomes.push({ ok: false, err });
        }
      }
      await finish(client, tail);
      await client.query('COMMIT');
      return { outcomes, broken: null };
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      // A single write that failed by itself (a guard, a constraint) is that write's outcome.
      if (single && outcomes.length === 0 && !isConnectionLevel(err)) return { outcomes: [{ ok: false, err }], broken: null };
      return { outcomes, broken: err };
    }
  };

  const runBatch = async (batch: Pending[]) => {
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (err) {
      for (const p of batch) p.reject(err);
      return;
    }
    let result: { outcomes: Outcome[]; broken: unknown } = { outcomes: [], broken: null };
    try {
      for (let run = 1; run <= DEADLOCK_RUNS; run++) {
        result = await attempt(client, batch);
        if ((result.broken as { code?: string } | null)?.code !== '40P01') break;
      }
    } finally {
      client.release(result.broken !== null && isConnectionLevel(result.broken) ? (result.broken as Error) : undefined);
    }
    const { outcomes, broken } = result;
    batch.forEach((p, i) => {
      const o = outcomes[i];
      if (broken !== null) p.reject(o && !o.ok ? o.err : broken);
      else if (o!.ok) p.resolve(o!.value);
      else p.reject(o!.err);
    });
  };

  // A batch starts when the previous one of this process ended: what queued meanwhile goes together.
  const next = () => {
    scheduled = false;
    if (running || queue.length === 0) return;
    const batch = queue.slice(0, MAX_BATCH);
    queue = queue.slice(batch.length);
    running = true;
    void runBatch(batch).finally(() => {
      running = false;
      next();
    });
  };

  return function write<T>(run: PgWrite<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      queue.push({ run: run, resolve: resolve, reject });
      if (!scheduled && !running) {
        scheduled = true;
        setImmediate(next);
      }
    });
  };
}

/** Whether `err` broke the connection or the transaction as a whole (not one write's own failure). */
function isConnectionLevel(err: unknown): boolean {
  if (err instanceof FencedError || err instanceof AppError) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && /^(08|57|53|58|40P01)/.test(code)) return true;
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return true;
  const m = (err as { message?: unknown }).message;
  return typeof m === 'string' && /timeout|terminated|not queryable|Client was closed/i.test(m);
}
