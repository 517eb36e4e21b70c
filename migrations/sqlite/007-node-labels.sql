-- 007: the labels of each node, one row per label, indexed by label: GET /nodes?label=… finds a label's
-- nodes (and counts them) through the index instead of reading every node's label array. Kept equal to
-- nodes.label by the store in the transaction of every label change; rows go with their node.
CREATE TABLE node_labels (
  label TEXT    NOT NULL,
  seq   INTEGER NOT NULL,
  PRIMARY KEY (label, seq)
) STRICT, WITHOUT ROWID;
CREATE INDEX node_labels_seq ON node_labels (seq);
INSERT INTO node_labels (label, seq) SELECT DISTINCT j.value, n.seq FROM nodes n, json_each(n.label) j;
-- A keyset page of one status walks this index in seq order from its cursor.
CREATE INDEX nodes_status_seq ON nodes (status, seq);
