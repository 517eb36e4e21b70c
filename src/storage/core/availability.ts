// Availability and the fleet's history (SPEC §17) over the events' state codes (migration 014), once for
// both backends; each dialect supplies the statements (sqlite/availability-sql.ts, postgres/…).
//
// A node's time in a state over [start, to] needs no event before `start`: walking back from its current
// row, each event's `state_before` held from the event before it (or `start`) up to it, and the current
// state from the last event up to `to`. Summed, the time in state c is
//   Σ_e [before(e) = c]·(t_e − start) − Σ_e [after(e) = c]·(t_e − start) + [now = c]·(to − start),
// one aggregate per node over its events in the window (the index events_node_states), no window
// functions. The fleet's counts at a past time are the current counts less the changes since then.
import { historyPoints, monitoredMs, type AvailabilitySums, type AvailabilityTotals, type FleetCounts } from '../../domain/availability.js';
import { byKey, type GroupBy } from '../../domain/grouping.js';
import type { NodeFilter } from '../store.js';
import type { Plan } from './tx.js';
import { createVersionCache } from './version-cache.js';

/** The span of a computation: from the window's start to now. */
export interface Span {
  fromMs: number;
  toMs: number;
}

/** A node's sums as a backend returns them (PostgreSQL's sums may come as text). */
export interface SumsRow {
  seq: number | string;
  id: string;
  /** Its group key (with `by`; else null). */
  key: string | null;
  start: number | string;
  cut: number | string | null;
  online: number | string;
  offline: number | string;
  maint: number | string;
  incidents: number | string;
}

/** A row of a history: the current counts (b = −1, with since when the history is whole), or the count changes of events after b. */
export interface HistoryRow extends Record<keyof FleetCounts, number | string> {
  b: number | string;
  cut: number | string | null;
}

/** The fleet's capacity as a backend sums it. */
export interface CapacityRow {
  cpu_online: number | string;
  gpu_online: number | string;
  memory_online: number | string;
  cpu_total: number | string;
  gpu_total: number | string;
  memory_total: number | string;
}

/** Capacity: of the online nodes and of all. */
export interface FleetCapacity {
  online: { cpu_number: number; gpu_number: number; memory_in_bytes: number };
  total: { cpu_number: number; gpu_number: number; memory_in_bytes: number };
}

/** The statements of availability, per dialect. */
export interface AvailabilityDialect {
  /** Per node of the filter, by ID number; a page (`afterSeq`, `limit`) or all; with `by`, each one's group key. */
  nodes(f: NodeFilter, span: Span, page: { afterSeq: number; limit: number } | null, by?: GroupBy): Plan<[], SumsRow>;
  /** One node's sums (none: no such node). */
  node(id: string, span: Span): Plan<[], SumsRow>;
  /** The fleet's capacity (cpu_number, gpu_number, memory_in_bytes from meta_data, numbers only): all nodes' and the online ones'. */
  capacity: Plan<[], CapacityRow>;
  /** The current counts (b = −1) and the count changes per 5-minute bucket from `oldestMs` (history_buckets, and the events not folded yet). */
  history(oldestMs: number): Plan<[], HistoryRow>;
}

/** The counts of the fleet's history, each a test of a state code `x` in SQL (the same in both dialects). */
export const COUNT_TESTS = {
  online: (x: string) => `(${x} & 3) = 2`,
  offline: (x: string) => `(${x} & 3) = 3`,
  initialized: (x: string) => `(${x} & 3) = 1`,
  degraded: (x: string) => `(${x} & 4) = 4`,
  maintenance: (x: string) => `(${x} & 8) = 8`,
} as const;

/**
 * The states availability times, each a test of a state code `x` in SQL (the same in both dialects):
 * `& 11` keeps the status and maintenance bits, so 2 is online and 3 offline outside maintenance.
 */
export const TIME_TESTS = {
  online: (x: string) => `(${x} & 11) = 2`,
  offline: (x: string) => `(${x} & 11) = 3`,
  maintenance: (x: string) => `(${x} & 8) = 8`,
} as const;

/** A node's state code from its row, as availability reads it (status and maintenance; no degraded bit). */
export const ROW_CODE = `(CASE WHEN nodes.maintenance IS NOT NULL THEN 8 ELSE 0 END + CASE nodes.status WHEN 'initialized' THEN 1 WHEN 'online' THEN 2 ELSE 3 END)`;

/** The same counts of the nodes as they are now (the statistics' and /metrics' definitions). */
export const CURRENT_COUNTS: Record<keyof typeof COUNT_TESTS, string> = {
  online: "status = 'online'", offline: "status = 'offline'", initialized: "status = 'initialized'", degraded: "health_state = 'degraded'", maintenance: 'maintenance IS NOT NULL',
};

const num = (v: number | string) => Number(v);
const numOrNull = (v: number | string | null) => (v === null ? null : Number(v));

