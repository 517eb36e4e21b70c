// The reads of the SQLite store, with its read caches. Guarantee: the list and the statistics are cached
// until the change version moves (read before the query, so a change committed in between causes one
// more refresh, never a stale answer), in any process; the list is kept as UTF-8 bytes outside the
// JavaScript heap (8.7 MB at 100,000 nodes) and sent as is.
import type Database from 'better-sqlite3';
import type { NodeSummary, StatusCount } from '../../domain/node.js';
import type { StorageHealthSink } from '../health.js';
import type { NodeFilter, NodeStore } from '../store.js';
import { guardedRead } from './errors.js';
import { KV_EVENT_COUNTER, KV_LIST_VERSION } from './kv.js';
import { fromEventRow, fromRow, type EventRow, type NodeRow } from '../rows.js';

/** Which conditions a filter has: each shape gets its own statements, so that SQLite can use the index that fits. */
interface Shape {
  statuses: 'none' | 'one' | 'many';
  labels: boolean;
  q: boolean;
  /** Written as a literal (`flapping = 1`): SQLite uses the partial index of flapping nodes only then. */
  flapping: 'any' | 'yes' | 'no';
}

const shapeOf = (f: NodeFilter): Shape => ({
  statuses: f.statuses.length === 0 ? 'none' : new Set(f.statuses).size === 1 ? 'one' : 'many',
  labels: f.labels.length > 0,
  q: (f.q ?? '') !== '',
  flapping: f.flapping === null ? 'any' : f.flapping ? 'yes' : 'no',
});

/**
 * The SQL of a filter's shape: the rows it reads (every node, or, with labels, the nodes having the
 * first label, through the label index: a 1% label reads 1% of the table) and its conditions. A single
 * status is `status = @status`, so that the (status, seq) index serves a keyset page in order.
 */
function sqlOf(shape: Shape): { from: string; where: string; key: string } {
  const conditions = [
    shape.statuses === 'one' ? 'status = @status' : shape.statuses === 'many' ? 'status IN (SELECT value FROM json_each(@statuses))' : null,
    shape.labels ? '(SELECT count(*) FROM node_labels l WHERE l.seq = nodes.seq AND l.label IN (SELECT value FROM json_each(@labels))) = @labelCount' : null,
    shape.q
      ? `(instr(lower(id), @q) > 0 OR instr(lower(name), @q) > 0
          OR instr(lower(CASE WHEN json_type(meta_data, '$.hostname') = 'text' THEN meta_data ->> '$.hostname' ELSE '' END), @q) > 0
          OR instr(lower(CASE WHEN json_type(meta_data, '$.ip') = 'text' THEN meta_data ->> '$.ip' ELSE '' END), @q) > 0)`
      : null,
    shape.flapping === 'any' ? null : `flapping = ${shape.flapping === 'yes' ? 1 : 0}`,
  ].filter((c): c is string => c !== null);
  return {
    from: shape.labels ? 'node_labels f JOIN nodes ON nodes.seq = f.seq AND f.label = @firstLabel' : 'nodes',
    where: conditions.length > 0 ? conditions.join(' AND ') : '1',
    // Keyset and order on the label index's own seq: SQLite does not carry the order of f.seq over to
    // nodes.seq, and sorted every node of the label for each page (190 ms for a label all 100,000 have).
    key: shape.labels ? 'f.seq' : 'nodes.seq',
  };
}

interface FilterParams {
  status: string;
  statuses: string;
  labels: string;
  labelCount: number;
  firstLabel: string;
  q: string;
}

function filterParams(f: NodeFilter): FilterParams {
  return {
    status: f.statuses[0] ?? '',
    statuses: JSON.stringify(f.statuses),
    labels: JSON.stringify(f.labels),
    labelCount: new Set(f.labels).size,
    firstLabel: f.labels[0] ?? '',
    q: (f.q ?? '').toLowerCase(),
  };
}

