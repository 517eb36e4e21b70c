// The keys of the `kv` table: the schema version, the ID counter, the change version; operational state
// lives under a `state:` prefix (see writes.ts).

/** The schema version (the number of the last migration applied). */
export const KV_SCHEMA_VERSION = 'schema_version';
/** The last node ID number allocated (never lowered: IDs are never reused). */
export const KV_ID_COUNTER = 'node_id_counter';
/**
 * The change version: bumped in every transaction that changes what GET /nodes, the statistics or the
 * discovery documents show (status, type, version, labels, meta_data, a new node), in any process.
 */
export const KV_LIST_VERSION = 'list_version';
/** The last event id allocated (migration 005): raised in the transaction that writes the events. */
export const KV_EVENT_COUNTER = 'event_id_counter';
