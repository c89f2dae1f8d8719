-- depends: 0002-notifications-partners-unsubscribes
-- A temporary SMTP failure is logged as 'deferred' (so staff can see a message is stuck) and
-- the same row becomes 'sent', 'failed' or 'suppressed' when a later retry settles it. Only a
-- deferred row is ever tried again: every other status is final.
ALTER TABLE deliveries DROP CONSTRAINT deliveries_status_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_status_check
    CHECK (status IN ('sent', 'failed', 'suppressed', 'deferred'));
-- SMTP attempts made so far (0 for a message suppressed without trying).
ALTER TABLE deliveries ADD COLUMN attempts INTEGER NOT NULL DEFAULT 1;
ALTER TABLE deliveries ADD COLUMN last_attempt_at TIMESTAMPTZ;
UPDATE deliveries SET last_attempt_at = created_at;
UPDATE deliveries SET attempts = 0 WHERE status = 'suppressed';
ALTER TABLE deliveries ALTER COLUMN last_attempt_at SET NOT NULL;
ALTER TABLE deliveries ALTER COLUMN last_attempt_at SET DEFAULT now();

-- The dead-letter queue watcher's memory, one row per watched queue. A row is locked while a
-- tick decides about its queue, so two instances of the service never both alert.
CREATE TABLE dead_letter_watch (
    queue           TEXT PRIMARY KEY,
    -- the depth staff were last told about, and when; both NULL when no alert is outstanding
    alerted_depth   INTEGER,
    alerted_at      TIMESTAMPTZ,
    observed_depth  INTEGER NOT NULL DEFAULT 0,
    observed_at     TIMESTAMPTZ,
    CHECK ((alerted_depth IS NULL) = (alerted_at IS NULL))
);
