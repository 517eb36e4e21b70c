// Availability and the fleet's history (SPEC §17). Pure: the windows and steps accepted, and the answers
// assembled from the backends' sums. Time in maintenance is left out of a node's monitored time; time
// initialized (registered, no report yet) is monitored and not online; offline time and incidents
// (entries into offline, from any other state) count outside maintenance only.

/** The windows of availability, by name. */
export const AVAILABILITY_WINDOWS = { '24h': 86_400_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000, '90d': 90 * 86_400_000 } as const;
/** One window's name. */
export type AvailabilityWindow = keyof typeof AVAILABILITY_WINDOWS;
/** The fleet's history is kept in buckets of this size: a step is a multiple of it. */
export const HISTORY_BUCKET_MS = 300_000;
/** The windows of the fleet's history, with their default step. */
export const HISTORY_WINDOWS = { '24h': { ms: 86_400_000, stepMs: 300_000 }, '7d': { ms: 7 * 86_400_000, stepMs: 3_600_000 } } as const;
/** One history window's name. */
export type HistoryWindow = keyof typeof HISTORY_WINDOWS;
/** At most this many points in a history (7 days at 5 minutes). */
export const MAX_HISTORY_POINTS = 2016;

type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

/** A `window` of availability; absent: 24h. */
export function parseAvailabilityWindow(text: string | undefined): Parsed<AvailabilityWindow> {
  const t = text ?? '24h';
  if (Object.hasOwn(AVAILABILITY_WINDOWS, t)) return { ok: true, value: t as AvailabilityWindow };
  return { ok: false, error: `window: one of ${Object.keys(AVAILABILITY_WINDOWS).join(', ')} (got ${JSON.stringify(t.slice(0, 40))})` };
}

/** A `window` and `step` of the fleet's history; absent: 24h at its default step. */
export function parseHistory(window: string | undefined, step: string | undefined): Parsed<{ window: HistoryWindow; windowMs: number; stepMs: number }> {
  const w = window ?? '24h';
  if (!Object.hasOwn(HISTORY_WINDOWS, w)) return { ok: false, error: `window: one of ${Object.keys(HISTORY_WINDOWS).join(', ')} (got ${JSON.stringify(w.slice(0, 40))})` };
  const { ms, stepMs: defaultStep } = HISTORY_WINDOWS[w as HistoryWindow];
  if (step === undefined) return { ok: true, value: { window: w as HistoryWindow, windowMs: ms, stepMs: defaultStep } };
  const m = /^([1-9][0-9]{0,6})(m|h)$/.exec(step);
  const stepMs = m ? Number(m[1]) * (m[2] === 'm' ? 60_000 : 3_600_000) : NaN;
  if (!(stepMs % HISTORY_BUCKET_MS === 0 && stepMs <= ms && ms / stepMs <= MAX_HISTORY_POINTS)) {
    return { ok: false, error: `step: a multiple of 5 minutes such as 5m, 15m or 1h, at most the window (got ${JSON.stringify(step.slice(0, 40))})` };
  }
  return { ok: true, value: { window: w as HistoryWindow, windowMs: ms, stepMs } };
}

/** One node's sums over its part of a window, as a backend computes them (milliseconds). */
export interface AvailabilitySums {
  id: string;
  /** Where its counting starts: the window's start, its registration, or where its history is whole. */
  startMs: number;
  /** Set when retention cut its window: its history is whole only from then. */
  cutMs: number | null;
  onlineMs: number;
  offlineMs: number;
  maintenanceMs: number;
  incidents: number;
}

/** One node's availability as the API shows it. */
export interface NodeAvailability {
  id: string;
  /** Online time over monitored time (time outside maintenance since registration); null when there was none. */
  online_ratio: number | null;
  offline_seconds: number;
  incidents: number;
  maintenance_seconds: number;
  /** Only when retention cut the window: false, and the time from which it is counted. */
  complete?: false;
  from?: string;
}

const seconds = (ms: number) => Math.round(ms) / 1000;
/** A ratio with 6 significant decimals (exact enough for 99.9999 %), or null. */
const ratio = (part: number, whole: number) => (whole > 0 ? Math.round((part / whole) * 1e6) / 1e6 : null);

