// Availability and the fleet's history in PostgreSQL's SQL, as sqlite/availability-sql.ts (the algorithm:
// core/availability.ts). Parameters: $1 the window's start, $2 now, then a page's keyset and limit, the
// node's ID, or the filter's and the group key's.
import { KV } from '../keys.js';
import { CAPACITY_KEYS } from '../rows.js';
import { COUNT_TESTS, CURRENT_COUNTS, ROW_CODE, TIME_TESTS, type AvailabilityDialect, type CapacityRow, type HistoryRow, type Span, type SumsRow } from '../core/availability.js';
import { plan } from '../core/tx.js';
import type { NodeFilter } from '../store.js';
import { filterSql, groupKeySql } from './reads.js';

const HISTORY_FROM = `(SELECT value::bigint FROM kv WHERE key = '${KV.historyFrom}')`;
const CUT = `greatest(${HISTORY_FROM}, coalesce(nodes.history_from, 0))`;

const timeIn = (test: (x: string) => string) =>
  `coalesce(sum(CASE WHEN ${test('e.state_before')} THEN least(e.time, $2::bigint) - sel.start END), 0)
   - coalesce(sum(CASE WHEN ${test('e.state_after')} THEN least(e.time, $2::bigint) - sel.start END), 0)
   + CASE WHEN ${test('sel.now_code')} THEN greatest($2::bigint - sel.start, 0) ELSE 0 END`;
const { online: ONLINE, offline: OFFLINE, maintenance: MAINT } = TIME_TESTS;

function perNodeSql(source: { from: string; where: string; tail: string }, key: string): string {
  return `WITH sel AS (
      SELECT nodes.seq AS seq, nodes.id AS id, ${key} AS key, ${ROW_CODE} AS now_code,
             greatest($1::bigint, nodes.register_time, ${CUT}) AS start,
             CASE WHEN ${CUT} > greatest($1::bigint, nodes.register_time) THEN ${CUT} END AS cut
      FROM ${source.from} WHERE ${source.where} ${source.tail})
    SELECT sel.seq, sel.id, sel.key, sel.start, sel.cut,
           (${timeIn(ONLINE)})::float8 AS online, (${timeIn(OFFLINE)})::float8 AS offline, (${timeIn(MAINT)})::float8 AS maint,
           count(*) FILTER (WHERE ${OFFLINE('e.state_after')} AND NOT ${OFFLINE('e.state_before')})::int AS incidents
    FROM sel LEFT JOIN events e ON e.node_id = sel.id AND e.time >= sel.start AND e.state_after IS NOT NULL
    GROUP BY sel.seq, sel.id, sel.key, sel.start, sel.cut, sel.now_code ORDER BY sel.seq`;
}

const COUNTS = Object.keys(COUNT_TESTS) as Array<keyof typeof COUNT_TESTS>;
/** The current counts, the folded buckets from $1, and the events not folded yet by bucket: one statement, one snapshot. */
const HISTORY_SQL = `
  SELECT -1::bigint AS b, ${COUNTS.map((c) => `(SELECT count(*) FROM nodes WHERE ${CURRENT_COUNTS[c]})::int AS ${c}`).join(', ')},
    (SELECT value::bigint FROM kv WHERE key = '${KV.historyBucketsFrom}') AS cut
  UNION ALL
  SELECT bucket, ${COUNTS.join(', ')}, NULL FROM history_buckets WHERE bucket >= $1
  UNION ALL
  SELECT (time - 1) / 300000 * 300000, ${COUNTS.map((c) => `sum((${COUNT_TESTS[c]('state_after')})::int - (${COUNT_TESTS[c]('state_before')})::int)::int`).join(', ')}, NULL
  FROM events WHERE id > (SELECT value::bigint FROM kv WHERE key = '${KV.historyCursor}') AND state_after IS NOT NULL GROUP BY 1`;

/** The capacity columns (kept from meta_data's numbers by every write), of the online nodes and of all. */
const CAPACITY_SQL = `SELECT ${CAPACITY_KEYS.map((k, i) => {
  const name = ['cpu', 'gpu', 'memory'][i];
  return `coalesce(sum(CASE WHEN status = 'online' THEN ${k} END), 0) AS ${name}_online, coalesce(sum(${k}), 0) AS ${name}_total`;
}).join(', ')} FROM nodes`;

/** Availability's statements in PostgreSQL's SQL. */
export const PG_AVAILABILITY: AvailabilityDialect = {
  capacity: plan<[], CapacityRow>(CAPACITY_SQL),
  nodes(f: NodeFilter, span: Span, page, by) {
    const fixed = page === null ? [span.fromMs, span.toMs] : [span.fromMs, span.toMs, page.afterSeq, page.limit];
    const { from, where, params } = filterSql(f, fixed.length + 1);
    const key = by === undefined ? 'NULL::text' : groupKeySql(by, params, fixed.length);
    const tail = page === null ? '' : 'AND nodes.seq > $3 ORDER BY nodes.seq LIMIT $4';
    return plan<[], SumsRow>(perNodeSql({ from, where, tail }, key), () => [...fixed, ...params]);
  },
  node: (id: string, span: Span) =>
    plan<[], SumsRow>(perNodeSql({ from: 'nodes', where: 'nodes.id = $3', tail: '' }, 'NULL::text'), () => [span.fromMs, span.toMs, id]),
  history: (oldestMs: number) => plan<[], HistoryRow>(HISTORY_SQL, () => [oldestMs]),
};