/** The number part of a node ID (its `seq`: an ID is a prefix that does not end with a digit, then it). */
const seqOf = (id: string) => Number(/(\d+)$/.exec(id)?.[1] ?? 0);

/** The statements of filtered lists and statistics of one shape. */
function filteredStatements(db: Database.Database, shape: Shape) {
  const { from, where, key } = sqlOf(shape);
  return {
    // One more row than the page is read: whether it exists says whether a next page does.
    page: db.prepare<[FilterParams & { afterSeq: number; limit: number }], { doc: Buffer; last: string | null; more: number }>(
      `WITH p AS MATERIALIZED (SELECT nodes.seq, id, name, status, type, version FROM ${from} WHERE ${key} > @afterSeq AND ${where} ORDER BY ${key} LIMIT @limit + 1),
            page AS MATERIALIZED (SELECT * FROM p ORDER BY seq LIMIT @limit)
       SELECT CAST(json_group_array(json_object('id', id, 'name', name, 'status', status, 'type', type, 'version', version) ORDER BY seq) AS BLOB) AS doc,
              (SELECT id FROM page ORDER BY seq DESC LIMIT 1) AS last, (SELECT count(*) FROM p) > @limit AS more
       FROM page`,
    ),
    // Full records either side of a seq (the dashboard's pages), one more row than asked for.
    recordsAfter: db.prepare<[FilterParams & { seq: number; limit: number }], NodeRow>(
      `SELECT nodes.* FROM ${from} WHERE ${key} > @seq AND ${where} ORDER BY ${key} LIMIT @limit + 1`,
    ),
    recordsBefore: db.prepare<[FilterParams & { seq: number; limit: number }], NodeRow>(
      `SELECT nodes.* FROM ${from} WHERE ${key} < @seq AND ${where} ORDER BY ${key} DESC LIMIT @limit + 1`,
    ),
    anyBefore: db.prepare<[FilterParams & { seq: number }], { found: number }>(
      `SELECT EXISTS (SELECT 1 FROM ${from} WHERE ${key} < @seq AND ${where}) AS found`,
    ),
    anyAfter: db.prepare<[FilterParams & { seq: number }], { found: number }>(
      `SELECT EXISTS (SELECT 1 FROM ${from} WHERE ${key} > @seq AND ${where}) AS found`,
    ),
    count: db.prepare<[FilterParams], { n: number }>(`SELECT count(*) AS n FROM ${from} WHERE ${where}`),
    // `+status`: grouping must not pick the status index over the one that serves the filter.
    statsOf: db.prepare<[FilterParams], StatusCount>(`SELECT status, count(*) AS count FROM ${from} WHERE ${where} GROUP BY +status ORDER BY 1`),
  };
}

/** Parameters of the event statements (`value`: the node ID or type read; `types`: a JSON array, `anyType` when empty). */
interface EventParams {
  after: number;
  limit: number;
  value: string;
  types: string;
  anyType: number;
}

/**
 * The statements of GET /events and the streams (SPEC §8.2), each served by an index: the primary key
 * without a filter, (node_id, id) per node, (type, id) per type (migration 010). A filter with an OR over
 * "no filter" walked the primary key from the cursor: `?node_id=ZZ1&limit=1` read every event after it
 * (72–152 ms at 500,000 events). Exported so that tests check their query plans.
 */
export const EVENT_SQL = {
  all: 'SELECT id, time, type, node_id, body FROM events WHERE id > @after ORDER BY id LIMIT @limit',
  byNode: `SELECT id, time, type, node_id, body FROM events
           WHERE node_id = @value AND id > @after AND (@anyType OR type IN (SELECT value FROM json_each(@types)))
           ORDER BY id LIMIT @limit`,
  byType: 'SELECT id, time, type, node_id, body FROM events WHERE type = @value AND id > @after ORDER BY id LIMIT @limit',
} as const;

