-- 006: fleet lifecycle (SPEC §9). Garbage collection looks for nodes offline, or initialized without a
-- report, since before a cut-off: an index on (status, status_since) makes that a range scan.
-- Flapping: `flap_times` holds the times (epoch ms) of the node's latest online/offline transitions
-- (at most FLAP_TRANSITIONS of them), `flapping` whether they fell within the window at the last one.
CREATE INDEX nodes_status_since ON nodes (status, status_since);
ALTER TABLE nodes ADD COLUMN flapping INTEGER NOT NULL DEFAULT 0;
ALTER TABLE nodes ADD COLUMN flap_times TEXT NOT NULL DEFAULT '[]';
