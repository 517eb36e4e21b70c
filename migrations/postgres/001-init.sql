-- 001: the whole schema of SQLite's migrations 001–008, for PostgreSQL (SPEC §11). Times are epoch
-- milliseconds (bigint), as in SQLite; JSON columns are text holding the exact JSON the API shows
-- (the store renders documents from them, as SQLite's does), so both backends answer byte for byte alike.
CREATE TABLE kv (
  key   text PRIMARY KEY,
  value text NOT NULL
);
INSERT INTO kv (key, value) VALUES ('node_id_counter', '0'), ('list_version', '0'), ('event_id_counter', '0');

CREATE TABLE nodes (
  id                text    PRIMARY KEY,
  seq               bigint  NOT NULL UNIQUE,
  name              text    NOT NULL UNIQUE,
  type              text    NOT NULL,
  version           text    NOT NULL,
  status            text    NOT NULL CHECK (status IN ('initialized', 'online', 'offline')),
  config            text    NOT NULL DEFAULT '{}',
  label             text    NOT NULL DEFAULT '[]',
  meta_data         text    NOT NULL DEFAULT '{}',
  health            text    NOT NULL DEFAULT '{}',
  register_time     bigint  NOT NULL,
  last_report       bigint,
  agent_last_report bigint,
  last_updated      bigint  NOT NULL,
  token_hash        text,
  status_since      bigint  NOT NULL,
  flapping          integer NOT NULL DEFAULT 0,
  flap_times        text    NOT NULL DEFAULT '[]'
);
CREATE INDEX nodes_status_last_report ON nodes (status, last_report);
CREATE INDEX nodes_status_since ON nodes (status, status_since);
CREATE INDEX nodes_status_seq ON nodes (status, seq);
CREATE INDEX nodes_flapping ON nodes (seq) WHERE flapping = 1;

CREATE TABLE node_labels (
  label text   NOT NULL,
  seq   bigint NOT NULL,
  PRIMARY KEY (label, seq)
);
CREATE INDEX node_labels_seq ON node_labels (seq);

CREATE TABLE events (
  id      bigint PRIMARY KEY,
  time    bigint NOT NULL,
  type    text   NOT NULL,
  node_id text,
  body    text   NOT NULL
);
CREATE INDEX events_node ON events (node_id, id);
CREATE INDEX events_time ON events (time);

-- Leadership (SPEC §11): one row; the epoch is the fencing token, raised at every change of leader.
-- Times are the database's clock (now()), never a master's.
CREATE TABLE leader_lease (
  singleton  boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
  instance   text        NOT NULL,
  epoch      bigint      NOT NULL,
  since      timestamptz NOT NULL,
  expires_at timestamptz NOT NULL
);
-- Every master's last contact (GET /cluster, /readyz), by instance.
CREATE TABLE masters (
  instance  text        PRIMARY KEY,
  host      text        NOT NULL,
  started   timestamptz NOT NULL,
  last_seen timestamptz NOT NULL
);
