-- Notifications (SPEC §15). Endpoints: where messages go (a webhook, signed with its secret, or an
-- Alertmanager). The events table is the outbox: an event is written in the transaction of its change,
-- and the leader turns the events after `notify_cursor` into deliveries in one transaction that also
-- moves the cursor, so that no change goes without its message and none is fanned out twice.
-- A delivery keeps its id and body across attempts; `state`: pending, delivered, dead, or folded (into
-- the digest `folded_into`).
CREATE TABLE notification_endpoints (
  seq             INTEGER PRIMARY KEY,
  id              TEXT    NOT NULL UNIQUE,
  name            TEXT    NOT NULL,
  url             TEXT    NOT NULL,
  kind            TEXT    NOT NULL CHECK (kind IN ('webhook', 'alertmanager')),
  events          TEXT    NOT NULL,
  selector        TEXT    NOT NULL DEFAULT '',
  enabled         INTEGER NOT NULL DEFAULT 1,
  disabled_reason TEXT,
  secret          TEXT    NOT NULL,
  created_at      INTEGER NOT NULL,
  from_event      INTEGER NOT NULL
) STRICT;
CREATE TABLE notification_deliveries (
  seq             INTEGER PRIMARY KEY AUTOINCREMENT,
  id              TEXT    NOT NULL UNIQUE,
  endpoint_id     TEXT    NOT NULL,
  type            TEXT    NOT NULL,
  node_id         TEXT,
  event_id        INTEGER,
  events          INTEGER NOT NULL,
  body            TEXT    NOT NULL,
  state           TEXT    NOT NULL CHECK (state IN ('pending', 'delivered', 'dead', 'folded')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_at         INTEGER NOT NULL,
  created_at      INTEGER NOT NULL,
  last_attempt_at INTEGER,
  last_answer     TEXT,
  folded_into     TEXT
) STRICT;
CREATE INDEX notification_deliveries_due ON notification_deliveries (endpoint_id, next_at) WHERE state = 'pending';
CREATE INDEX notification_deliveries_endpoint ON notification_deliveries (endpoint_id, seq);
CREATE INDEX notification_deliveries_state ON notification_deliveries (state, seq);
CREATE INDEX notification_deliveries_created ON notification_deliveries (created_at);
INSERT INTO kv (key, value) VALUES ('notify_endpoint_counter', '0') ON CONFLICT (key) DO NOTHING;
INSERT INTO kv (key, value) SELECT 'notify_cursor', value FROM kv WHERE key = 'event_id_counter' ON CONFLICT (key) DO NOTHING;
