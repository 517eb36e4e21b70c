// The reads of the SQLite store: its statements (the core's reads, core/reads.ts, use them), the SQL of
// each shape of filter, and GET /nodes's document built by SQLite itself, kept as UTF-8 bytes outside the
// JavaScript heap (8.7 MB at 100,000 nodes) and sent as is. Statements are prepared once, by their text.
import type Database from 'better-sqlite3';
import type { StatusCount } from '../../domain/node.js';
import type { StorageHealthSink } from '../health.js';
import type { NodeFilter } from '../store.js';
import { translate } from './errors.js';
import { sqliteCoverage } from './maintenance-plans.js';
import { SQLITE_OUTBOX_PLANS } from './notification-plans.js';
import { SQLITE_AVAILABILITY } from './availability-sql.js';
import type { WindowRow } from '../core/maintenance.js';
import { KV } from '../keys.js';
import { CAPACITY_KEYS, type EventRow, type NodeRow } from '../rows.js';
import { createReads, type FilterPlans, type ReadDialect, type ReadPlans, type SummaryRow } from '../core/reads.js';
import { bound, plan, type Plan } from '../core/tx.js';
import { drivingLabel } from '../../domain/selector.js';
import type { GroupBy, GroupRow } from '../../domain/grouping.js';
import { namedBinder, selectorWhere } from './selector-sql.js';

/**
 * The SQL of a filter: the rows it reads (every node, or the nodes having a label every selected node
 * has, through the label index: a 1% label reads 1% of the table), its conditions (the selector's, and
 * the search's) and their parameters. Statements are prepared once per text; values are parameters.
 */
export function sqlOf(f: NodeFilter): { from: string; where: string; key: string; params: Record<string, unknown> } {
  const params: Record<string, unknown> = {};
  const bind = namedBinder(params);
  const driving = drivingLabel(f.selector);
  const label = driving?.label ?? null;
  const q = (f.q ?? '').toLowerCase();
  const conditions = [selectorWhere(driving?.rest ?? f.selector, bind)];
  if (q !== '') {
    const needle = bind(q);
    conditions.push(`(instr(lower(id), ${needle}) > 0 OR instr(lower(name), ${needle}) > 0
          OR instr(lower(CASE WHEN json_type(meta_data, '$.hostname') = 'text' THEN meta_data ->> '$.hostname' ELSE '' END), ${needle}) > 0
          OR instr(lower(CASE WHEN json_type(meta_data, '$.ip') = 'text' THEN meta_data ->> '$.ip' ELSE '' END), ${needle}) > 0)`);
  }
  return {
    from: label === null ? 'nodes' : `node_labels f JOIN nodes ON nodes.seq = f.seq AND f.label = ${bind(label)}`,
    where: conditions.join(' AND '),
    // Keyset and order on the label index's own seq: SQLite does not carry the order of f.seq over to
    // nodes.seq, and would sort every node of the label for each page.
    key: label === null ? 'nodes.seq' : 'f.seq',
    params,
  };
}

/** The capacity columns summed over a group's online nodes (kept from meta_data's numbers by every write). */
const CAPACITY = CAPACITY_KEYS.map((k, i) => `total(CASE WHEN nodes.status = 'online' THEN nodes.${k} END) AS ${['cpu', 'gpu', 'memory'][i]}`).join(', ');

/** A filter's statistics by a column, a meta_data path or a label key (SPEC §17): a row per key and status. */
function groupedPlan(f: NodeFilter, by: GroupBy): Plan<[], GroupRow> {
  const { from, where, params } = sqlOf(f);
  const key = groupKeySql(by, params);
  return plan<[], GroupRow>(`SELECT ${key} AS key, nodes.status AS status, count(*) AS count, ${CAPACITY} FROM ${from} WHERE ${where} GROUP BY 1, 2`, () => params);
}

/** The SQL of a node's group key (null: it has none), its values bound into `params`. */
export function groupKeySql(by: GroupBy, params: Record<string, unknown>): string {
  let n = 0;
  const bind = (v: unknown) => {
    const name = `g${n++}`;
    params[name] = v;
    return `@${name}`;
  };
  if (by.kind === 'column') return `nodes.${by.column}`;
  if (by.kind === 'meta') {
    const path = bind(`$${by.path.map((p) => `."${p}"`).join('')}`);
    return `CASE json_type(nodes.meta_data, ${path}) WHEN 'text' THEN nodes.meta_data ->> ${path} WHEN 'integer' THEN CAST(nodes.meta_data ->> ${path} AS TEXT)
           WHEN 'real' THEN CAST(nodes.meta_data ->> ${path} AS TEXT) WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' END`;
  }
  return `(SELECT substr(l.label, ${bind(by.key.length + 2)}) FROM node_labels l WHERE l.seq = nodes.seq AND l.label >= ${bind(`${by.key}=`)} AND l.label < ${bind(`${by.key}>`)} ORDER BY l.label LIMIT 1)`;
}

