-- 001: the nodes table. Times are epoch milliseconds; JSON columns hold JSON text.
-- `seq` is the number part of the ID (A12 -> 12): lists and nodes.json are ordered by it.
CREATE TABLE nodes (
  id                TEXT    PRIMARY KEY,
  seq               INTEGER NOT NULL UNIQUE,
  name              TEXT    NOT NULL UNIQUE,
  type              TEXT    NOT NULL,
  version           TEXT    NOT NULL,
  status            TEXT    NOT NULL CHECK (status IN ('initialized', 'online', 'offline')),
  config            TEXT    NOT NULL DEFAULT '{}',
  label             TEXT    NOT NULL DEFAULT '[]',
  meta_data         TEXT    NOT NULL DEFAULT '{}',
  health            TEXT    NOT NULL DEFAULT '{}',
  register_time     INTEGER NOT NULL,
  last_report       INTEGER,
  agent_last_report INTEGER,
  last_updated      INTEGER NOT NULL
) STRICT;

CREATE INDEX nodes_last_report ON nodes (last_report) WHERE last_report IS NOT NULL;
CREATE INDEX nodes_status ON nodes (status);
