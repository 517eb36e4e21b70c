// The reads of the SQLite store: its statements (the core's reads, core/reads.ts, use them), the SQL of
// each shape of filter, and GET /nodes's document built by SQLite itself, kept as UTF-8 bytes outside the
// JavaScript heap (8.7 MB at 100,000 nodes) and sent as is. Statements are prepared once, by their text.
import type Database from 'better-sqlite3';
import type { StatusCount } from '../../domain/node.js';
import type { StorageHealthSink } from '../health.js';
import type { NodeFilter, NodeStore } from '../store.js';
import { translate } from './errors.js';
import { KV } from '../keys.js';
import type { EventRow, NodeRow } from '../rows.js';
import { createReads, type FilterPlans, type ReadDialect, type ReadPlans, type SummaryRow } from '../core/reads.js';
import { bound, plan, type Plan } from '../core/tx.js';

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
    // nodes.seq, and would sort every node of the label for each page.
    key: shape.labels ? 'f.seq' : 'nodes.seq',
  };
}

type FilterParams = {
  status: string;
  statuses: string;
  labels: string;
  labelCount: number;
  firstLabel: string;
  q: string;
};

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

/** The statements of one filter: SQL by its shape (prepared once per shape), its parameters bound. */
function filterPlans(f: NodeFilter): FilterPlans {
  const shape = shapeOf(f);
  const { from, where, key } = sqlOf(shape);
  const params = filterParams(f);
  const at = (seq: number, limit?: number) => ({ ...params, seq, ...(limit === undefined ? {} : { limit }) });
  return {
    page: plan<[number, number], SummaryRow>(`SELECT nodes.seq, id, name, status, type, version FROM ${from} WHERE ${key} > @seq AND ${where} ORDER BY ${key} LIMIT @limit`, at),
    recordsAfter: plan<[number, number], NodeRow>(`SELECT nodes.* FROM ${from} WHERE ${key} > @seq AND ${where} ORDER BY ${key} LIMIT @limit`, at),
    recordsBefore: plan<[number, number], NodeRow>(`SELECT nodes.* FROM ${from} WHERE ${key} < @seq AND ${where} ORDER BY ${key} DESC LIMIT @limit`, at),
    anyAfter: plan<[number], { found: number }>(`SELECT EXISTS (SELECT 1 FROM ${from} WHERE ${key} > @seq AND ${where}) AS found`, (seq) => at(seq)),
    anyBefore: plan<[number], { found: number }>(`SELECT EXISTS (SELECT 1 FROM ${from} WHERE ${key} < @seq AND ${where}) AS found`, (seq) => at(seq)),
    count: plan<[], { n: number }>(`SELECT count(*) AS n FROM ${from} WHERE ${where}`, () => params),
    // `+status`: grouping must not pick the status index over the one that serves the filter.
    statistics: plan<[], StatusCount>(`SELECT status, count(*) AS count FROM ${from} WHERE ${where} GROUP BY +status ORDER BY 1`, () => params),
  };
}

/**
 * The statements of GET /events and the streams (SPEC §8.2), each served by an index: the primary key
 * without a filter, (node_id, id) per node, (type, id) per type (migration 010). A filter with an OR over
 * "no filter" walks the primary key from the cursor: `?node_id=ZZ1&limit=1` would read every event
 * after it. Exported so that tests check their query plans.
 */
export const EVENT_SQL = {
  all: 'SELECT id, time, type, node_id, body FROM events WHERE id > @after ORDER BY id LIMIT @limit',
  byNode: `SELECT id, time, type, node_id, body FROM events
           WHERE node_id = @value AND id > @after AND (@anyType OR type IN (SELECT value FROM json_each(@types)))
           ORDER BY id LIMIT @limit`,
  byType: 'SELECT id, time, type, node_id, body FROM events WHERE type = @value AND id > @after ORDER BY id LIMIT @limit',
} as const;

/** The read statements in SQLite's SQL. */
export const SQLITE_READ_PLANS: ReadPlans = {
  nodeById: plan<[string], NodeRow>('SELECT * FROM nodes WHERE id = ?'),
  tokenHash: plan<[string], { token_hash: string | null }>('SELECT token_hash FROM nodes WHERE id = ?'),
  changeVersion: plan<[], { value: string }>(`SELECT value FROM kv WHERE key = '${KV.changeVersion}'`),
  publishVersion: plan<[], { value: string }>(`SELECT value FROM kv WHERE key = '${KV.publishVersion}'`),
  statistics: plan<[], StatusCount>('SELECT status, count(*) AS count FROM nodes GROUP BY status ORDER BY status'),
  sweepPreview: plan<[number], { goingOffline: number; online: number }>(
    "SELECT count(*) FILTER (WHERE last_report < ?) AS goingOffline, count(*) AS online FROM nodes WHERE status = 'online'",
  ),
  getState: plan<[string], { value: string }>(`SELECT value FROM kv WHERE key = '${KV.statePrefix}' || ?`),
  eventBounds: plan<[], { oldest: number | null; last: string }>(`SELECT (SELECT min(id) FROM events) AS oldest, (SELECT value FROM kv WHERE key = '${KV.eventCounter}') AS last`),
  nodeEvents: plan<[string, number, number], EventRow>('SELECT id, time, type, node_id, body FROM events WHERE node_id = ? AND id < ? ORDER BY id DESC LIMIT ?'),
  eventsAll: plan<[number, number], EventRow>(EVENT_SQL.all, (after, limit) => ({ after, limit })),
  eventsOfNode: plan<[string, number, number, readonly string[]], EventRow>(EVENT_SQL.byNode, (value, after, limit, types) => ({ value, after, limit, types: JSON.stringify(types), anyType: types.length === 0 ? 1 : 0 })),
  eventsOfType: plan<[string, number, number], EventRow>(EVENT_SQL.byType, (value, after, limit) => ({ value, after, limit })),
};

/** The reads of the store on `db`; failures are translated and reported to `health`. */
export function createSqliteReads(db: Database.Database, health: StorageHealthSink | undefined): Pick<NodeStore, 'get' | 'tokenHash' | 'listDocument' | 'statistics' | 'changeVersion' | 'publishVersion' | 'sweepPreview' | 'getState' | 'events' | 'nodeEvents' | 'eventBounds' | 'listPage' | 'browse' | 'statisticsOf'> {
  const statements = new Map<string, Database.Statement>();
  const prepared = (sql: string) => {
    let stmt = statements.get(sql);
    if (!stmt) statements.set(sql, (stmt = db.prepare(sql)));
    return stmt;
  };
  const listDocument = db.prepare<[], { doc: Buffer }>(
    `SELECT CAST(json_group_array(json_object('id', id, 'name', name, 'status', status, 'type', type, 'version', version) ORDER BY seq) AS BLOB) AS doc
     FROM nodes`,
  );
  const dialect: ReadDialect = {
    plans: SQLITE_READ_PLANS,
    read: async <A extends readonly unknown[], R>(p: Plan<A, R>, ...args: A) => {
      try {
        const params = bound(p, args);
        return prepared(p.sql).all(...(Array.isArray(params) ? params : [params])) as R[];
      } catch (err) {
        return translate(err, health, 'read');
      }
    },
    filter: filterPlans,
    async listDocument() {
      try {
        return listDocument.get()!.doc;
      } catch (err) {
        return translate(err, health, 'read');
      }
    },
  };
  return createReads(dialect);
}