/** A node's sums from its row. */
export const sumsOf = (r: SumsRow): AvailabilitySums => ({
  id: r.id, startMs: num(r.start), cutMs: numOrNull(r.cut), onlineMs: num(r.online), offlineMs: num(r.offline), maintenanceMs: num(r.maint), incidents: num(r.incidents),
});

/** Rows read per step of a total: the worker's event loop turns between steps (SQLite's reads block it). */
const TOTALS_STEP = 5_000;

/** Adds a node's sums to the totals of its group. */
function addTo(groups: Map<string | null, AvailabilityTotals>, key: string | null, n: AvailabilitySums, toMs: number): void {
  const t = groups.get(key) ?? { nodes: 0, onlineMs: 0, monitoredMs: 0, offlineMs: 0, maintenanceMs: 0, incidents: 0, cutMs: null };
  groups.set(key, t);
  t.nodes++;
  t.onlineMs += n.onlineMs;
  t.monitoredMs += monitoredMs(n, toMs);
  t.offlineMs += n.offlineMs;
  t.maintenanceMs += n.maintenanceMs;
  t.incidents += n.incidents;
  if (n.cutMs !== null && (t.cutMs === null || n.cutMs > t.cutMs)) t.cutMs = n.cutMs;
}

const countsOf = (r: HistoryRow): FleetCounts => ({ online: num(r.online), offline: num(r.offline), initialized: num(r.initialized), degraded: num(r.degraded), maintenance: num(r.maintenance) });

/** Availability and the fleet's history, as every store answers them (SPEC §17). */
export type AvailabilityStore = ReturnType<typeof createAvailabilityReads>;

/** The availability reads of a store. */
export function createAvailabilityReads(dialect: AvailabilityDialect, read: <A extends readonly unknown[], R>(p: Plan<A, R>, ...args: A) => Promise<R[]>, changeVersion: () => Promise<string>) {
  // A scan of every node's meta_data: built again only when the fleet changed.
  const capacity = createVersionCache<null, FleetCapacity>({
    key: () => '', version: changeVersion, maxEntries: 1,
    build: async () => {
      const [r] = await read(dialect.capacity);
      return {
        online: { cpu_number: num(r!.cpu_online ?? 0), gpu_number: num(r!.gpu_online ?? 0), memory_in_bytes: num(r!.memory_online ?? 0) },
        total: { cpu_number: num(r!.cpu_total ?? 0), gpu_number: num(r!.gpu_total ?? 0), memory_in_bytes: num(r!.memory_total ?? 0) },
      };
    },
  });
  return {
    /** The fleet's capacity, online and in all (SPEC §17, the dashboard's overview). */
    capacity: () => capacity(null),
    /** A page of the filter's nodes (or all, `page` null), with the next page's seq if any. */
    async availabilityPage(f: NodeFilter, span: Span, page: { afterSeq: number; limit: number } | null) {
      const rows = await read(dialect.nodes(f, span, page === null ? null : { afterSeq: page.afterSeq, limit: page.limit + 1 }));
      const more = page !== null && rows.length > page.limit;
      const kept = more ? rows.slice(0, page.limit) : rows;
      return { nodes: kept.map(sumsOf), nextSeq: more ? num(kept.at(-1)!.seq) : null };
    },
    async nodeAvailability(id: string, span: Span): Promise<AvailabilitySums | null> {
      const [row] = await read(dialect.node(id, span));
      return row ? sumsOf(row) : null;
    },
    /**
     * The filter's totals: one, or one per group key (the nodes without one last), summed over its
     * nodes' sums read in steps of TOTALS_STEP, so that 100,000 nodes never hold a worker for long.
     */
    async availabilityTotals(f: NodeFilter, span: Span, by: GroupBy | null) {
      const groups = new Map<string | null, AvailabilityTotals>();
      let afterSeq = 0;
      for (let step = 0; step < 1_000_000; step++) {
        const rows = await read(dialect.nodes(f, span, { afterSeq, limit: TOTALS_STEP }, by ?? undefined));
        for (const r of rows) addTo(groups, r.key ?? null, sumsOf(r), span.toMs);
        if (rows.length < TOTALS_STEP) break;
        afterSeq = num(rows.at(-1)!.seq);
        await new Promise((resolve) => setImmediate(resolve));
      }
      return [...groups].sort(([a], [b]) => byKey(a, b)).map(([key, t]) => ({ key, ...t }));
    },
    /** The fleet's counts at `points` multiples of `stepMs` and at `nowMs`, and since when they are whole. */
    async fleetHistory(nowMs: number, stepMs: number, points: number) {
      const oldest = (Math.floor(nowMs / stepMs) - points + 1) * stepMs;
      const rows = await read(dialect.history(oldest));
      const current = rows.find((r) => num(r.b) === -1)!;
      const changes = rows.filter((r) => num(r.b) !== -1).map((r) => ({ b: num(r.b), ...countsOf(r) }));
      return { points: historyPoints(countsOf(current), changes, nowMs, stepMs, points), wholeFromMs: num(current.cut ?? 0) };
    },
  };
}
