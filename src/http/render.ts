// Rendering of stored records into the API's JSON shapes (epoch ms → RFC 3339 UTC with `Z`).
import { windowState, type MaintenanceWindow } from '../domain/maintenance.js';
import type { NodeRecord } from '../domain/node.js';
import { rfc3339 } from '../domain/time.js';

export { parseRfc3339, rfc3339 } from '../domain/time.js';

/**
 * The full node object of SPEC §2, with its derived health (§14) and its maintenance window (§13;
 * `window` is the record of `n.maintenance`, null when the node is in none).
 */
export function renderNode(n: NodeRecord, window: MaintenanceWindow | null = null) {
  return {
    id: n.id,
    name: n.name,
    type: n.type,
    version: n.version,
    status: n.status,
    config: n.config,
    label: n.label,
    meta_data: n.metaData,
    health: n.health,
    register_time: rfc3339(n.registerTimeMs),
    last_report: n.lastReportMs === null ? null : rfc3339(n.lastReportMs),
    agent_last_report: n.agentLastReportMs === null ? null : rfc3339(n.agentLastReportMs),
    last_updated: rfc3339(n.lastUpdatedMs),
    // When the status last changed (SPEC §9.2): "offline for 3 h".
    status_since: rfc3339(n.statusSinceMs),
    flapping: n.flapping,
    // The master's receive time minus the agent's own timestamp of its last report: a large value means
    // a skewed agent clock (or a report that took that long to arrive).
    clock_skew_seconds: n.lastReportMs === null || n.agentLastReportMs === null ? null : (n.lastReportMs - n.agentLastReportMs) / 1000,
    health_state: n.healthState,
    conditions: n.conditions.map((c) => ({ component: c.component, status: c.status, since: rfc3339(c.sinceMs), message: c.message })),
    maintenance: n.maintenance === null ? null : { window: n.maintenance, reason: window?.reason ?? null, actor: window?.actor ?? null, ends_at: window ? rfc3339(window.endsAtMs) : null },
  };
}

/** A maintenance window as the API shows it (SPEC §13), its state at `nowMs` and the nodes it covers now. */
export function renderWindow(w: MaintenanceWindow, nowMs: number, matched: number) {
  return {
    id: w.id,
    selector: w.selectorText,
    nodes: w.nodes,
    reason: w.reason,
    actor: w.actor,
    starts_at: rfc3339(w.startsAtMs),
    ends_at: rfc3339(w.endsAtMs),
    created_at: rfc3339(w.createdAtMs),
    ended_at: w.endedAtMs === null ? null : rfc3339(w.endedAtMs),
    state: windowState(w, nowMs),
    cancelled: w.cancelled,
    matched,
  };
}
