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
-- Each node's capacity from meta_data (numbers only, else 0), kept by every write: the capacity sums of
-- the statistics by a field and of the dashboard read no JSON (a scan of 100,000 meta_data took 110 ms).
ALTER TABLE nodes ADD COLUMN cpu_number float8 NOT NULL DEFAULT 0;
ALTER TABLE nodes ADD COLUMN gpu_number float8 NOT NULL DEFAULT 0;
ALTER TABLE nodes ADD COLUMN memory_in_bytes float8 NOT NULL DEFAULT 0;
UPDATE nodes SET cpu_number = CASE WHEN jsonb_typeof(meta_data::jsonb -> 'cpu_number') = 'number' THEN (meta_data::jsonb ->> 'cpu_number')::float8 ELSE 0 END, gpu_number = CASE WHEN jsonb_typeof(meta_data::jsonb -> 'gpu_number') = 'number' THEN (meta_data::jsonb ->> 'gpu_number')::float8 ELSE 0 END, memory_in_bytes = CASE WHEN jsonb_typeof(meta_data::jsonb -> 'memory_in_bytes') = 'number' THEN (meta_data::jsonb ->> 'memory_in_bytes')::float8 ELSE 0 END;
