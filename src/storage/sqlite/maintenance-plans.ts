// The statements of maintenance windows in SQLite's SQL (core/maintenance.ts names and uses them), and a
// window's coverage: its listed nodes or its selector's nodes (selector-sql.ts).
import type { MaintenanceWindow } from '../../domain/maintenance.js';
import type { CoveragePlans, MaintenanceDialect, MaintenancePlans, MemberRow, WindowRow } from '../core/maintenance.js';
import { plan } from '../core/tx.js';
import { KV } from '../keys.js';
import { namedBinder, selectorWhere } from './selector-sql.js';
import { drivingLabel } from '../../domain/selector.js';

const MEMBER = 'SELECT seq, id, status, health_state, maintenance_status FROM nodes';
const seqList = (seqs: readonly number[]) => JSON.stringify(seqs);

/** The statements of maintenance. */
export const SQLITE_MAINTENANCE_PLANS: MaintenancePlans = {
  nextWindowSeq: plan(`UPDATE kv SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = '${KV.maintenanceCounter}' RETURNING value`),
  insertWindow: plan<[WindowRow]>(
    `INSERT INTO maintenance_windows (seq, id, selector, nodes, reason, actor, starts_at, ends_at, created_at, phase, ended_at, cancelled, matched)
     VALUES (@seq, @id, @selector, @nodes, @reason, @actor, @starts_at, @ends_at, @created_at, @phase, @ended_at, @cancelled, @matched)`,
    (row) => ({ ...row }),
  ),
  windowForUpdate: plan<[string], WindowRow>('SELECT * FROM maintenance_windows WHERE id = ?'),
  openWindows: plan<[], WindowRow>("SELECT * FROM maintenance_windows WHERE phase IN ('scheduled', 'active') ORDER BY seq"),
  updateWindow: plan<[WindowRow]>(
    'UPDATE maintenance_windows SET reason = @reason, ends_at = @ends_at, phase = @phase, ended_at = @ended_at, cancelled = @cancelled, matched = @matched WHERE seq = @seq',
    (row) => ({ reason: row.reason, ends_at: row.ends_at, phase: row.phase, ended_at: row.ended_at, cancelled: row.cancelled, matched: row.matched, seq: row.seq }),
  ),
  membersOf: plan<[string, number], MemberRow>(`${MEMBER} WHERE maintenance = ? ORDER BY seq LIMIT ?`),
  countMembers: plan<[string], { n: number }>('SELECT count(*) AS n FROM nodes WHERE maintenance = ?'),
  enter: plan<[readonly number[], string]>(
    'UPDATE nodes SET maintenance = ?, maintenance_status = status WHERE seq IN (SELECT value FROM json_each(?))',
    (seqs, id) => [id, seqList(seqs)],
  ),
  rebind: plan<[readonly number[], string]>('UPDATE nodes SET maintenance = ? WHERE seq IN (SELECT value FROM json_each(?))', (seqs, id) => [id, seqList(seqs)]),
  leave: plan<[readonly number[]]>('UPDATE nodes SET maintenance = NULL, maintenance_status = NULL WHERE seq IN (SELECT value FROM json_each(?))', (seqs) => [seqList(seqs)]),
  pruneWindows: plan<[number]>("DELETE FROM maintenance_windows WHERE phase = 'ended' AND ended_at < ?"),
};

/**
 * A window's coverage: the rows read (through the label index when it lists no node and every node its
 * selector selects has one label: a rack's window reads the rack, not the fleet) and its condition on
 * `nodes` (a listed node, or one its selector selects).
 */
function coverageSql(w: MaintenanceWindow, params: Record<string, unknown>, drive: boolean): { from: string; where: string } {
  const bind = namedBinder(params);
  const driving = drive && w.nodes.length === 0 ? drivingLabel(w.selector) : null;
  const from = driving === null ? 'nodes' : `node_labels f JOIN nodes ON nodes.seq = f.seq AND f.label = ${bind(driving.label)}`;
  const parts: string[] = [];
  if (w.nodes.length > 0) parts.push(`nodes.id IN (SELECT value FROM json_each(${bind(JSON.stringify(w.nodes))}))`);
  if (w.selectorText !== '') parts.push(`(${selectorWhere(driving?.rest ?? w.selector, bind)})`);
  return { from, where: parts.length === 0 ? '0' : parts.join(' OR ') };
}

const MEMBER_OF = 'SELECT nodes.seq, nodes.id, nodes.status, nodes.health_state, nodes.maintenance_status';

/** The statements of one window's coverage. */
export function sqliteCoverage(w: MaintenanceWindow): CoveragePlans {
  const params: Record<string, unknown> = {};
  const { from, where: driven } = coverageSql(w, params, true);
  const plain: Record<string, unknown> = {};
  const { where } = coverageSql(w, plain, false);
  return {
    uncovered: plan<[number], MemberRow>(`${MEMBER_OF} FROM ${from} WHERE nodes.maintenance IS NULL AND (${driven}) ORDER BY nodes.seq LIMIT @limit`, (limit) => ({ ...params, limit })),
    strays: plan<[string, number], MemberRow>(`${MEMBER} WHERE maintenance = @window AND NOT coalesce(${where}, 0) ORDER BY seq LIMIT @limit`, (window, limit) => ({ ...plain, window, limit })),
    coveredAmong: plan<[readonly number[]], { seq: number }>(`SELECT seq FROM nodes WHERE seq IN (SELECT value FROM json_each(@seqs)) AND (${where})`, (seqs) => ({ ...plain, seqs: seqList(seqs) })),
    count: plan<[], { n: number }>(`SELECT count(*) AS n FROM ${from} WHERE ${driven}`, () => params),
  };
}

/** Maintenance in SQLite. */
export const SQLITE_MAINTENANCE: MaintenanceDialect = { plans: SQLITE_MAINTENANCE_PLANS, coverage: sqliteCoverage };
