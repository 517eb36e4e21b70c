// The SQLite store's side of the writes: it runs the core's algorithms (core/writes.ts) inside its group
// commit (group-commit.ts: one BEGIN IMMEDIATE transaction per event-loop turn, each write in its own
// savepoint, answered after the commit), synchronously, answering each effect with its statements
// (plans.ts). Guarantees: ID allocation and read-modify-write steps are atomic across every process on
// the file; event ids are raised in the write transaction, so they become visible in order; a sweep's
// chunks step aside while the checkpoint thread waits for the write lock (checkpointer.ts).
import type Database from 'better-sqlite3';
import { renderEvent, type EventDraft, type StoredEvent } from '../../domain/events.js';
import { createWrites, type WriteDialect } from '../core/writes.js';
import { bound, runSync, type Effect, type Plan } from '../core/tx.js';
import type { StorageHealthSink } from '../health.js';
import { KV } from '../keys.js';
import { fromRow, type NodeRow } from '../rows.js';
import { translate } from './errors.js';
import { createGroupCommit } from './group-commit.js';
import { SQLITE_WRITE_PLANS } from './plans.js';
import { SQLITE_MAINTENANCE } from './maintenance-plans.js';
import { SQLITE_OUTBOX_PLANS } from './notification-plans.js';

/**
 * Rows per committed chunk of a sweep, garbage collection or flapping pass: bounds how long one step
 * holds the write lock and the event loop (~2 ms; docs/PERFORMANCE.md §3).
 */
const SWEEP_CHUNK = 100;
/** Longest a chunk of a series waits for the checkpoint thread (ms; the thread tries for 10). */
const STEP_ASIDE_MS = 15;

/** The checkpoint thread's side of a series of transactions (checkpointer.ts), when there is one. */
export interface SeriesPeer {
  wantsLock(): boolean;
  inSeries<T>(series: () => Promise<T>): Promise<T>;
}

/** The effects of the core's algorithms, answered on `db` (inside the group commit's transaction). */
function answerer(db: Database.Database) {
  const statements = new Map<string, Database.Statement>();
  const prepared = (sql: string) => {
    let stmt = statements.get(sql);
    if (!stmt) statements.set(sql, (stmt = db.prepare(sql)));
    return stmt;
  };
  const call = (p: Plan<readonly unknown[], unknown>, args: readonly unknown[]) => {
    const params = bound(p, args);
    return { stmt: prepared(p.sql), params: Array.isArray(params) ? params : [params] };
  };
  const raiseEventCounter = db.prepare<[{ n: number }], { value: string }>(
    `UPDATE kv SET value = CAST(CAST(value AS INTEGER) + CAST(@n AS INTEGER) AS TEXT) WHERE key = '${KV.eventCounter}' RETURNING value`,
  );
  const insertEvent = db.prepare<[number, number, string, string | null, string, number | null, number | null]>(
    'INSERT INTO events (id, time, type, node_id, body, state_before, state_after) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const insertEvents = db.prepare<[{ rows: string }]>(
    `INSERT INTO events (id, time, type, node_id, body, state_before, state_after)
     SELECT value ->> '$[0]', value ->> '$[1]', value ->> '$[2]', value ->> '$[3]', value ->> '$[4]', value ->> '$[5]', value ->> '$[6]' FROM json_each(@rows)`,
  );
  const bump = db.prepare(`UPDATE kv SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = '${KV.changeVersion}'`);
  const bumpPublished = db.prepare(`UPDATE kv SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = '${KV.publishVersion}'`);
  const byId = db.prepare<[string], NodeRow>('SELECT * FROM nodes WHERE id = ?');
  /** Events with the next ids (the counter is raised inside the write transaction: migration 005). */
  const appendEvents = (drafts: readonly EventDraft[], timeMs: number): StoredEvent[] => {
    const last = Number(raiseEventCounter.get({ n: drafts.length })!.value);
    const events = drafts.map((d, i): StoredEvent => {
      const id = last - drafts.length + 1 + i;
      return { id, timeMs, type: d.type, nodeId: d.nodeId, json: renderEvent(id, timeMs, d) };
    });
    // A few (a report's or a registration's) row by row; a sweep chunk's in one statement.
    const row = (e: StoredEvent, i: number) => [e.id, e.timeMs, e.type, e.nodeId, e.json, drafts[i]!.states?.[0] ?? null, drafts[i]!.states?.[1] ?? null] as const;
    if (events.length <= 4) events.forEach((e, i) => insertEvent.run(...row(e, i)));
    else insertEvents.run({ rows: JSON.stringify(events.map(row)) });
    return events;
  };
  return (e: Effect): unknown => {
    switch (e.t) {
      case 'one': {
        const { stmt, params } = call(e.plan, e.args);
        return stmt.get(...params);
      }
      case 'all': {
        const { stmt, params } = call(e.plan, e.args);
        return stmt.all(...params);
      }
      case 'run': {
        const { stmt, params } = call(e.plan, e.args);
        return stmt.run(...params).changes;
      }
      case 'events':
        return appendEvents(e.drafts, e.timeMs);
      case 'bump':
        if (e.published) bumpPublished.run();
        return bump.run();
      case 'lock': {
        const row = byId.get(e.id);
        return row ? { row, record: fromRow(row) } : undefined;
      }
      case 'write': {
        // Only the changed columns (one statement per set of columns, prepared once): a status report
        // then rewrites neither config, labels nor meta_data, nor the status index.
        const columns = Object.keys(e.changed);
        return prepared(`UPDATE nodes SET ${columns.map((c) => `${c} = @${c}`).join(', ')} WHERE id = @id`).run({ ...e.changed, id: e.node.row.id });
      }
    }
  };
}

/** The writes of the store on `db`; failures are translated and reported to `health`, successes too. */
export function createSqliteWrites(db: Database.Database, health: StorageHealthSink | undefined, peer?: SeriesPeer) {
  const batch = createGroupCommit(db);
  const answer = answerer(db);
  const dialect: WriteDialect = {
    plans: SQLITE_WRITE_PLANS,
    maintenance: SQLITE_MAINTENANCE,
    outbox: SQLITE_OUTBOX_PLANS,
    chunkRows: SWEEP_CHUNK,
    write: (tx) =>
      batch(() => runSync(tx(), answer)).then(
        (value) => {
          health?.writeSucceeded();
          return value;
        },
        (err: unknown) => translate(err, health, 'write'),
      ),
    read: async (tx) => {
      try {
        return runSync(tx(), answer);
      } catch (err) {
        return translate(err, health, 'read');
      }
    },
    series: peer ? (run) => peer.inSeries(run) : undefined,
    // The event loop between two chunks; and while the checkpoint thread waits for the write lock to
    // start the WAL over, the next chunk waits for it (a RESTART takes ~6 ms), STEP_ASIDE_MS at most.
    async betweenChunks() {
      await new Promise((r) => setImmediate(r));
      for (let waited = 0; waited < STEP_ASIDE_MS && peer?.wantsLock(); waited++) await new Promise((r) => setTimeout(r, 1));
    },
  };
  return createWrites(dialect);
}
