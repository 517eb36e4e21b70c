// Node status rules (SPEC §3): the one place that says what a report's age means.
// Pure: time is always a parameter, never read here.

/** The three statuses a node can have, as a string union backed by a constant object. */
export const NodeStatus = {
  Initialized: 'initialized',
  Online: 'online',
  Offline: 'offline',
} as const;

/** A node's status: `initialized` (never reported), `online` or `offline`. */
export type NodeStatus = (typeof NodeStatus)[keyof typeof NodeStatus];

/** Every status, in the order the statistics endpoint sorts them (by name). */
export const ALL_STATUSES: readonly NodeStatus[] = ['initialized', 'offline', 'online'];

/** The two thresholds, in milliseconds: online while age ≤ onlineWithinMs, offline once age > offlineAfterMs. */
export interface Thresholds {
  readonly onlineWithinMs: number;
  readonly offlineAfterMs: number;
}

/**
 * The report-time cut-offs of one sweep at `nowMs`: a node whose last report is at or after
 * `onlineSinceMs` is online; one whose last report is strictly before `offlineBeforeMs` is offline;
 * anything in between keeps its status. Storage backends sweep with these (in SQL), so they agree
 * with `statusOf` by construction.
 */
export interface SweepCutoffs {
  readonly onlineSinceMs: number;
  readonly offlineBeforeMs: number;
}

/** Computes the cut-offs of a sweep at `nowMs`. */
export function sweepCutoffs(nowMs: number, thresholds: Thresholds): SweepCutoffs {
  return {
    onlineSinceMs: nowMs - thresholds.onlineWithinMs,
    offlineBeforeMs: nowMs - thresholds.offlineAfterMs,
  };
}

/**
 * The status a node should have at `nowMs`, given its current status and last report time (epoch ms,
 * null if it never reported). age > offline threshold → offline; age ≤ online threshold → online;
 * in the band between, the current status is kept; never reported → unchanged (initialized).
 */
export function statusOf(
  current: NodeStatus,
  lastReportMs: number | null,
  nowMs: number,
  thresholds: Thresholds,
): NodeStatus {
  if (lastReportMs === null) return current;
  const cut = sweepCutoffs(nowMs, thresholds);
  if (lastReportMs < cut.offlineBeforeMs) return NodeStatus.Offline;
  if (lastReportMs >= cut.onlineSinceMs) return NodeStatus.Online;
  return current;
}
