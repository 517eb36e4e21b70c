// Every statement of the SQLite store's writes (core/plans.ts names them; core/writes.ts uses them).
// Lists go in as JSON arrays (json_each); a chunk's rows are changed by rowid.
import { KV } from '../keys.js';
import type { NodeRow } from '../rows.js';
import type { ChunkRow, DeletedEvent, GoneRow, NodeRef, ScannedEvent, WritePlans } from '../core/plans.js';
import { plan } from '../core/tx.js';
import { COUNT_TESTS } from '../core/availability.js';
import type { NodeStatus } from '../../domain/status.js';

const CHUNK_COLUMNS = 'rowid, id, status AS "from", seq, flapping, flap_times, maintenance, health_state';
/** The fleet's counts in its history (history_buckets' columns), and a change of one between two state codes. */
const HISTORY_COUNTS = Object.keys(COUNT_TESTS);
const countChange = (c: string) => `(${COUNT_TESTS[c as keyof typeof COUNT_TESTS]('state_after')}) - (${COUNT_TESTS[c as keyof typeof COUNT_TESTS]('state_before')})`;
/** Retention deletes only events folded into the fleet's history. */
const FOLDED = `(SELECT CAST(value AS INTEGER) FROM kv WHERE key = '${KV.historyCursor}')`;
const rowids = (rows: readonly { rowid?: number }[]) => JSON.stringify(rows.map((r) => r.rowid));

