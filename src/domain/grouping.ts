// Statistics by a field or a label key (SPEC §17): `GET /nodes/statistics?by=meta.user` groups the
// nodes by that value, with their counts per status and the capacity of the group's online nodes.
// Pure: what may be grouped by, and the answer assembled from the backends' rows (one per key and status).
import type { NodeStatus } from './status.js';

/** What the nodes are grouped by: a column, a meta_data path, or a key/value label's key. */
export type GroupBy =
  | { kind: 'column'; column: 'status' | 'health_state' | 'type' | 'version' }
  | { kind: 'meta'; path: string[] }
  | { kind: 'label'; key: string };

const COLUMNS = ['status', 'health_state', 'type', 'version'] as const;

/** Parses `by`; null with the reason when it is none of the accepted forms. */
export function parseGroupBy(text: string): { ok: true; by: GroupBy } | { ok: false; error: string } {
  const t = text.trim();
  if ((COLUMNS as readonly string[]).includes(t)) return { ok: true, by: { kind: 'column', column: t as (typeof COLUMNS)[number] } };
  if (t.startsWith('meta.')) {
    const path = t.slice(5).split('.');
    if (path.every((p) => /^[A-Za-z0-9_-]{1,64}$/.test(p)) && path.length <= 8) return { ok: true, by: { kind: 'meta', path } };
  } else if (/^[A-Za-z0-9_.-]{1,64}$/.test(t)) {
    return { ok: true, by: { kind: 'label', key: t } };
  }
  return { ok: false, error: `by: a field (status, health_state, type, version), meta.<key>[.<key>…], or a label key such as rack (got ${JSON.stringify(text.slice(0, 80))})` };
}

/** One row of a backend's grouping: a key (null: the nodes without it), a status, and sums. */
export interface GroupRow {
  key: string | null;
  status: NodeStatus;
  count: number;
  cpu: number;
  gpu: number;
  memory: number;
}

/** One group of the answer. */
export interface Group {
  key: string | null;
  total: number;
  status_statistics: Array<{ status: NodeStatus; count: number }>;
  capacity: { cpu_number: number; gpu_number: number; memory_in_bytes: number };
}

/** The order of group keys: by code unit, the nodes without a key (null) last. */
export const byKey = (a: string | null, b: string | null) => (a === null ? (b === null ? 0 : 1) : b === null ? -1 : a < b ? -1 : a > b ? 1 : 0);

/** The groups of the rows, by key (the nodes without one last), statuses in name order. */
export function assembleGroups(rows: readonly GroupRow[]): { total: number; groups: Group[] } {
  const groups = new Map<string | null, Group>();
  for (const r of rows) {
    const g = groups.get(r.key) ?? { key: r.key, total: 0, status_statistics: [], capacity: { cpu_number: 0, gpu_number: 0, memory_in_bytes: 0 } };
    groups.set(r.key, g);
    const count = Number(r.count);
    g.total += count;
    g.status_statistics.push({ status: r.status, count });
    g.capacity.cpu_number += Number(r.cpu);
    g.capacity.gpu_number += Number(r.gpu);
    g.capacity.memory_in_bytes += Number(r.memory);
  }
  const list = [...groups.values()].sort((a, b) => byKey(a.key, b.key));
  for (const g of list) g.status_statistics.sort((a, b) => (a.status < b.status ? -1 : 1));
  return { total: list.reduce((n, g) => n + g.total, 0), groups: list };
}
