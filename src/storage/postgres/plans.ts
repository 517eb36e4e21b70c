// Every statement of the PostgreSQL store's writes (core/plans.ts names them; core/writes.ts uses them).
// Lists go in as arrays; what a transaction changes by its own statements it locks (FOR UPDATE), in seq
// order, so that two chunks or registrations cannot deadlock on rows.
import { KV } from '../keys.js';
import { NODE_COLUMNS, type NodeRow } from '../rows.js';
import { COUNT_TESTS } from '../core/availability.js';
import type { ChunkRow, DeletedEvent, GoneRow, NodeRef, ScannedEvent, WritePlans } from '../core/plans.js';
import { plan } from '../core/tx.js';
import type { NodeStatus } from '../../domain/status.js';

/** Retention deletes only events folded into the fleet's history. */
const FOLDED = `(SELECT value::bigint FROM kv WHERE key = '${KV.historyCursor}')`;
/** The counts of the fleet's history (history_buckets' columns), and a change of one between two state codes. */
const HISTORY_COUNTS = Object.keys(COUNT_TESTS);
const countChange = (c: string) => `(${COUNT_TESTS[c as keyof typeof COUNT_TESTS]('state_after')})::int - (${COUNT_TESTS[c as keyof typeof COUNT_TESTS]('state_before')})::int`;
const CHUNK = 'SELECT id, status AS "from", seq, flapping, flap_times, maintenance, health_state FROM nodes';
const seqs = (rows: readonly { seq: number }[]) => rows.map((r) => r.seq);