/** The writes' statements in SQLite's SQL. */
export const SQLITE_WRITE_PLANS: WritePlans = {
  nodeForUpdate: plan<[string], NodeRow>('SELECT * FROM nodes WHERE id = ?'),
  nodeByNameForUpdate: plan<[string], NodeRow>('SELECT * FROM nodes WHERE name = ?'),
  nextSeq: plan<[], { value: string }>(`UPDATE kv SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = '${KV.idCounter}' RETURNING value`),
  giveBackSeq: plan(`UPDATE kv SET value = CAST(CAST(value AS INTEGER) - 1 AS TEXT) WHERE key = '${KV.idCounter}'`),
  insertNode: plan<[Record<string, unknown>]>(
    `INSERT INTO nodes (id, seq, name, type, version, status, config, label, meta_data, health,
                        register_time, last_report, agent_last_report, last_updated, token_hash, status_since, flapping, flap_times, file_entry,
                        cpu_number, gpu_number, memory_in_bytes)
     VALUES (@id, @seq, @name, @type, @version, @status, @config, @label, @meta_data, @health,
             @register_time, @last_report, @agent_last_report, @last_updated, @token_hash, @status_since, @flapping, @flap_times, @file_entry,
             @cpu_number, @gpu_number, @memory_in_bytes)`,
    (params) => params,
  ),
  // node_labels (migration 007) mirrors nodes.label.
  clearLabels: plan<[readonly number[]]>('DELETE FROM node_labels WHERE seq IN (SELECT value FROM json_each(?))', (seqs) => [JSON.stringify(seqs)]),
  addLabels: plan<[number, readonly string[]]>('INSERT OR IGNORE INTO node_labels (label, seq) SELECT value, ? FROM json_each(?)', (seq, labels) => [seq, JSON.stringify(labels)]),
  deleteNodes: plan<[readonly number[]]>('DELETE FROM nodes WHERE seq IN (SELECT value FROM json_each(?))', (seqs) => [JSON.stringify(seqs)]),
  // Without ORDER BY: the chunk is sorted by seq in JavaScript (a sort of 100 instead of an index walk).
  offlineCandidates: plan<[number, number], ChunkRow>(`SELECT ${CHUNK_COLUMNS} FROM nodes WHERE status IN ('initialized', 'online') AND last_report < ? LIMIT ?`),
  onlineCandidates: plan<[number, number], ChunkRow>(`SELECT ${CHUNK_COLUMNS} FROM nodes WHERE status IN ('initialized', 'offline') AND last_report >= ? LIMIT ?`),
  setStatus: plan<[readonly ChunkRow[], NodeStatus, number]>(
    'UPDATE nodes SET status = @status, last_updated = @now, status_since = @now WHERE rowid IN (SELECT value FROM json_each(@rowids))',
    (rows, status, now) => ({ status, now, rowids: rowids(rows) }),
  ),
  setFlap: plan<[NodeRef, boolean, readonly number[]]>('UPDATE nodes SET flapping = ?, flap_times = ? WHERE rowid = ?', (row, flapping, times) => [flapping ? 1 : 0, JSON.stringify(times), row.rowid]),
  calmCandidates: plan<[number, number], NodeRef>("SELECT rowid, id, seq FROM nodes WHERE flapping = 1 AND flap_times ->> '$[0]' < ? LIMIT ?"),
  clearFlap: plan<[readonly NodeRef[]]>("UPDATE nodes SET flapping = 0, flap_times = '[]' WHERE rowid IN (SELECT value FROM json_each(?))", (rows) => [rowids(rows)]),
  garbageCandidates: plan<[number, number], GoneRow>(
    `SELECT id, seq, status, health_state, maintenance FROM nodes WHERE status = 'offline' AND status_since < @cutoff AND maintenance IS NULL
     UNION ALL
     SELECT id, seq, status, health_state, maintenance FROM nodes WHERE status = 'initialized' AND last_report IS NULL AND status_since < @cutoff AND maintenance IS NULL
     LIMIT @limit`,
    (cutoff, limit) => ({ cutoff, limit }),
  ),
  pruneOld: plan<[number, number], DeletedEvent>(`DELETE FROM events WHERE id IN (SELECT id FROM events WHERE time < ? AND id <= ${FOLDED} ORDER BY id LIMIT ?) RETURNING time, state_after`),
  scanEvents: plan<[number, number], ScannedEvent>('SELECT id, node_id FROM events WHERE id > ? ORDER BY id LIMIT ?'),
  pruneNode: plan<[string, number], DeletedEvent>(
    `DELETE FROM events WHERE node_id = @node AND id < (SELECT id FROM events WHERE node_id = @node ORDER BY id DESC LIMIT 1 OFFSET @keep - 1) AND id <= ${FOLDED}
     RETURNING time, state_after`,
    (node, keep) => ({ node, keep }),
  ),
  retentionCursor: plan<[], { value: string }>(`SELECT value FROM kv WHERE key = '${KV.retentionCursor}'`),
  moveRetentionCursor: plan<[number]>(`UPDATE kv SET value = CAST(CAST(? AS INTEGER) AS TEXT) WHERE key = '${KV.retentionCursor}'`),
  historyCursor: plan<[], { value: string }>(`SELECT value FROM kv WHERE key = '${KV.historyCursor}'`),
  historyChunkEnd: plan<[number, number], { upto: number | null }>('SELECT max(id) AS upto FROM (SELECT id FROM events WHERE id > ? ORDER BY id LIMIT ?)'),
  foldHistory: plan<[number, number]>(
    `INSERT INTO history_buckets (bucket, ${HISTORY_COUNTS.join(', ')})
     SELECT (time - 1) / 300000 * 300000, ${HISTORY_COUNTS.map((c) => `total(${countChange(c)})`).join(', ')}
     FROM events WHERE id > ? AND id <= ? AND state_after IS NOT NULL GROUP BY 1
     ON CONFLICT (bucket) DO UPDATE SET ${HISTORY_COUNTS.map((c) => `${c} = ${c} + excluded.${c}`).join(', ')}`,
  ),
  moveHistoryCursor: plan<[number]>(`UPDATE kv SET value = CAST(CAST(? AS INTEGER) AS TEXT) WHERE key = '${KV.historyCursor}'`),
  pruneBuckets: plan<[number]>('DELETE FROM history_buckets WHERE bucket < ?'),
  raiseHistoryFrom: plan<[number]>(`UPDATE kv SET value = CAST(max(CAST(value AS INTEGER), CAST(? AS INTEGER)) AS TEXT) WHERE key = '${KV.historyFrom}'`),
  raiseNodeHistoryFrom: plan<[string, number]>('UPDATE nodes SET history_from = max(coalesce(history_from, 0), @time) WHERE id = @node', (node, time) => ({ node, time })),
  // Operational state lives in kv under a `state:` prefix, apart from the counters and schema version.
  putState: plan<[string, string]>(`INSERT INTO kv (key, value) VALUES ('${KV.statePrefix}' || ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`),
  deleteState: plan<[string]>(`DELETE FROM kv WHERE key = '${KV.statePrefix}' || ?`),
  pruneState: plan<[string, number]>(
    "DELETE FROM kv WHERE key >= @from AND key < @to AND CAST(value ->> '$.expiresMs' AS INTEGER) < @now",
    (prefix, now) => ({ from: `${KV.statePrefix}${prefix}`, to: `${KV.statePrefix}${prefix}\uffff`, now }),
  ),
};
