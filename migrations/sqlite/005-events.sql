-- 005: fleet events (SPEC §8.1) and status_since (SPEC §9.2).
-- An event is a row written in the transaction of the change it records. Its id comes from the kv
-- counter event_id_counter, raised in that same write transaction: SQLite has one writer at a time, so
-- ids become visible in increasing order to every reader, in every process, and are never reused, even
-- after retention deleted every event. `body` is the event's JSON as the API shows it.
CREATE TABLE events (
  id      INTEGER PRIMARY KEY,
  time    INTEGER NOT NULL,
  type    TEXT    NOT NULL,
  node_id TEXT,
  body    TEXT    NOT NULL
) STRICT;
CREATE INDEX events_node ON events (node_id, id);
CREATE INDEX events_time ON events (time);
INSERT INTO kv (key, value) VALUES ('event_id_counter', '0') ON CONFLICT (key) DO NOTHING;

-- When the status last changed; for nodes from before, the best known: registration while initialized,
-- else the last update.
ALTER TABLE nodes ADD COLUMN status_since INTEGER;
UPDATE nodes SET status_since = CASE WHEN status = 'initialized' THEN register_time ELSE last_updated END;