/** The monitored milliseconds of a node: from its start to `toMs`, without maintenance. */
export const monitoredMs = (s: AvailabilitySums, toMs: number) => Math.max(0, toMs - s.startMs - s.maintenanceMs);

/** A node's answer from its sums. */
export function nodeAvailability(s: AvailabilitySums, toMs: number, rfc3339: (ms: number) => string): NodeAvailability {
  const out: NodeAvailability = {
    id: s.id, online_ratio: ratio(s.onlineMs, monitoredMs(s, toMs)), offline_seconds: seconds(s.offlineMs), incidents: s.incidents, maintenance_seconds: seconds(s.maintenanceMs),
  };
  if (s.cutMs !== null) Object.assign(out, { complete: false, from: rfc3339(s.cutMs) });
  return out;
}

/** Sums over many nodes (a selection, or a group of it). */
export interface AvailabilityTotals {
  nodes: number;
  onlineMs: number;
  monitoredMs: number;
  offlineMs: number;
  maintenanceMs: number;
  incidents: number;
  /** The latest cut among the nodes, if retention cut any. */
  cutMs: number | null;
}

/** The answer's `total` (and a group's figures) from totals. */
export function totalAvailability(t: AvailabilityTotals) {
  return {
    nodes: t.nodes, online_ratio: ratio(t.onlineMs, t.monitoredMs), offline_seconds: seconds(t.offlineMs), incidents: t.incidents, maintenance_seconds: seconds(t.maintenanceMs),
  };
}

/** One line of CSV: fields quoted when they hold a comma, a quote or a line break; a leading =+-@ defused. */
export function csvLine(fields: ReadonlyArray<string | number | null | undefined>): string {
  return `${fields
    .map((f) => {
      if (f === null || f === undefined) return '';
      let s = String(f);
      if (typeof f === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
      return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
    })
    .join(',')}\r\n`;
}

/** A ratio as a percentage with 3 decimals, rounded down (99.9999 % never reads 100.000). */
export const percentOf = (ratio: number) => (Math.floor(ratio * 100_000) / 1000).toFixed(3);

/** The file name of a grouping's CSV: `availability-30d-by-meta.user.csv`. */
export const groupsCsvName = (window: string, by: string) => `availability-${window}-by-${by.replace(/[^A-Za-z0-9_.-]/g, '_')}.csv`;

/** The CSV header of nodes' availability. */
export const NODE_CSV_HEADER = csvLine(['id', 'online_ratio', 'offline_seconds', 'incidents', 'maintenance_seconds', 'complete', 'from']);

/** One node's CSV line. */
export const nodeCsvLine = (a: Omit<NodeAvailability, 'complete'> & { complete?: boolean }) => csvLine([a.id, a.online_ratio, a.offline_seconds, a.incidents, a.maintenance_seconds, a.complete === false ? 'false' : 'true', a.from]);

/** A counted state of the fleet's history: the same definitions as the statistics and /metrics. */
export interface FleetCounts {
  online: number;
  offline: number;
  initialized: number;
  degraded: number;
  maintenance: number;
}
const COUNTED = ['online', 'offline', 'initialized', 'degraded', 'maintenance'] as const;

/** One point of the fleet's history. */
export type HistoryPoint = { time: number } & FleetCounts;

/**
 * The fleet's counts at the `points` multiples of `stepMs` up to `nowMs`, then at `nowMs` itself (oldest
 * first), walking back from the current counts: each of `changes` sums the count changes of events
 * later than its `b` (5-minute buckets: events in (b, b + 5 min]), undone at every point up to b.
 */
export function historyPoints(current: FleetCounts, changes: ReadonlyArray<{ b: number } & FleetCounts>, nowMs: number, stepMs: number, points: number): HistoryPoint[] {
  const at = { ...current };
  const out: HistoryPoint[] = [{ time: nowMs, ...at }];
  const sorted = [...changes].sort((x, y) => y.b - x.b);
  let i = 0;
  const latest = Math.floor(nowMs / stepMs) * stepMs;
  for (let k = 0; k < points; k++) {
    const time = latest - k * stepMs;
    for (; i < sorted.length && sorted[i]!.b >= time; i++) for (const c of COUNTED) at[c] -= sorted[i]![c];
    if (time !== nowMs) out.push({ time, ...at });
  }
  return out.reverse();
}
