// The reads of the PostgreSQL store: its statements (the core's reads, core/reads.ts, use them), the SQL
// of a filter with its parameters, and GET /nodes's document.
import type pg from 'pg';
import { KV } from '../keys.js';
import type { NodeSummary, StatusCount } from '../../domain/node.js';
import type { StorageHealthSink } from '../health.js';
import { CAPACITY_KEYS, type EventRow, type NodeRow } from '../rows.js';
import type { NodeFilter } from '../store.js';
import { createReads, type FilterPlans, type ReadDialect, type ReadPlans, type SummaryRow } from '../core/reads.js';
import { bound, plan, type Plan } from '../core/tx.js';
import { translate } from './errors.js';
import { pgCoverage } from './maintenance-plans.js';
import type { WindowRow } from '../core/maintenance.js';
import { drivingLabel } from '../../domain/selector.js';
import { positionalBinder, selectorWhere } from './selector-sql.js';
import { PG_OUTBOX_PLANS } from './notification-plans.js';
import { PG_AVAILABILITY } from './availability-sql.js';
import type { GroupBy, GroupRow } from '../../domain/grouping.js';

/** A filter as SQL: the rows it reads, its conditions, and their parameters (from `$${first}` on). */
export function filterSql(f: NodeFilter, first = 1): { from: string; where: string; params: unknown[] } {
  const params: unknown[] = [];
  const bind = positionalBinder(params, first);
  const driving = drivingLabel(f.selector);
  // Through the label index when every selected node has one label (a 1% label reads 1% of the table).
  const from = driving === null ? 'nodes' : `node_labels f JOIN nodes ON nodes.seq = f.seq AND f.label = ${bind(driving.label)}::text`;
  const conditions = [selectorWhere(driving?.rest ?? f.selector, bind)];
  const q = (f.q ?? '').toLowerCase();
  if (q !== '') {
    const needle = bind(q);
    const meta = (k: string) => `lower(CASE WHEN json_typeof(nodes.meta_data::json -> '${k}') = 'string' THEN nodes.meta_data::json ->> '${k}' ELSE '' END)`;
    conditions.push(`(strpos(lower(nodes.id), ${needle}) > 0 OR strpos(lower(nodes.name), ${needle}) > 0 OR strpos(${meta('hostname')}, ${needle}) > 0 OR strpos(${meta('ip')}, ${needle}) > 0)`);
  }
  return { from, where: conditions.join(' AND '), params };
}

/** The capacity columns summed over a group's online nodes (kept from meta_data's numbers by every write). */
const CAPACITY = CAPACITY_KEYS.map((k, i) => `coalesce(sum(CASE WHEN nodes.status = 'online' THEN nodes.${k} END), 0)::float8 AS ${['cpu', 'gpu', 'memory'][i]}`).join(', ');

/** A filter's statistics by a column, a meta_data path or a label key (SPEC §17): a row per key and status. */
function groupedPlan(f: NodeFilter, by: GroupBy): Plan<[], GroupRow> {
  const { from, where, params } = filterSql(f, 1);
  const key = groupKeySql(by, params, 0);
  return plan<[], GroupRow>(`SELECT ${key} AS key, nodes.status AS status, count(*)::int AS count, ${CAPACITY} FROM ${from} WHERE ${where} GROUP BY 1, 2`, () => params);
}

/** The SQL of a node's group key (null: it has none), its values pushed onto `params` (numbered after `offset` more). */
export function groupKeySql(by: GroupBy, params: unknown[], offset: number): string {
  const bind = (v: unknown) => {
    params.push(v);
    return `$${params.length + offset}`;
  };
  if (by.kind === 'column') return `nodes.${by.column}`;
  if (by.kind === 'meta') {
    const path = `${bind(by.path)}::text[]`;
    return `CASE WHEN jsonb_typeof(nodes.meta_data::jsonb #> ${path}) IN ('string', 'number', 'boolean') THEN nodes.meta_data::jsonb #>> ${path} END`;
  }
  return `(SELECT substr(l.label, ${bind(by.key.length + 2)}::int) FROM node_labels l WHERE l.seq = nodes.seq AND starts_with(l.label, ${bind(`${by.key}=`)}::text) ORDER BY l.label COLLATE "C" LIMIT 1)`;
}

/** The statements of one filter, its parameters after each statement's own. */
function filterPlans(f: NodeFilter): FilterPlans {
  const paged = filterSql(f, 3);
  const at = filterSql(f, 2);
  const whole = filterSql(f, 1);
  const keyset = (op: '<' | '>', order: 'ASC' | 'DESC', columns: string) => `SELECT ${columns} FROM ${paged.from} WHERE nodes.seq ${op} $1 AND ${paged.where} ORDER BY nodes.seq ${order} LIMIT $2`;
  const pagedArgs = (seq: number, limit: number) => [seq, limit, ...paged.params];
  const exists = (op: '<' | '>') => plan<[number], { found: boolean }>(`SELECT EXISTS (SELECT 1 FROM ${at.from} WHERE nodes.seq ${op} $1 AND ${at.where}) AS found`, (seq) => [seq, ...at.params]);
  return {
    page: plan<[number, number], SummaryRow>(keyset('>', 'ASC', 'nodes.seq, nodes.id, nodes.name, nodes.status, nodes.type, nodes.version'), pagedArgs),
    recordsAfter: plan<[number, number], NodeRow>(keyset('>', 'ASC', 'nodes.*'), pagedArgs),
    recordsBefore: plan<[number, number], NodeRow>(keyset('<', 'DESC', 'nodes.*'), pagedArgs),
    anyAfter: exists('>'),
    anyBefore: exists('<'),
    count: plan<[], { n: number }>(`SELECT count(*)::int AS n FROM ${whole.from} WHERE ${whole.where}`, () => whole.params),
    statistics: plan<[], StatusCount>(
      `SELECT nodes.status AS status, count(*)::int AS count FROM ${whole.from} WHERE ${whole.where} GROUP BY nodes.status ORDER BY nodes.status COLLATE "C"`,
      () => whole.params,
    ),
  };
}

