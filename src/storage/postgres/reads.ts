// The reads of the PostgreSQL store, with its read caches: the same queries as SQLite's reads.ts.
// Guarantee: the list, the statistics and the totals of filtered lists are cached until the change version moves (read
// before the query, so a change committed in between causes one more refresh, never a stale answer),
// whichever master made the change.
import type pg from 'pg';
import type { NodeSummary, StatusCount } from '../../domain/node.js';
import type { StorageHealthSink } from '../health.js';
import { fromEventRow, fromRow, type EventRow, type NodeRow } from '../rows.js';
import type { NodeFilter, NodeStore } from '../store.js';
import { guardedRead } from './errors.js';

/** A filter as SQL: the rows it reads, its conditions, and their parameters (from `$${first}` on). */
export function filterSql(f: NodeFilter, first = 1): { from: string; where: string; params: unknown[] } {
  const params: unknown[] = [];
  const p = (v: unknown) => {
    params.push(v);
    return `$${first + params.length - 1}`;
  };
  const conditions: string[] = [];
  let from = 'nodes';
  if (f.statuses.length > 0) conditions.push(`nodes.status = ANY(${p([...f.statuses])}::text[])`);
  if (f.labels.length > 0) {
    from = `node_labels f JOIN nodes ON nodes.seq = f.seq AND f.label = ${p(f.labels[0])}`;
    const distinct = [...new Set(f.labels)];
    conditions.push(`(SELECT count(*) FROM node_labels l WHERE l.seq = nodes.seq AND l.label = ANY(${p(distinct)}::text[])) = ${p(distinct.length)}`);
  }
  const q = (f.q ?? '').toLowerCase();
  if (q !== '') {
    const needle = p(q);
    const meta = (k: string) => `lower(CASE WHEN json_typeof(nodes.meta_data::json -> '${k}') = 'string' THEN nodes.meta_data::json ->> '${k}' ELSE '' END)`;
    conditions.push(`(strpos(lower(nodes.id), ${needle}) > 0 OR strpos(lower(nodes.name), ${needle}) > 0 OR strpos(${meta('hostname')}, ${needle}) > 0 OR strpos(${meta('ip')}, ${needle}) > 0)`);
  }
  // A literal, so that the partial index of flapping nodes serves `flapping = 1`.
  if (f.flapping !== null) conditions.push(`nodes.flapping = ${f.flapping ? 1 : 0}`);
  return { from, where: conditions.length > 0 ? conditions.join(' AND ') : 'true', params };
}

/**
 * The statements of GET /events and the streams (SPEC §8.2): $1 after, $2 limit, $3 the node IDs or types
 * read, $4 (by node) the types its events must have (empty: any). Each is served by an index (the primary
 * key; (node_id, id) per node; (type, id) per type, migration 004), never a walk of the table from the
 * cursor. Exported so that tests check their plans.
 */
export const PG_EVENT_SQL = {
  all: 'SELECT id, time, type, node_id, body FROM events WHERE id > $1 ORDER BY id LIMIT $2',
  byNode: `SELECT e.id, e.time, e.type, e.node_id, e.body FROM unnest($3::text[]) AS v(value)
           CROSS JOIN LATERAL (SELECT id, time, type, node_id, body FROM events
                               WHERE node_id = v.value AND id > $1 AND (cardinality($4::text[]) = 0 OR type = ANY($4::text[]))
                               ORDER BY id LIMIT $2) e
           ORDER BY e.id LIMIT $2`,
  byType: `SELECT e.id, e.time, e.type, e.node_id, e.body FROM unnest($3::text[]) AS v(value)
           CROSS JOIN LATERAL (SELECT id, time, type, node_id, body FROM events WHERE type = v.value AND id > $1 ORDER BY id LIMIT $2) e
           ORDER BY e.id LIMIT $2`,
} as const;

/** The number part of a node ID. */
const seqOf = (id: string) => Number(/(\d+)$/.exec(id)?.[1] ?? 0);

