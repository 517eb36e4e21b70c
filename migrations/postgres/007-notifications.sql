-- Notifications (SPEC §15). Endpoints: where messages go (a webhook, signed with its secret, or an
-- Alertmanager). The events table is the outbox: an event is written in the transaction of its change,
-- and the leader turns the events after `notify_cursor` into deliveries in one transaction that also
-- moves the cursor, so that no change goes without its message and none is fanned out twice.
-- A delivery keeps its id and body across attempts; `state`: pending, delivered, dead, or folded (into
-- the digest `folded_into`).
CREATE TABLE notification_endpoints (
  seq             bigint  PRIMARY KEY,
  id              text       NOT NULL UNIQUE,
  name            text       NOT NULL,
  url             text       NOT NULL,
  kind            text       NOT NULL CHECK (kind IN ('webhook', 'alertmanager')),
  events          text       NOT NULL,
  selector        text       NOT NULL DEFAULT '',
  enabled         integer NOT NULL DEFAULT 1,
  disabled_reason text,
  secret          text       NOT NULL,
  created_at      bigint  NOT NULL,
  from_event      bigint  NOT NULL
);
CREATE TABLE notification_deliveries (
  seq             bigserial PRIMARY KEY,
  id              text       NOT NULL UNIQUE,
  endpoint_id     text       NOT NULL,
  type            text       NOT NULL,
  node_id         text,
  event_id        bigint,
  events          integer NOT NULL,
  body            text       NOT NULL,
  state           text       NOT NULL CHECK (state IN ('pending', 'delivered', 'dead', 'folded')),
  attempts        integer NOT NULL DEFAULT 0,
  next_at         bigint  NOT NULL,
  created_at      bigint  NOT NULL,
  last_attempt_at bigint,
  last_answer     text,
  folded_into     text
);
CREATE INDEX notification_deliveries_due ON notification_deliveries (endpoint_id, next_at) WHERE state = 'pending';
CREATE INDEX notification_deliveries_endpoint ON notification_deliveries (endpoint_id, seq);
CREATE INDEX notification_deliveries_state ON notification_deliveries (state, seq);
CREATE INDEX notification_deliveries_created ON notification_deliveries (created_at);
INSERT INTO kv (key, value) VALUES ('notify_endpoint_counter', '0') ON CONFLICT (key) DO NOTHING;
INSERT INTO kv (key, value) SELECT 'notify_cursor', value FROM kv WHERE key = 'event_id_counter' ON CONFLICT (key) DO NOTHING;
