-- 004: versions before 0.2 stored text that is not valid Unicode as it came (a lone surrogate escaped
-- in JSON, raw bytes that are not UTF-8), and every document rendered from it then failed strict
-- decoders. Repair such text once: invalid sequences and lone surrogates become U+FFFD. A repaired name
-- gets its node ID appended, so that it stays unique. argus_* are functions the store registers.
UPDATE nodes SET name = argus_repair_text(CAST(name AS BLOB)) || ' [' || id || ']' WHERE argus_text_is_bad(CAST(name AS BLOB));
UPDATE nodes SET type = argus_repair_text(CAST(type AS BLOB)) WHERE argus_text_is_bad(CAST(type AS BLOB));
UPDATE nodes SET version = argus_repair_text(CAST(version AS BLOB)) WHERE argus_text_is_bad(CAST(version AS BLOB));
UPDATE nodes SET meta_data = argus_repair_json(CAST(meta_data AS BLOB)) WHERE argus_json_is_bad(CAST(meta_data AS BLOB));
UPDATE nodes SET config = argus_repair_json(CAST(config AS BLOB)) WHERE argus_json_is_bad(CAST(config AS BLOB));
UPDATE nodes SET label = argus_repair_json(CAST(label AS BLOB)) WHERE argus_json_is_bad(CAST(label AS BLOB));
UPDATE nodes SET health = argus_repair_json(CAST(health AS BLOB)) WHERE argus_json_is_bad(CAST(health AS BLOB));
