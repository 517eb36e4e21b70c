-- 004: events by type in id order (GET /events?type=…, the streams' type filters), as SQLite's 010.
CREATE INDEX events_type ON events (type, id);
