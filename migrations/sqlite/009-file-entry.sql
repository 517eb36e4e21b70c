-- 009: each node's nodes.json entry, stored beside it: the store writes it whenever the node's ID,
-- meta_data or labels are written (rows.ts fileEntryOf), so that nodes.json concatenates stored text
-- instead of parsing every online node's meta_data again (1.6 of the 2.2 s a million nodes took).
-- Filled in here by the domain's own rendering (argus_file_entry, a function the store registers).
ALTER TABLE nodes ADD COLUMN file_entry TEXT;
UPDATE nodes SET file_entry = argus_file_entry(id, meta_data, label);
