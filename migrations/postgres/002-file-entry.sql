-- 002: each node's nodes.json entry, stored beside it, as SQLite's migration 009: the store writes it
-- whenever the node's ID, meta_data or labels are written (rows.ts fileEntryOf), so that nodes.json
-- concatenates stored text instead of parsing every online node's meta_data again. The rows already
-- there are filled in by the migrator, in JavaScript, in the same transaction (migrate.ts).
ALTER TABLE nodes ADD COLUMN file_entry text;
