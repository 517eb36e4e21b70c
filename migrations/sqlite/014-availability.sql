-- 014: availability and the fleet's history (SPEC §17). Each event that changes a node's state (its
-- status, degraded or not, in maintenance or not) carries the state before and after as a code
-- (domain/events.ts, stateCode); walking a node's events back from its current row gives its state at
-- any time since its history is whole. It is whole since `history_from` (kv): the newest time of an
-- event with a state that retention deleted, or, for a database from before this migration, its last
-- event; and per node since nodes.history_from, the newest of its state events that EVENTS_MAX_PER_NODE
-- deleted. Events before this migration carry no codes.
ALTER TABLE events ADD COLUMN state_before INTEGER;
ALTER TABLE events ADD COLUMN state_after INTEGER;
ALTER TABLE nodes ADD COLUMN history_from INTEGER;
CREATE INDEX events_node_states ON events (node_id, time, state_before, state_after) WHERE state_after IS NOT NULL;
CREATE INDEX events_time_states ON events (time, state_before, state_after) WHERE state_after IS NOT NULL;
-- The fleet's history: the changes of the counts (online, offline, initialized, degraded, in maintenance)
-- per 5-minute bucket (events with a time in (bucket, bucket + 5 min]), folded in by the sweeping process
-- from the events up to `history_cursor` (kv) in the transaction that moves it; retention deletes only
-- folded events, so the history stays exact when they are gone. Whole since `history_buckets_from`.
CREATE TABLE history_buckets (
  bucket      INTEGER PRIMARY KEY,
  online      INTEGER NOT NULL,
  offline     INTEGER NOT NULL,
  initialized INTEGER NOT NULL,
  degraded    INTEGER NOT NULL,
  maintenance INTEGER NOT NULL
) STRICT;
-- Retention's per-node pass keeps its place across restarts (it scanned every event at each start).
INSERT INTO kv (key, value) VALUES ('retention_cursor', '0') ON CONFLICT (key) DO NOTHING;
INSERT INTO kv (key, value) SELECT 'history_cursor', value FROM kv WHERE key = 'event_id_counter' ON CONFLICT (key) DO NOTHING;
INSERT INTO kv (key, value)
  SELECT 'history_buckets_from', CAST(max(coalesce((SELECT max(time) FROM events), 0), coalesce((SELECT max(status_since) FROM nodes), 0)) AS TEXT)
  ON CONFLICT (key) DO NOTHING;
INSERT INTO kv (key, value)
  SELECT 'history_from', CAST(max(coalesce((SELECT max(time) FROM events), 0), coalesce((SELECT max(status_since) FROM nodes), 0)) AS TEXT)
  ON CONFLICT (key) DO NOTHING;
-- Each node's capacity from meta_data (numbers only, else 0), kept by every write: the capacity sums of
-- the statistics by a field and of the dashboard read no JSON (a scan of 100,000 meta_data took 110 ms).
ALTER TABLE nodes ADD COLUMN cpu_number REAL NOT NULL DEFAULT 0;
ALTER TABLE nodes ADD COLUMN gpu_number REAL NOT NULL DEFAULT 0;
ALTER TABLE nodes ADD COLUMN memory_in_bytes REAL NOT NULL DEFAULT 0;
UPDATE nodes SET cpu_number = CASE WHEN json_type(meta_data, '$.cpu_number') IN ('integer', 'real') THEN meta_data ->> '$.cpu_number' ELSE 0 END, gpu_number = CASE WHEN json_type(meta_data, '$.gpu_number') IN ('integer', 'real') THEN meta_data ->> '$.gpu_number' ELSE 0 END, memory_in_bytes = CASE WHEN json_type(meta_data, '$.memory_in_bytes') IN ('integer', 'real') THEN meta_data ->> '$.memory_in_bytes' ELSE 0 END;
