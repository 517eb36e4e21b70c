// The keys of the `kv` table, the same in both backends (and copy-db's). Operational state (heartbeat,
// brake, sessions) lives under `state:`, apart from the counters and the schema version.

/** Every key of kv, by what it holds. */
export const KV = {
  /** The number of the last migration applied. */
  schemaVersion: 'schema_version',
  /** The last node ID number allocated (never lowered but by a creation that took it and gave it back in one transaction). */
  idCounter: 'node_id_counter',
  /**
   * The change version: moved in every transaction that changes what GET /nodes, the statistics or the
   * discovery documents show (status, type, version, labels, meta_data, health as selectors see it,
   * maintenance, a node added or removed).
   */
  changeVersion: 'list_version',
  /**
   * The publish version: moved in every transaction that changes what nodes.json and the file_sd file
   * show (an online node added, removed or changed); the leader rebuilds them when it moves.
   */
  publishVersion: 'publish_version',
  /** The last event id allocated: raised in the transaction that writes the events. */
  eventCounter: 'event_id_counter',
  /** The last maintenance window number allocated (M1, M2, …). */
  maintenanceCounter: 'maintenance_id_counter',
  /** The last notification endpoint number allocated (E1, E2, …). */
  endpointCounter: 'notify_endpoint_counter',
  /** The last event fanned out into notification deliveries (SPEC §15: the events table is the outbox). */
  notifyCursor: 'notify_cursor',
  /**
   * Since when every node's state history is whole (SPEC §17): the newest state event retention
   * deleted (migration 014). A node's own cut by EVENTS_MAX_PER_NODE is its row's history_from.
   */
  historyFrom: 'history_from',
  /** The last event retention's per-node pass looked at (kept across restarts: a start scans only what is new). */
  retentionCursor: 'retention_cursor',
  /** The last event folded into the fleet's history (history_buckets); retention deletes none after it. */
  historyCursor: 'history_cursor',
  /** Since when history_buckets holds every change (events before migration 014 carry none). */
  historyBucketsFrom: 'history_buckets_from',
  /** The prefix of operational state. */
  statePrefix: 'state:',
} as const;

/** The counters a copy carries over (copy-db): so that no ID or event id is ever given twice. */
export const COPIED_COUNTERS = [KV.idCounter, KV.eventCounter, KV.maintenanceCounter, KV.historyFrom, KV.historyCursor, KV.historyBucketsFrom, KV.retentionCursor] as const;