/** The statements of one filter: SQL by its text (prepared once per text), its parameters bound. */
function filterPlans(f: NodeFilter): FilterPlans {
  const { from, where, key, params } = sqlOf(f);
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

/** Prepared read statements kept per connection (most recently used). */
const PREPARED_KEPT = 500;

/** The read statements in SQLite's SQL. */
export const SQLITE_READ_PLANS: ReadPlans = {
  nodeById: plan<[string], NodeRow>('SELECT * FROM nodes WHERE id = ?'),
  tokenHash: plan<[string], { token_hash: string | null }>('SELECT token_hash FROM nodes WHERE id = ?'),
  changeVersion: plan<[], { value: string }>(`SELECT value FROM kv WHERE key = '${KV.changeVersion}'`),
  publishVersion: plan<[], { value: string }>(`SELECT value FROM kv WHERE key = '${KV.publishVersion}'`),
  statistics: plan<[], StatusCount>('SELECT status, count(*) AS count FROM nodes GROUP BY status ORDER BY status'),
  sweepPreview: plan<[number], { goingOffline: number; online: number }>(
    "SELECT count(*) FILTER (WHERE last_report < ?) AS goingOffline, count(*) AS online FROM nodes WHERE status = 'online' AND maintenance IS NULL",
  ),
  getState: plan<[string], { value: string }>(`SELECT value FROM kv WHERE key = '${KV.statePrefix}' || ?`),
  eventBounds: plan<[], { oldest: number | null; last: string }>(`SELECT (SELECT min(id) FROM events) AS oldest, (SELECT value FROM kv WHERE key = '${KV.eventCounter}') AS last`),
  nodeEvents: plan<[string, number, number], EventRow>('SELECT id, time, type, node_id, body FROM events WHERE node_id = ? AND id < ? ORDER BY id DESC LIMIT ?'),
  eventsAll: plan<[number, number], EventRow>(EVENT_SQL.all, (after, limit) => ({ after, limit })),
  eventsOfNode: plan<[string, number, number, readonly string[]], EventRow>(EVENT_SQL.byNode, (value, after, limit, types) => ({ value, after, limit, types: JSON.stringify(types), anyType: types.length === 0 ? 1 : 0 })),
  healthCounts: plan<[], { degraded: number; in_maintenance: number }>(
    "SELECT (SELECT count(*) FROM nodes WHERE health_state = 'degraded') AS degraded, (SELECT count(*) FROM nodes WHERE maintenance IS NOT NULL) AS in_maintenance",
  ),
  failingComponents: plan<[], { component: string; count: number }>(
    `SELECT c.value ->> '$.component' AS component, count(*) AS count FROM nodes, json_each(nodes.conditions) c
     WHERE nodes.health_state = 'degraded' GROUP BY 1 ORDER BY 2 DESC, 1`,
  ),
  windowById: plan<[string], WindowRow>('SELECT * FROM maintenance_windows WHERE id = ?'),
  allWindows: plan<[], WindowRow>('SELECT * FROM maintenance_windows ORDER BY seq DESC'),
  eventsOfType: plan<[string, number, number], EventRow>(EVENT_SQL.byType, (value, after, limit) => ({ value, after, limit })),
};

/** The reads of the store on `db`; failures are translated and reported to `health`. */
export function createSqliteReads(db: Database.Database, health: StorageHealthSink | undefined): ReturnType<typeof createReads> {
  // Prepared once per text; selectors make the texts many, so the least recently used go beyond a bound.
  const statements = new Map<string, Database.Statement>();
  const prepared = (sql: string) => {
    let stmt = statements.get(sql);
    if (stmt) statements.delete(sql);
    else stmt = db.prepare(sql);
    statements.set(sql, stmt);
    if (statements.size > PREPARED_KEPT) statements.delete(statements.keys().next().value!);
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
    coverage: sqliteCoverage,
    outbox: SQLITE_OUTBOX_PLANS,
    availability: SQLITE_AVAILABILITY,
    grouped: groupedPlan,
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
