-- 011: the publish version, moved in the transaction of every change to what nodes.json and the file_sd
-- file show (an online node added, removed, relabelled, or its entry's fields changed), in any process.
-- The leader rebuilds the published files when it moves (src/publish/publisher.ts).
INSERT INTO kv (key, value) VALUES ('publish_version', '0') ON CONFLICT (key) DO NOTHING;
