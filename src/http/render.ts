// Rendering of stored records into the API's JSON shapes (epoch ms → RFC 3339 UTC with `Z`).
import type { NodeRecord } from '../domain/node.js';
import { rfc3339 } from '../domain/time.js';

export { parseRfc3339, rfc3339 } from '../domain/time.js';

/** The full node object of SPEC §2. */
export function renderNode(n: NodeRecord) {
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
  };
}
