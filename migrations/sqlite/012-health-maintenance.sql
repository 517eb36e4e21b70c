-- 012: component health (SPEC §14) and maintenance windows (SPEC §13).
-- A node's derived health: its state (healthy, degraded, unknown) and the failing components with when
-- each began failing (JSON: [{"component", "status", "since" (epoch ms), "message"}]), written with each
-- status report. Nodes that reported before this migration get them from their stored health, each
-- failure dated at the node's last report.
ALTER TABLE nodes ADD COLUMN health_state TEXT NOT NULL DEFAULT 'unknown';
ALTER TABLE nodes ADD COLUMN conditions TEXT NOT NULL DEFAULT '[]';
-- The maintenance window a node is in (null: none), and its status when it entered (the end-of-window rule).
ALTER TABLE nodes ADD COLUMN maintenance TEXT;
ALTER TABLE nodes ADD COLUMN maintenance_status TEXT;

UPDATE nodes SET
  health_state = CASE
    WHEN NOT EXISTS (SELECT 1 FROM json_each(nodes.health)) THEN 'unknown'
    WHEN EXISTS (SELECT 1 FROM json_each(nodes.health) j
                 WHERE NOT (j.type = 'object' AND json_type(j.value, '$.status') = 'text' AND lower(j.value ->> '$.status') = 'healthy')) THEN 'degraded'
    ELSE 'healthy' END,
  conditions = coalesce((
    SELECT json_group_array(json_object(
             'component', j.key,
             'status', CASE WHEN j.type = 'object' AND json_type(j.value, '$.status') = 'text' THEN j.value ->> '$.status' ELSE 'unknown' END,
             'since', coalesce(nodes.last_report, nodes.register_time),
             'message', CASE WHEN j.type = 'object' AND json_type(j.value, '$.message') = 'text' THEN j.value ->> '$.message'
                             WHEN j.type = 'object' AND json_type(j.value, '$.error') = 'text' THEN j.value ->> '$.error' END))
    FROM json_each(nodes.health) j
    WHERE NOT (j.type = 'object' AND json_type(j.value, '$.status') = 'text' AND lower(j.value ->> '$.status') = 'healthy')), '[]')
WHERE health <> '{}';

-- Degraded nodes and nodes in maintenance, for selectors (`health=degraded`, `maintenance=true`) and metrics.
CREATE INDEX nodes_degraded ON nodes (seq) WHERE health_state = 'degraded';
CREATE INDEX nodes_maintenance ON nodes (maintenance, seq) WHERE maintenance IS NOT NULL;

-- Maintenance windows: a selector and/or listed nodes, a reason, who made it, a start and an end. `phase`
-- is what the sweeping side has applied (scheduled → active → ended); the state the API shows follows
-- the times at once. `matched`: the nodes it covered when it ended.
CREATE TABLE maintenance_windows (
  seq        INTEGER PRIMARY KEY,
  id         TEXT    NOT NULL UNIQUE,
  selector   TEXT    NOT NULL,
  nodes      TEXT    NOT NULL DEFAULT '[]',
  reason     TEXT    NOT NULL,
  actor      TEXT    NOT NULL,
  starts_at  INTEGER NOT NULL,
  ends_at    INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  phase      TEXT    NOT NULL DEFAULT 'scheduled' CHECK (phase IN ('scheduled', 'active', 'ended')),
  ended_at   INTEGER,
  cancelled  INTEGER NOT NULL DEFAULT 0,
  matched    INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX maintenance_windows_phase ON maintenance_windows (phase, starts_at);
INSERT INTO kv (key, value) VALUES ('maintenance_id_counter', '0') ON CONFLICT (key) DO NOTHING;
