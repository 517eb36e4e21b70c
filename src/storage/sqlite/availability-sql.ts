// Availability and the fleet's history in SQLite's SQL (the algorithm and the state tests:
// core/availability.ts). Each node's events in its span are read through events_node_states.
import { KV } from '../keys.js';
import { CAPACITY_KEYS } from '../rows.js';
import { COUNT_TESTS, CURRENT_COUNTS, ROW_CODE, TIME_TESTS, type AvailabilityDialect, type CapacityRow, type HistoryRow, type Span, type SumsRow } from '../core/availability.js';
import { plan } from '../core/tx.js';
import type { NodeFilter } from '../store.js';
import { groupKeySql, sqlOf } from './reads.js';

const HISTORY_FROM = `(SELECT CAST(value AS INTEGER) FROM kv WHERE key = '${KV.historyFrom}')`;
/** Where a node's history is whole from: the fleet's cut or its own. */
const CUT = `max(${HISTORY_FROM}, coalesce(nodes.history_from, 0))`;

/** Time in the state `test` (an expression of a code `x`) over each node's span, by the walk-back sum. */
const timeIn = (test: (x: string) => string) =>
  `total(CASE WHEN ${test('e.state_before')} THEN min(e.time, @to) - sel.start END) - total(CASE WHEN ${test('e.state_after')} THEN min(e.time, @to) - sel.start END)
   + CASE WHEN ${test('sel.now_code')} THEN max(@to - sel.start, 0) ELSE 0 END`;
const { online: ONLINE, offline: OFFLINE, maintenance: MAINT } = TIME_TESTS;

/**
 * Each selected node's sums (`source`: its FROM and WHERE, a keyset page's condition included): its
 * start (the window's, its registration, or its cut), the cut when it falls inside the window.
 */
function perNodeSql(source: { from: string; where: string; tail: string }, key: string): string {
  return `WITH sel AS (
      SELECT nodes.seq AS seq, nodes.id AS id, ${key} AS key, ${ROW_CODE} AS now_code,
             max(@from, nodes.register_time, ${CUT}) AS start,
             CASE WHEN ${CUT} > max(@from, nodes.register_time) THEN ${CUT} END AS cut
      FROM ${source.from} WHERE ${source.where} ${source.tail})
    SELECT sel.seq, sel.id, sel.key, sel.start, sel.cut,
           ${timeIn(ONLINE)} AS online, ${timeIn(OFFLINE)} AS offline, ${timeIn(MAINT)} AS maint,
           total(${OFFLINE('e.state_after')} AND NOT ${OFFLINE('e.state_before')}) AS incidents
    FROM sel LEFT JOIN events e ON e.node_id = sel.id AND e.time >= sel.start AND e.state_after IS NOT NULL
    GROUP BY sel.seq ORDER BY sel.seq`;
}

const spanParams = (span: Span) => ({ from: span.fromMs, to: span.toMs });

const COUNTS = Object.keys(COUNT_TESTS) as Array<keyof typeof COUNT_TESTS>;
/** The current counts, the folded buckets from @oldest, and the events not folded yet by bucket: one statement, one snapshot. */
const HISTORY_SQL = `
  SELECT -1 AS b, ${COUNTS.map((c) => `(SELECT count(*) FROM nodes WHERE ${CURRENT_COUNTS[c]}) AS ${c}`).join(', ')},
    (SELECT CAST(value AS INTEGER) FROM kv WHERE key = '${KV.historyBucketsFrom}') AS cut
  UNION ALL
  SELECT bucket, ${COUNTS.join(', ')}, NULL FROM history_buckets WHERE bucket >= @oldest
  UNION ALL
  SELECT (time - 1) / 300000 * 300000, ${COUNTS.map((c) => `total((${COUNT_TESTS[c]('state_after')}) - (${COUNT_TESTS[c]('state_before')}))`).join(', ')}, NULL
  FROM events WHERE id > (SELECT CAST(value AS INTEGER) FROM kv WHERE key = '${KV.historyCursor}') AND state_after IS NOT NULL GROUP BY 1`;

/** The capacity columns (kept from meta_data's numbers by every write), of the online nodes and of all. */
const CAPACITY_SQL = `SELECT ${CAPACITY_KEYS.map((k, i) => {
  const name = ['cpu', 'gpu', 'memory'][i];
  return `total(CASE WHEN status = 'online' THEN ${k} END) AS ${name}_online, total(${k}) AS ${name}_total`;
}).join(', ')} FROM nodes`;

/** Availability's statements in SQLite's SQL. */
export const SQLITE_AVAILABILITY: AvailabilityDialect = {
  capacity: plan<[], CapacityRow>(CAPACITY_SQL),
  nodes(f: NodeFilter, span: Span, page, by) {
    const { from, where, key: order, params } = sqlOf(f);
    const key = by === undefined ? 'NULL' : groupKeySql(by, params);
    const tail = page === null ? '' : `AND ${order} > @after ORDER BY ${order} LIMIT @limit`;
    const paging = page === null ? {} : { after: page.afterSeq, limit: page.limit };
    return plan<[], SumsRow>(perNodeSql({ from, where, tail }, key), () => ({ ...params, ...spanParams(span), ...paging }));
  },
  node: (id: string, span: Span) => plan<[], SumsRow>(perNodeSql({ from: 'nodes', where: 'nodes.id = @id', tail: '' }, 'NULL'), () => ({ id, ...spanParams(span) })),
  history: (oldestMs: number) => plan<[], HistoryRow>(HISTORY_SQL, () => ({ oldest: oldestMs })),
};
