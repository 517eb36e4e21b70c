-- 003: one index on (status, last_report) serves both halves of a sweep (nodes not yet offline with an
-- old report; nodes not yet online with a fresh one) as range scans, and the lists by status.
DROP INDEX IF EXISTS nodes_last_report;
DROP INDEX IF EXISTS nodes_status;
CREATE INDEX nodes_status_last_report ON nodes (status, last_report);