/** A type's or a node's events after $2, at most $3, through the type or node index; $4: the node's types (empty: any). */
const EVENT_COLUMNS = 'SELECT id, time, type, node_id, body FROM events';

/** The read statements in PostgreSQL's SQL. Events: each read is served by an index (exported: tests check their plans). */
export const PG_READ_PLANS: ReadPlans = {
  nodeById: plan<[string], NodeRow>('SELECT * FROM nodes WHERE id = $1'),
  tokenHash: plan<[string], { token_hash: string | null }>('SELECT token_hash FROM nodes WHERE id = $1'),
  changeVersion: plan<[], { value: string }>(`SELECT value FROM kv WHERE key = '${KV.changeVersion}'`),
  publishVersion: plan<[], { value: string }>(`SELECT value FROM kv WHERE key = '${KV.publishVersion}'`),
  statistics: plan<[], StatusCount>('SELECT status, count(*)::int AS count FROM nodes GROUP BY status ORDER BY status COLLATE "C"'),
  sweepPreview: plan<[number], { goingOffline: number; online: number }>(
    `SELECT (count(*) FILTER (WHERE last_report < $1))::int AS "goingOffline", count(*)::int AS online FROM nodes WHERE status = 'online' AND maintenance IS NULL`,
  ),
  getState: plan<[string], { value: string }>(`SELECT value FROM kv WHERE key = '${KV.statePrefix}' || $1`),
  eventBounds: plan<[], { oldest: number | null; last: string }>(`SELECT (SELECT min(id) FROM events) AS oldest, (SELECT value FROM kv WHERE key = '${KV.eventCounter}') AS last`),
  nodeEvents: plan<[string, number, number], EventRow>(`${EVENT_COLUMNS} WHERE node_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3`),
  eventsAll: plan<[number, number], EventRow>(`${EVENT_COLUMNS} WHERE id > $1 ORDER BY id LIMIT $2`),
  eventsOfNode: plan<[string, number, number, readonly string[]], EventRow>(
    `${EVENT_COLUMNS} WHERE node_id = $1 AND id > $2 AND (cardinality($4::text[]) = 0 OR type = ANY($4::text[])) ORDER BY id LIMIT $3`,
    (node, after, limit, types) => [node, after, limit, [...types]],
  ),
  healthCounts: plan<[], { degraded: number; in_maintenance: number }>(
    "SELECT (SELECT count(*) FROM nodes WHERE health_state = 'degraded')::int AS degraded, (SELECT count(*) FROM nodes WHERE maintenance IS NOT NULL)::int AS in_maintenance",
  ),
  failingComponents: plan<[], { component: string; count: number }>(
    `SELECT c ->> 'component' AS component, count(*)::int AS count FROM nodes, jsonb_array_elements(nodes.conditions::jsonb) c
     WHERE nodes.health_state = 'degraded' GROUP BY 1 ORDER BY 2 DESC, 1 COLLATE "C"`,
  ),
  windowById: plan<[string], WindowRow>('SELECT * FROM maintenance_windows WHERE id = $1'),
  allWindows: plan<[], WindowRow>('SELECT * FROM maintenance_windows ORDER BY seq DESC'),
  eventsOfType: plan<[string, number, number], EventRow>(`${EVENT_COLUMNS} WHERE type = $1 AND id > $2 ORDER BY id LIMIT $3`),
};

/** The reads of the store on `pool`; failures are translated and reported to `health`. */
export function createPgReads(pool: pg.Pool, health: StorageHealthSink | undefined): ReturnType<typeof createReads> {
  const read = async <A extends readonly unknown[], R>(p: Plan<A, R>, ...args: A): Promise<R[]> => {
    try {
      return (await pool.query(p.sql, bound(p, args) as unknown[])).rows as R[];
    } catch (err) {
      return translate(err, health, 'read');
    }
  };
  const dialect: ReadDialect = {
    plans: PG_READ_PLANS,
    read,
    filter: filterPlans,
    coverage: pgCoverage,
    outbox: PG_OUTBOX_PLANS,
    availability: PG_AVAILABILITY,
    grouped: groupedPlan,
    listDocument: async () => {
      const rows = await read(plan<[], NodeSummary>('SELECT id, name, status, type, version FROM nodes ORDER BY seq'));
      return Buffer.from(JSON.stringify(rows.map((r) => ({ id: r.id, name: r.name, status: r.status, type: r.type, version: r.version }))), 'utf8');
    },
  };
  return createReads(dialect);
}
