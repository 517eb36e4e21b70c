-- 008: availability and the fleet's history (SPEC §17), as SQLite's 014: each event that changes a
-- node's state carries the state before and after as a code (domain/events.ts, stateCode); the history
-- is whole since kv `history_from` and, per node, since nodes.history_from.
ALTER TABLE events ADD COLUMN state_before integer;
ALTER TABLE events ADD COLUMN state_after integer;
ALTER TABLE nodes ADD COLUMN history_from bigint;
CREATE INDEX events_node_states ON events (node_id, time) INCLUDE (state_before, state_after) WHERE state_after IS NOT NULL;
CREATE INDEX events_time_states ON events (time) INCLUDE (state_before, state_after) WHERE state_after IS NOT NULL;
-- The fleet's history per 5-minute bucket, folded from the events up to kv history_cursor (as SQLite's 014).
CREATE TABLE history_buckets (
  bucket      bigint PRIMARY KEY,
  online      integer NOT NULL,
  offline     integer NOT NULL,
  initialized integer NOT NULL,
  degraded    integer NOT NULL,
  maintenance integer NOT NULL
);
-- Retention's per-node pass keeps its place across restarts (it scanned every event at each start).
INSERT INTO kv (key, value) VALUES ('retention_cursor', '0') ON CONFLICT (key) DO NOTHING;
INSERT INTO kv (key, value) SELECT 'history_cursor', value FROM kv WHERE key = 'event_id_counter' ON CONFLICT (key) DO NOTHING;
INSERT INTO kv (key, value)
  SELECT 'history_buckets_from', greatest(coalesce((SELECT max(time) FROM events), 0), coalesce((SELECT max(status_since) FROM nodes), 0))::text
  ON CONFLICT (key) DO NOTHING;
INSERT INTO kv (key, value)
  SELECT 'history_from', greatest(coalesce((SELECT max(time) FROM events), 0), coalesce((SELECT max(status_since) FROM nodes), 0))::text
  ON CONFLICT (key) DO NOTHING;
