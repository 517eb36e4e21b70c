// `argus-master copy-db --from <a> --to <b>`: moves a registry between SQLite (a file path) and
// PostgreSQL (a postgres:// URL), either way: every node (tokens, flapping state and labels included),
// every retained event, and the ID and event counters, so that no ID or event id is ever given twice.
// Guarantees: the target is migrated first and must be empty (no node, no event, counters at 0),
// otherwise nothing is written; nodes and events go in batches, a progress line per batch on stderr;
// the counters are written last, so an interrupted copy leaves a target that a rerun refuses (drop it
// and copy again). Stop every master first: the copy reads a live source without a global snapshot.
import { existsSync } from 'node:fs';
import type Database from 'better-sqlite3';
import type pg from 'pg';
import { COPIED_COUNTERS, KV } from './storage/keys.js';
import { NODE_COLUMN_PG_TYPES, NODE_COLUMNS, type EventRow, type NodeRow } from './storage/rows.js';
import { WINDOW_COLUMNS, type WindowRow } from './storage/core/maintenance.js';

const BATCH = 2_000;
/** The fleet's history (migration 014): count changes per 5-minute bucket. */
const BUCKET_COLUMNS = ['bucket', 'online', 'offline', 'initialized', 'degraded', 'maintenance'] as const;
type BucketRow = Record<(typeof BUCKET_COLUMNS)[number], number | string>;
const COUNTERS = COPIED_COUNTERS;

/** One side of a copy. */
interface Side {
  describe: string;
  count(): Promise<{ nodes: number; events: number; counters: Record<string, number> }>;
  nodes(afterSeq: number): Promise<NodeRow[]>;
  events(afterId: number): Promise<EventRow[]>;
  putNodes(rows: NodeRow[]): Promise<void>;
  putEvents(rows: EventRow[]): Promise<void>;
  putCounters(counters: Record<string, number>): Promise<void>;
  /** Maintenance windows, all at once (a handful to a few thousand). */
  windows(): Promise<WindowRow[]>;
  putWindows(rows: WindowRow[]): Promise<void>;
  /** The fleet's history buckets, all at once (8 days of 5 minutes at most). */
  buckets(): Promise<BucketRow[]>;
  putBuckets(rows: BucketRow[]): Promise<void>;
  /** After the copy: PostgreSQL gathers the planner's statistics (a bulk copy leaves none). */
  finish?(): Promise<void>;
  close(): Promise<void>;
}

const isPostgres = (target: string) => /^postgres(ql)?:\/\//.test(target);
/** Query parameters of a connection URL that hold credentials (libpq's `password`, `sslpassword`, …). */
const SECRET_PARAM = /pass|secret|token|key/i;
/**
 * A database as messages show it: a path as given; a URL parsed, with its password and any credential
 * parameter (`?password=`) blanked, and nothing of it at all when it does not parse (a password with an
 * unencoded `@` parses: the last `@` ends the credentials).
 */
export function shown(target: string): string {
  if (!isPostgres(target)) return target;
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return 'a postgres:// URL that does not parse (not shown)';
  }
  if (url.password !== '') url.password = '***';
  for (const key of [...url.searchParams.keys()]) if (SECRET_PARAM.test(key)) url.searchParams.set(key, '***');
  return url.toString().replaceAll('%2A%2A%2A', '***');
}

