-- 006: component health (SPEC §14) and maintenance windows (SPEC §13), as SQLite's 012.
ALTER TABLE nodes ADD COLUMN health_state text NOT NULL DEFAULT 'unknown';
ALTER TABLE nodes ADD COLUMN conditions text NOT NULL DEFAULT '[]';
ALTER TABLE nodes ADD COLUMN maintenance text;
ALTER TABLE nodes ADD COLUMN maintenance_status text;

UPDATE nodes SET
  health_state = CASE
    WHEN NOT EXISTS (SELECT 1 FROM jsonb_each(nodes.health::jsonb)) THEN 'unknown'
    WHEN EXISTS (SELECT 1 FROM jsonb_each(nodes.health::jsonb) j
                 WHERE NOT (jsonb_typeof(j.value) = 'object' AND jsonb_typeof(j.value -> 'status') = 'string'
                            AND translate(j.value ->> 'status', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') = 'healthy')) THEN 'degraded'
    ELSE 'healthy' END,
  conditions = coalesce((
    SELECT json_agg(json_build_object(
             'component', j.key,
             'status', CASE WHEN jsonb_typeof(j.value) = 'object' AND jsonb_typeof(j.value -> 'status') = 'string' THEN j.value ->> 'status' ELSE 'unknown' END,
             'since', coalesce(nodes.last_report, nodes.register_time),
             'message', CASE WHEN jsonb_typeof(j.value) = 'object' AND jsonb_typeof(j.value -> 'message') = 'string' THEN j.value ->> 'message'
                             WHEN jsonb_typeof(j.value) = 'object' AND jsonb_typeof(j.value -> 'error') = 'string' THEN j.value ->> 'error' END))::text
    FROM jsonb_each(nodes.health::jsonb) j
    WHERE NOT (jsonb_typeof(j.value) = 'object' AND jsonb_typeof(j.value -> 'status') = 'string'
               AND translate(j.value ->> 'status', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') = 'healthy')), '[]')
WHERE health <> '{}';

CREATE INDEX nodes_degraded ON nodes (seq) WHERE health_state = 'degraded';
CREATE INDEX nodes_maintenance ON nodes (maintenance, seq) WHERE maintenance IS NOT NULL;

CREATE TABLE maintenance_windows (
  seq        bigint  PRIMARY KEY,
  id         text    NOT NULL UNIQUE,
  selector   text    NOT NULL,
  nodes      text    NOT NULL DEFAULT '[]',
  reason     text    NOT NULL,
  actor      text    NOT NULL,
  starts_at  bigint  NOT NULL,
  ends_at    bigint  NOT NULL,
  created_at bigint  NOT NULL,
  phase      text    NOT NULL DEFAULT 'scheduled' CHECK (phase IN ('scheduled', 'active', 'ended')),
  ended_at   bigint,
  cancelled  integer NOT NULL DEFAULT 0,
  matched    integer NOT NULL DEFAULT 0
);
CREATE INDEX maintenance_windows_phase ON maintenance_windows (phase, starts_at);
INSERT INTO kv (key, value) VALUES ('maintenance_id_counter', '0') ON CONFLICT (key) DO NOTHING;
