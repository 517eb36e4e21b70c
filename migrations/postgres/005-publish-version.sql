-- 005: the publish version, as SQLite's 011: moved in the transaction of every change to what nodes.json
-- and the file_sd file show, by whichever master made it; the leader rebuilds the files when it moves.
INSERT INTO kv (key, value) VALUES ('publish_version', '0') ON CONFLICT (key) DO NOTHING;