async function sqliteSide(path: string, mustExist: boolean): Promise<Side> {
  // A mistyped source must not become a new, empty database copied as "0 nodes".
  if (mustExist && !existsSync(path)) throw new CopyRefused(`there is no SQLite database at ${path}`);
  const { openSqliteStore } = await import('./storage/sqlite/index.js');
  const store = openSqliteStore({ path });
  const db: Database.Database = store.db;
  const insertNode = db.prepare(`INSERT INTO nodes (${NODE_COLUMNS.join(', ')}) VALUES (${NODE_COLUMNS.map((c) => `@${c}`).join(', ')})`);
  const insertLabels = db.prepare('INSERT OR IGNORE INTO node_labels (label, seq) SELECT value, ? FROM json_each(?)');
  const insertEvent = db.prepare('INSERT INTO events (id, time, type, node_id, body, state_before, state_after) VALUES (@id, @time, @type, @node_id, @body, @state_before, @state_after)');
  const counter = db.prepare<[string], { value: string }>('SELECT value FROM kv WHERE key = ?');
  return {
    describe: `SQLite ${path}`,
    count: async () => ({
      nodes: (db.prepare('SELECT count(*) AS n FROM nodes').get() as { n: number }).n,
      events: (db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n,
      counters: Object.fromEntries(COUNTERS.map((k) => [k, Number(counter.get(k)?.value ?? 0)])),
    }),
    nodes: async (after) => db.prepare<[number, number], NodeRow>('SELECT * FROM nodes WHERE seq > ? ORDER BY seq LIMIT ?').all(after, BATCH),
    events: async (after) => db.prepare<[number, number], EventRow>('SELECT id, time, type, node_id, body, state_before, state_after FROM events WHERE id > ? ORDER BY id LIMIT ?').all(after, BATCH),
    putNodes: async (rows) =>
      db.transaction(() => {
        for (const r of rows) {
          insertNode.run(r);
          insertLabels.run(r.seq, r.label);
        }
        db.prepare(`UPDATE kv SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = '${KV.changeVersion}'`).run();
      })(),
    putEvents: async (rows) =>
      db.transaction(() => {
        for (const r of rows) insertEvent.run(r);
      })(),
    putCounters: async (counters) =>
      db.transaction(() => {
        for (const [k, v] of Object.entries(counters)) db.prepare('UPDATE kv SET value = ? WHERE key = ?').run(String(v), k);
      })(),
    buckets: async () => db.prepare<[], BucketRow>(`SELECT ${BUCKET_COLUMNS.join(', ')} FROM history_buckets ORDER BY bucket`).all(),
    putBuckets: async (rows) =>
      db.transaction(() => {
        const insert = db.prepare(`INSERT INTO history_buckets (${BUCKET_COLUMNS.join(', ')}) VALUES (${BUCKET_COLUMNS.map((c) => `@${c}`).join(', ')})`);
        for (const r of rows) insert.run(r);
      })(),
    windows: async () => db.prepare<[], WindowRow>('SELECT * FROM maintenance_windows ORDER BY seq').all(),
    putWindows: async (rows) =>
      db.transaction(() => {
        const insert = db.prepare(`INSERT INTO maintenance_windows (${WINDOW_COLUMNS.join(', ')}) VALUES (${WINDOW_COLUMNS.map((c) => `@${c}`).join(', ')})`);
        for (const r of rows) insert.run(r);
      })(),
    close: () => store.close(),
  };
}

async function postgresSide(url: string): Promise<Side> {
  const { openPgStore } = await import('./storage/postgres/index.js');
  const store = await openPgStore({ url, poolSize: 2, timeoutMs: 60_000 });
  const pool: pg.Pool = store.pool;
  const inTransaction = async (run: (c: pg.PoolClient) => Promise<void>) => {
    const c = await pool.connect();
    try {
      await c.query('BEGIN');
      await run(c);
      await c.query('COMMIT');
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      c.release();
    }
  };
  return {
    describe: `PostgreSQL ${shown(url)}`,
    count: async () => {
      const r = (await pool.query<{ nodes: number; events: number }>('SELECT (SELECT count(*) FROM nodes)::int AS nodes, (SELECT count(*) FROM events)::int AS events')).rows[0]!;
      const kv = (await pool.query<{ key: string; value: string }>('SELECT key, value FROM kv WHERE key = ANY($1::text[])', [[...COUNTERS]])).rows;
      return { ...r, counters: Object.fromEntries(COUNTERS.map((k) => [k, Number(kv.find((x) => x.key === k)?.value ?? 0)])) };
    },
    nodes: async (after) => (await pool.query<NodeRow>('SELECT * FROM nodes WHERE seq > $1 ORDER BY seq LIMIT $2', [after, BATCH])).rows,
    events: async (after) => (await pool.query<EventRow>('SELECT id, time, type, node_id, body, state_before, state_after FROM events WHERE id > $1 ORDER BY id LIMIT $2', [after, BATCH])).rows,
    putNodes: (rows) =>
      inTransaction(async (c) => {
        const cols = NODE_COLUMNS.map((col) => rows.map((r) => r[col]));
        const types = NODE_COLUMNS.map((col) => NODE_COLUMN_PG_TYPES[col]);
        await c.query(`INSERT INTO nodes (${NODE_COLUMNS.join(', ')}) SELECT * FROM unnest(${types.map((t, i) => `$${i + 1}::${t}[]`).join(', ')})`, cols);
        await c.query(
          'INSERT INTO node_labels (label, seq) SELECT DISTINCT l.value, n.seq FROM unnest($1::bigint[], $2::text[]) AS n(seq, label), json_array_elements_text(n.label::json) AS l(value) ON CONFLICT DO NOTHING',
          [rows.map((r) => r.seq), rows.map((r) => r.label)],
        );
        await c.query(`UPDATE kv SET value = (value::bigint + 1)::text WHERE key = '${KV.changeVersion}'`);
      }),
    putEvents: (rows) =>
      inTransaction(async (c) => {
        await c.query(
          `INSERT INTO events (id, time, type, node_id, body, state_before, state_after)
           SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::integer[], $7::integer[])`,
          [rows.map((r) => r.id), rows.map((r) => r.time), rows.map((r) => r.type), rows.map((r) => r.node_id), rows.map((r) => r.body), rows.map((r) => r.state_before ?? null), rows.map((r) => r.state_after ?? null)],
        );
      }),
    putCounters: (counters) =>
      inTransaction(async (c) => {
        for (const [k, v] of Object.entries(counters)) await c.query('UPDATE kv SET value = $1 WHERE key = $2', [String(v), k]);
      }),
    buckets: async () => (await pool.query<BucketRow>(`SELECT ${BUCKET_COLUMNS.join(', ')} FROM history_buckets ORDER BY bucket`)).rows,
    putBuckets: (rows) =>
      inTransaction(async (c) => {
        for (const r of rows) await c.query(`INSERT INTO history_buckets (${BUCKET_COLUMNS.join(', ')}) VALUES (${BUCKET_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})`, BUCKET_COLUMNS.map((k) => r[k]));
      }),
    windows: async () => (await pool.query<WindowRow>('SELECT * FROM maintenance_windows ORDER BY seq')).rows,
    putWindows: (rows) =>
      inTransaction(async (c) => {
        for (const r of rows) {
          await c.query(`INSERT INTO maintenance_windows (${WINDOW_COLUMNS.join(', ')}) VALUES (${WINDOW_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})`, WINDOW_COLUMNS.map((k) => r[k]));
        }
      }),
    // Without statistics the planner guesses a freshly copied fleet into scans: the first nodes.json of a
    // master started right after the copy would take tens of seconds.
    finish: async () => {
      await pool.query('ANALYZE nodes, node_labels, events, kv');
    },
    close: () => store.close(),
  };
}

/** A copy that cannot be made as asked (exit 2, with this message). */
class CopyRefused extends Error {}

const open = (target: string, role: 'source' | 'target') => (isPostgres(target) ? postgresSide(target) : sqliteSide(target, role === 'source'));

/** The usage of copy-db. */
export const COPY_DB_USAGE = `Usage: argus-master copy-db --from <sqlite path | postgres:// URL> --to <postgres:// URL | sqlite path>

Copies every node, event, maintenance window and counter of one registry into a new, empty database (stop every master
first). The source must exist; the target is created and migrated, and refused unless it is empty.

Example:
  argus-master copy-db --from /private/argus/master/db.sqlite3 --to postgres://argus:secret@db:5432/argus
`;

/**
 * Runs the copy; resolves with the exit code (0 done or help, 2 bad arguments, a missing source or a
 * non-empty target). `out` takes the help text, `progress` every other line.
 */
export async function copyDb(args: readonly string[], progress: (line: string) => void, out: (text: string) => void = progress): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    out(COPY_DB_USAGE);
    return 0;
  }
  const opt = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const from = opt('--from');
  const to = opt('--to');
  if (!from || !to || from === to) {
    progress('copy-db: expected --from <sqlite path | postgres:// URL> --to <postgres:// URL | sqlite path> (see copy-db --help)');
    return 2;
  }
  let source: Side;
  try {
    source = await open(from, 'source');
  } catch (err) {
    if (!(err instanceof CopyRefused)) throw err;
    progress(`copy-db: refused: ${err.message}`);
    return 2;
  }
  let target: Side | null = null;
  try {
    target = await open(to, 'target');
    const have = await target.count();
    if (have.nodes > 0 || have.events > 0 || Object.values(have.counters).some((v) => v > 0)) {
      progress(`copy-db: refused: ${target.describe} is not empty (${have.nodes} nodes, ${have.events} events, counters ${JSON.stringify(have.counters)}); copy into a new, empty database`);
      return 2;
    }
    const total = await source.count();
    progress(`copy-db: ${source.describe} → ${target.describe}: ${total.nodes} nodes, ${total.events} events`);
    /** Copies batches read after a cursor until one is empty (bounded), with a progress line each; returns the rows copied. */
    const copyAll = async <R>(what: string, of: number, first: number, read: (after: number) => Promise<R[]>, write: (rows: R[]) => Promise<void>, cursor: (row: R) => number) => {
      let copied = 0;
      for (let after = first, round = 0; round < 10_000_000; round++) {
        const rows = await read(after);
        if (rows.length === 0) break;
        await write(rows);
        copied += rows.length;
        after = cursor(rows.at(-1)!);
        progress(`copy-db: ${what} ${copied}/${of}`);
      }
      return copied;
    };
    const into = target;
    const nodes = await copyAll('nodes', total.nodes, -1, (a) => source.nodes(a), (rows) => into.putNodes(rows), (r) => r.seq);
    const events = await copyAll('events', total.events, 0, (a) => source.events(a), (rows) => into.putEvents(rows), (r) => r.id);
    const windows = await source.windows();
    await target.putWindows(windows);
    await target.putBuckets(await source.buckets());
    // The counters last: a rerun after an interruption finds a non-empty target and refuses.
    const counters = (await source.count()).counters;
    await target.putCounters(counters);
    if (target.finish) {
      progress('copy-db: gathering the target\'s statistics (ANALYZE)');
      await target.finish();
    }
    progress(`copy-db: done: ${nodes} nodes, ${events} events, ${windows.length} maintenance windows, counters ${JSON.stringify(counters)}`);
    return 0;
  } finally {
    await target?.close();
    await source.close();
  }
}