/** The first `limit` events of several pages (each in id order), in id order. */
export function mergeEvents(pages: EventRow[][], limit: number) {
  const rows = pages.length === 1 ? pages[0]! : pages.flat().sort((a, b) => a.id - b.id);
  return rows.slice(0, limit).map(fromEventRow);
}

/** The reads of the store on `db`; failures are translated and reported to `health`. */
export function createReads(db: Database.Database, health: StorageHealthSink | undefined): Pick<NodeStore, 'get' | 'tokenHash' | 'list' | 'listDocument' | 'statistics' | 'changeVersion' | 'sweepPreview' | 'getState' | 'events' | 'nodeEvents' | 'eventBounds' | 'listPage' | 'browse' | 'statisticsOf'> {
  const q = {
    byId: db.prepare<[string], NodeRow>('SELECT * FROM nodes WHERE id = ?'),
    tokenHash: db.prepare<[string], { token_hash: string | null }>('SELECT token_hash FROM nodes WHERE id = ?'),
    listDocument: db.prepare<[], { doc: Buffer }>(
      `SELECT CAST(json_group_array(json_object('id', id, 'name', name, 'status', status, 'type', type, 'version', version) ORDER BY seq) AS BLOB) AS doc
       FROM nodes`,
    ),
    listVersion: db.prepare<[], { value: string }>(`SELECT value FROM kv WHERE key = '${KV_LIST_VERSION}'`),
    stats: db.prepare<[], StatusCount>('SELECT status, count(*) AS count FROM nodes GROUP BY status ORDER BY status'),
    preview: db.prepare<[{ cutoff: number }], { goingOffline: number; online: number }>(
      `SELECT count(*) FILTER (WHERE last_report < @cutoff) AS goingOffline, count(*) AS online
       FROM nodes WHERE status = 'online'`,
    ),
    eventBounds: db.prepare<[], { oldest: number | null; last: string }>(
      `SELECT (SELECT min(id) FROM events) AS oldest, (SELECT value FROM kv WHERE key = '${KV_EVENT_COUNTER}') AS last`,
    ),
    eventsAll: db.prepare<[EventParams], EventRow>(EVENT_SQL.all),
    eventsByNode: db.prepare<[EventParams], EventRow>(EVENT_SQL.byNode),
    eventsByType: db.prepare<[EventParams], EventRow>(EVENT_SQL.byType),
    nodeEvents: db.prepare<[{ node: string; before: number; limit: number }], EventRow>(
      'SELECT id, time, type, node_id, body FROM events WHERE node_id = @node AND id < @before ORDER BY id DESC LIMIT @limit',
    ),
    getState: db.prepare<[string], { value: string }>("SELECT value FROM kv WHERE key = 'state:' || ?"),
  };
  const guarded = guardedRead(health);
  // Prepared on first use, per shape (at most 3 × 2 × 2 × 3 = 36).
  const byShape = new Map<string, ReturnType<typeof filteredStatements>>();
  const statementsFor = (f: NodeFilter) => {
    const shape = shapeOf(f);
    const key = JSON.stringify(shape);
    let st = byShape.get(key);
    if (!st) byShape.set(key, (st = filteredStatements(db, shape)));
    return st;
  };
  /** Values cached for the current change version only, by key (at most 256 keys: the oldest goes first). */
  const versioned = <T>() => {
    let version = '';
    let byKey = new Map<string, T>();
    return {
      get(query: () => T, key = ''): T {
        const v = q.listVersion.get()!.value;
        if (v !== version) {
          version = v;
          byKey = new Map();
        }
        let value = byKey.get(key);
        if (value === undefined) {
          value = query();
          // Full: the oldest key goes (300 one-off filters must not lock out the next, common one).
          if (byKey.size >= 256) byKey.delete(byKey.keys().next().value!);
          byKey.set(key, value);
        }
        return value;
      },
    };
  };
  const listCache = versioned<Buffer>();
  const statsCache = versioned<StatusCount[]>();
  // Totals of filtered lists, per filter.
  const counts = versioned<number>();

  return {
    get: (id) => guarded(() => {
      const row = q.byId.get(id);
      return row ? fromRow(row) : null;
    }),
    tokenHash: (id) => guarded(() => q.tokenHash.get(id)?.token_hash ?? null),
    listDocument: () => guarded(() => listCache.get(() => q.listDocument.get()!.doc)),
    list: () => guarded(() => JSON.parse(q.listDocument.get()!.doc.toString('utf8')) as NodeSummary[]),
    statistics: () => guarded(() => statsCache.get(() => q.stats.all())),
    changeVersion: () => guarded(() => q.listVersion.get()!.value),
    sweepPreview: (cutoffs) => guarded(() => q.preview.get({ cutoff: cutoffs.offlineBeforeMs })!),
    getState: (key) => guarded(() => q.getState.get(key)?.value ?? null),
    // The total of a filter is cached until the change version moves (counting is a scan of the table;
    // a dashboard asks the same filter page after page).
    listPage: (filter, after, limit) =>
      guarded(() => {
        const params = filterParams(filter);
        const afterSeq = after === null ? -1 : seqOf(after);
        const st = statementsFor(filter);
        const page = st.page.get({ ...params, afterSeq, limit })!;
        const total = counts.get(() => st.count.get(params)!.n, JSON.stringify([shapeOf(filter), params]));
        return { doc: page.doc, total, next: page.more === 1 ? page.last : null };
      }),
    browse: (filter, cursor, limit) =>
      guarded(() => {
        const params = filterParams(filter);
        const st = statementsFor(filter);
        const total = counts.get(() => st.count.get(params)!.n, JSON.stringify([shapeOf(filter), params]));
        if ('before' in cursor) {
          const rows = st.recordsBefore.all({ ...params, seq: seqOf(cursor.before), limit });
          const page = rows.slice(0, limit).reverse();
          const last = page.at(-1);
          return {
            nodes: page.map(fromRow),
            total,
            prev: rows.length > limit ? page[0]!.id : null,
            next: last && st.anyAfter.get({ ...params, seq: last.seq })!.found ? last.id : null,
          };
        }
        const rows = st.recordsAfter.all({ ...params, seq: cursor.after === null ? -1 : seqOf(cursor.after), limit });
        const page = rows.slice(0, limit);
        const first = page[0];
        return {
          nodes: page.map(fromRow),
          total,
          next: rows.length > limit ? page.at(-1)!.id : null,
          prev: cursor.after !== null && first && st.anyBefore.get({ ...params, seq: first.seq })!.found ? first.id : null,
        };
      }),
    statisticsOf: (filter) => guarded(() => statementsFor(filter).statsOf.all(filterParams(filter))),
    events: (query) =>
      guarded(() => {
        const base = { after: query.after, limit: query.limit, types: JSON.stringify(query.types), anyType: query.types.length === 0 ? 1 : 0, value: '' };
        // A node filter reads each node's events through the node index, a type filter each type's
        // through the type index, and the pages are merged: a filter never walks the whole table.
        if (query.nodeIds.length > 0) return mergeEvents([...new Set(query.nodeIds)].map((value) => q.eventsByNode.all({ ...base, value })), query.limit);
        if (query.types.length > 0) return mergeEvents([...new Set(query.types)].map((value) => q.eventsByType.all({ ...base, value })), query.limit);
        return q.eventsAll.all(base).map(fromEventRow);
      }),
    nodeEvents: (nodeId, beforeId, limit) => guarded(() => q.nodeEvents.all({ node: nodeId, before: beforeId ?? Number.MAX_SAFE_INTEGER, limit }).map(fromEventRow)),
    eventBounds: () => guarded(() => {
      const r = q.eventBounds.get()!;
      return { oldest: r.oldest, last: Number(r.last) };
    }),
  };
}
