// The statements of maintenance windows in PostgreSQL's SQL (core/maintenance.ts names and uses them), and
// a window's coverage: its listed nodes or its selector's nodes (selector-sql.ts). Rows a transaction
// changes are locked first (FOR UPDATE), in seq order.
import type { MaintenanceWindow } from '../../domain/maintenance.js';
import { WINDOW_COLUMNS, type CoveragePlans, type MaintenanceDialect, type MaintenancePlans, type MemberRow, type WindowRow } from '../core/maintenance.js';
import { plan } from '../core/tx.js';
import { KV } from '../keys.js';
import { positionalBinder, selectorWhere } from './selector-sql.js';
import { drivingLabel } from '../../domain/selector.js';

const MEMBER = 'SELECT seq, id, status, health_state, maintenance_status FROM nodes';

/** The statements of maintenance. */
export const PG_MAINTENANCE_PLANS: MaintenancePlans = {
  nextWindowSeq: plan(`UPDATE kv SET value = (value::bigint + 1)::text WHERE key = '${KV.maintenanceCounter}' RETURNING value`),
  insertWindow: plan<[WindowRow]>(
    `INSERT INTO maintenance_windows (${WINDOW_COLUMNS.join(', ')}) VALUES (${WINDOW_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})`,
    (row) => WINDOW_COLUMNS.map((c) => row[c]),
  ),
  windowForUpdate: plan<[string], WindowRow>('SELECT * FROM maintenance_windows WHERE id = $1 FOR UPDATE'),
  openWindows: plan<[], WindowRow>("SELECT * FROM maintenance_windows WHERE phase IN ('scheduled', 'active') ORDER BY seq"),
  updateWindow: plan<[WindowRow]>(
    'UPDATE maintenance_windows SET reason = $1, ends_at = $2, phase = $3, ended_at = $4, cancelled = $5, matched = $6 WHERE seq = $7',
    (row) => [row.reason, row.ends_at, row.phase, row.ended_at, row.cancelled, row.matched, row.seq],
  ),
  membersOf: plan<[string, number], MemberRow>(`${MEMBER} WHERE maintenance = $1 ORDER BY seq LIMIT $2 FOR UPDATE`),
  countMembers: plan<[string], { n: number }>('SELECT count(*)::int AS n FROM nodes WHERE maintenance = $1'),
  enter: plan<[readonly number[], string]>('UPDATE nodes SET maintenance = $2, maintenance_status = status WHERE seq = ANY($1::bigint[])', (seqs, id) => [[...seqs], id]),
  rebind: plan<[readonly number[], string]>('UPDATE nodes SET maintenance = $2 WHERE seq = ANY($1::bigint[])', (seqs, id) => [[...seqs], id]),
  leave: plan<[readonly number[]]>('UPDATE nodes SET maintenance = NULL, maintenance_status = NULL WHERE seq = ANY($1::bigint[])', (seqs) => [[...seqs]]),
  pruneWindows: plan<[number]>("DELETE FROM maintenance_windows WHERE phase = 'ended' AND ended_at < $1"),
};

/**
 * A window's coverage from `$first` on: the rows read (through the label index when it lists no node and
 * every node its selector selects has one label) and its condition on `nodes`.
 */
function coverageSql(w: MaintenanceWindow, first: number, drive = true): { from: string; where: string; params: unknown[] } {
  const params: unknown[] = [];
  const bind = positionalBinder(params, first);
  const driving = drive && w.nodes.length === 0 ? drivingLabel(w.selector) : null;
  const from = driving === null ? 'nodes' : `node_labels f JOIN nodes ON nodes.seq = f.seq AND f.label = ${bind(driving.label)}::text`;
  const parts: string[] = [];
  if (w.nodes.length > 0) parts.push(`nodes.id = ANY(${bind([...w.nodes])}::text[])`);
  if (w.selectorText !== '') parts.push(`(${selectorWhere(driving?.rest ?? w.selector, bind)})`);
  return { from, where: parts.length === 0 ? 'false' : parts.join(' OR '), params };
}

const MEMBER_OF = 'SELECT nodes.seq, nodes.id, nodes.status, nodes.health_state, nodes.maintenance_status';

/** The statements of one window's coverage. */
export function pgCoverage(w: MaintenanceWindow): CoveragePlans {
  const at1 = coverageSql(w, 2);
  const at2 = coverageSql(w, 3, false);
  const among = coverageSql(w, 2, false);
  const at0 = coverageSql(w, 1);
  return {
    uncovered: plan<[number], MemberRow>(
      `${MEMBER_OF} FROM ${at1.from} WHERE nodes.maintenance IS NULL AND (${at1.where}) ORDER BY nodes.seq LIMIT $1 FOR UPDATE OF nodes`,
      (limit) => [limit, ...at1.params],
    ),
    strays: plan<[string, number], MemberRow>(
      `${MEMBER} WHERE maintenance = $1 AND NOT coalesce(${at2.where}, false) ORDER BY seq LIMIT $2 FOR UPDATE`,
      (window, limit) => [window, limit, ...at2.params],
    ),
    coveredAmong: plan<[readonly number[]], { seq: number }>(`SELECT seq FROM nodes WHERE seq = ANY($1::bigint[]) AND (${among.where})`, (seqs) => [[...seqs], ...among.params]),
    count: plan<[], { n: number }>(`SELECT count(*)::int AS n FROM ${at0.from} WHERE ${at0.where}`, () => at0.params),
  };
}

/** Maintenance in PostgreSQL. */
export const PG_MAINTENANCE: MaintenanceDialect = { plans: PG_MAINTENANCE_PLANS, coverage: pgCoverage };