/** The writes' statements in PostgreSQL's SQL. */
export const PG_WRITE_PLANS: WritePlans = {
  nodeForUpdate: plan<[string], NodeRow>('SELECT * FROM nodes WHERE id = $1 FOR UPDATE'),
  nodeByNameForUpdate: plan<[string], NodeRow>('SELECT * FROM nodes WHERE name = $1 FOR UPDATE'),
  nextSeq: plan<[], { value: string }>(`UPDATE kv SET value = (value::bigint + 1)::text WHERE key = '${KV.idCounter}' RETURNING value`),
  giveBackSeq: plan(`UPDATE kv SET value = (value::bigint - 1)::text WHERE key = '${KV.idCounter}'`),
  insertNode: plan<[Record<string, unknown>]>(
    `INSERT INTO nodes (${NODE_COLUMNS.join(', ')}) VALUES (${NODE_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})`,
    (params) => NODE_COLUMNS.map((k) => params[k]),
  ),
  clearLabels: plan<[readonly number[]]>('DELETE FROM node_labels WHERE seq = ANY($1::bigint[])', (s) => [[...s]]),
  addLabels: plan<[number, readonly string[]]>(
    'INSERT INTO node_labels (label, seq) SELECT DISTINCT unnest($1::text[]), $2::bigint ON CONFLICT DO NOTHING',
    (seq, labels) => [[...labels], seq],
  ),
  deleteNodes: plan<[readonly number[]]>('DELETE FROM nodes WHERE seq = ANY($1::bigint[])', (s) => [[...s]]),
  offlineCandidates: plan<[number, number], ChunkRow>(`${CHUNK} WHERE status IN ('initialized', 'online') AND last_report < $1 ORDER BY seq LIMIT $2`),
  onlineCandidates: plan<[number, number], ChunkRow>(`${CHUNK} WHERE status IN ('initialized', 'offline') AND last_report >= $1 ORDER BY seq LIMIT $2`),
  setStatus: plan<[readonly ChunkRow[], NodeStatus, number]>(
    'UPDATE nodes SET status = $1, last_updated = $2, status_since = $2 WHERE seq = ANY($3::bigint[])',
    (rows, status, now) => [status, now, seqs(rows)],
  ),
  setFlap: plan<[NodeRef, boolean, readonly number[]]>('UPDATE nodes SET flapping = $2, flap_times = $3 WHERE seq = $1', (row, flapping, times) => [row.seq, flapping ? 1 : 0, JSON.stringify(times)]),
  calmCandidates: plan<[number, number], NodeRef>('SELECT id, seq FROM nodes WHERE flapping = 1 AND (flap_times::json ->> 0)::bigint < $1 ORDER BY seq LIMIT $2 FOR UPDATE'),
  clearFlap: plan<[readonly NodeRef[]]>("UPDATE nodes SET flapping = 0, flap_times = '[]' WHERE seq = ANY($1::bigint[])", (rows) => [seqs(rows)]),
  garbageCandidates: plan<[number, number], GoneRow>(
    `SELECT id, seq, status, health_state, maintenance FROM nodes WHERE (status = 'offline' OR (status = 'initialized' AND last_report IS NULL)) AND status_since < $1 AND maintenance IS NULL ORDER BY seq LIMIT $2 FOR UPDATE`,
  ),
  pruneOld: plan<[number, number], DeletedEvent>(`DELETE FROM events WHERE id IN (SELECT id FROM events WHERE time < $1 AND id <= ${FOLDED} ORDER BY id LIMIT $2) RETURNING time, state_after`),
  scanEvents: plan<[number, number], ScannedEvent>('SELECT id, node_id FROM events WHERE id > $1 ORDER BY id LIMIT $2'),
  pruneNode: plan<[string, number], DeletedEvent>(
    `DELETE FROM events WHERE node_id = $1 AND id < (SELECT id FROM events WHERE node_id = $1 ORDER BY id DESC LIMIT 1 OFFSET $2) AND id <= ${FOLDED}
     RETURNING time, state_after`,
    (node, keep) => [node, keep - 1],
  ),
  retentionCursor: plan<[], { value: string }>(`SELECT value FROM kv WHERE key = '${KV.retentionCursor}'`),
  moveRetentionCursor: plan<[number]>(`UPDATE kv SET value = $1::bigint::text WHERE key = '${KV.retentionCursor}'`),
  historyCursor: plan<[], { value: string }>(`SELECT value FROM kv WHERE key = '${KV.historyCursor}'`),
  historyChunkEnd: plan<[number, number], { upto: string | null }>('SELECT max(id) AS upto FROM (SELECT id FROM events WHERE id > $1 ORDER BY id LIMIT $2) chunk'),
  foldHistory: plan<[number, number]>(
    `INSERT INTO history_buckets (bucket, ${HISTORY_COUNTS.join(', ')})
     SELECT (time - 1) / 300000 * 300000, ${HISTORY_COUNTS.map((c) => `sum(${countChange(c)})`).join(', ')}
     FROM events WHERE id > $1 AND id <= $2 AND state_after IS NOT NULL GROUP BY 1
     ON CONFLICT (bucket) DO UPDATE SET ${HISTORY_COUNTS.map((c) => `${c} = history_buckets.${c} + excluded.${c}`).join(', ')}`,
  ),
  moveHistoryCursor: plan<[number]>(`UPDATE kv SET value = $1::bigint::text WHERE key = '${KV.historyCursor}'`),
  pruneBuckets: plan<[number]>('DELETE FROM history_buckets WHERE bucket < $1'),
  raiseHistoryFrom: plan<[number]>(`UPDATE kv SET value = greatest(value::bigint, $1)::text WHERE key = '${KV.historyFrom}'`),
  raiseNodeHistoryFrom: plan<[string, number]>('UPDATE nodes SET history_from = greatest(coalesce(history_from, 0), $2) WHERE id = $1'),
  putState: plan<[string, string]>(`INSERT INTO kv (key, value) VALUES ('${KV.statePrefix}' || $1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`),
  deleteState: plan<[string]>(`DELETE FROM kv WHERE key = '${KV.statePrefix}' || $1`),
  pruneState: plan<[string, number]>(`DELETE FROM kv WHERE starts_with(key, '${KV.statePrefix}' || $1) AND (value::json ->> 'expiresMs')::bigint < $2`),
};