const summaryOf = (r: NodeSummary): NodeSummary => ({ id: r.id, name: r.name, status: r.status, type: r.type, version: r.version });

export function createPgReads(pool: pg.Pool, health: StorageHealthSink | undefined): Pick<NodeStore, 'get' | 'tokenHash' | 'list' | 'listDocument' | 'statistics' | 'changeVersion' | 'sweepPreview' | 'getState' | 'events' | 'nodeEvents' | 'eventBounds' | 'listPage' | 'browse' | 'statisticsOf'> {
  const guarded = guardedRead(health);
  const one = async <R extends pg.QueryResultRow>(sql: string, params: unknown[] = []) => (await pool.query<R>(sql, params)).rows[0];
  const all = async <R extends pg.QueryResultRow>(sql: string, params: unknown[] = []) => (await pool.query<R>(sql, params)).rows;
  const version = async () => (await one<{ value: string }>("SELECT value FROM kv WHERE key = 'list_version'"))!.value;

  /** Values cached for the current change version only, by key (at most 256 keys: the oldest goes first). */
  const versioned = <T>() => {
    let at = '';
    let byKey = new Map<string, T>();
    return {
      async get(query: () => Promise<T>, key = ''): Promise<T> {
        const v = await version();
        if (v !== at) {
          at = v;
          byKey = new Map();
        }
        let value = byKey.get(key);
        if (value === undefined) {
          value = await query();
          if (v === at) {
            // Full: the oldest key goes (300 one-off filters must not lock out the next, common one).
            if (byKey.size >= 256) byKey.delete(byKey.keys().next().value!);
            byKey.set(key, value);
          }
        }
        return value;
      },
    };
  };
  const listCache = versioned<Buffer>();
  const counts = versioned<number>();
  const statsCache = versioned<StatusCount[]>();

  const summaries = async () => (await all<NodeSummary>('SELECT id, name, status, type, version FROM nodes ORDER BY seq')).map(summaryOf);
  const statsOf = async (f: NodeFilter | null) => {
    const s = f ? filterSql(f) : { from: 'nodes', where: 'true', params: [] };
    return (await all<StatusCount>(`SELECT nodes.status AS status, count(*)::int AS count FROM ${s.from} WHERE ${s.where} GROUP BY nodes.status ORDER BY nodes.status COLLATE "C"`, s.params));
  };
  const totalOf = (f: NodeFilter) =>
    counts.get(async () => {
      const s = filterSql(f);
      return (await one<{ n: number }>(`SELECT count(*)::int AS n FROM ${s.from} WHERE ${s.where}`, s.params))!.n;
    }, JSON.stringify(f));

  return {
    get: (id) => guarded(async () => {
      const row = await one<NodeRow>('SELECT * FROM nodes WHERE id = $1', [id]);
      return row ? fromRow(row) : null;
    }),
    tokenHash: (id) => guarded(async () => (await one<{ token_hash: string | null }>('SELECT token_hash FROM nodes WHERE id = $1', [id]))?.token_hash ?? null),
    list: () => guarded(summaries),
    listDocument: () => guarded(() => listCache.get(async () => Buffer.from(JSON.stringify(await summaries()), 'utf8'))),
    statistics: () => guarded(() => statsCache.get(() => statsOf(null))),
    statisticsOf: (filter) => guarded(() => statsOf(filter)),
    changeVersion: () => guarded(version),
    sweepPreview: (cutoffs) =>
      guarded(async () => (await one<{ goingOffline: number; online: number }>(
        `SELECT (count(*) FILTER (WHERE last_report < $1))::int AS "goingOffline", count(*)::int AS online FROM nodes WHERE status = 'online'`,
        [cutoffs.offlineBeforeMs],
      ))!),
    getState: (key) => guarded(async () => (await one<{ value: string }>("SELECT value FROM kv WHERE key = 'state:' || $1", [key]))?.value ?? null),
    listPage: (filter, after, limit) =>
      guarded(async () => {
        const s = filterSql(filter, 3);
        // The page and its total (the change version, and a count when it moved) on two of the pool's
        // connections at once: one round trip to wait for instead of two.
        const [rows, total] = await Promise.all([
          all<NodeSummary & { seq: number }>(
            `SELECT nodes.seq, nodes.id, nodes.name, nodes.status, nodes.type, nodes.version FROM ${s.from} WHERE nodes.seq > $1 AND ${s.where} ORDER BY nodes.seq LIMIT $2`,
            [after === null ? -1 : seqOf(after), limit + 1, ...s.params],
          ),
          totalOf(filter),
        ]);
        const page = rows.slice(0, limit);
        return { doc: Buffer.from(JSON.stringify(page.map(summaryOf)), 'utf8'), total, next: rows.length > limit ? page.at(-1)!.id : null };
      }),
    browse: (filter, cursor, limit) =>
      guarded(async () => {
        const s = filterSql(filter, 3);
        const e = filterSql(filter, 2);
        const exists = async (op: '<' | '>', seq: number) =>
          (await one<{ found: boolean }>(`SELECT EXISTS (SELECT 1 FROM ${e.from} WHERE nodes.seq ${op} $1 AND ${e.where}) AS found`, [seq, ...e.params]))!.found;
        // The total on a connection of its own while the page is read (as listPage).
        const totalRead = totalOf(filter);
        totalRead.catch(() => undefined); // awaited below; a page query that fails first must not leave it unhandled
        if ('before' in cursor) {
          const rows = await all<NodeRow>(`SELECT nodes.* FROM ${s.from} WHERE nodes.seq < $1 AND ${s.where} ORDER BY nodes.seq DESC LIMIT $2`, [seqOf(cursor.before), limit + 1, ...s.params]);
          const total = await totalRead;
          const page = rows.slice(0, limit).reverse();
          const last = page.at(-1);
          return { nodes: page.map(fromRow), total, prev: rows.length > limit ? page[0]!.id : null, next: last && (await exists('>', last.seq)) ? last.id : null };
        }
        const rows = await all<NodeRow>(`SELECT nodes.* FROM ${s.from} WHERE nodes.seq > $1 AND ${s.where} ORDER BY nodes.seq LIMIT $2`, [cursor.after === null ? -1 : seqOf(cursor.after), limit + 1, ...s.params]);
        const total = await totalRead;
        const page = rows.slice(0, limit);
        const first = page[0];
        return { nodes: page.map(fromRow), total, next: rows.length > limit ? page.at(-1)!.id : null, prev: cursor.after !== null && first && (await exists('<', first.seq)) ? first.id : null };
      }),
    events: (query) =>
      guarded(async () => {
        // A node filter reads each node's events through the node index, a type filter each type's
        // through the type index (one round trip: a lateral join per value), never the whole table.
        const page = [query.after, query.limit];
        const rows = query.nodeIds.length > 0
          ? await all<EventRow>(PG_EVENT_SQL.byNode, [...page, [...new Set(query.nodeIds)], [...query.types]])
          : query.types.length > 0 ? await all<EventRow>(PG_EVENT_SQL.byType, [...page, [...new Set(query.types)]]) : await all<EventRow>(PG_EVENT_SQL.all, page);
        return rows.map(fromEventRow);
      }),
    nodeEvents: (nodeId, beforeId, limit) =>
      guarded(async () => (await all<EventRow>('SELECT id, time, type, node_id, body FROM events WHERE node_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3', [nodeId, beforeId ?? Number.MAX_SAFE_INTEGER, limit])).map(fromEventRow)),
    eventBounds: () =>
      guarded(async () => {
        const r = (await one<{ oldest: number | null; last: string }>("SELECT (SELECT min(id) FROM events) AS oldest, (SELECT value FROM kv WHERE key = 'event_id_counter') AS last"))!;
        return { oldest: r.oldest, last: Number(r.last) };
      }),
  };
}
