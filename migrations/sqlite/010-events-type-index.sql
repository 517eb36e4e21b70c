-- 010: events by type in id order (GET /events?type=…, the streams' type filters): a filter read through
-- an index instead of walking every event after the cursor. Appends at the end of each type's range.
CREATE INDEX events_type ON events (type, id);
