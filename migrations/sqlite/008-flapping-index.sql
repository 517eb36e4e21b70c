-- 008: the flapping nodes, few by nature, found without reading every node: the dashboard's count and
-- filter, GET /nodes?flapping=true, argus_master_flapping_nodes and the sweep's settling of calmed nodes
-- all ask for `flapping = 1` (written literally by the store, so that SQLite can use this partial index).
CREATE INDEX nodes_flapping ON nodes (seq) WHERE flapping = 1;
