-- depends: 0003-notifications-deferred-and-dead-letter-watch
-- An attempt is committed as 'sending' before the relay is contacted, and settled afterwards,
-- so a crash or a lost database connection between the two can no longer send a message
-- twice. 'unknown': an attempt whose outcome was never recorded (the process died mid-send);
-- it is not sent again automatically. `attempt_id` says whose attempt a 'sending' row is.
ALTER TABLE deliveries DROP CONSTRAINT deliveries_status_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_status_check
    CHECK (status IN ('sent', 'failed', 'suppressed', 'deferred', 'sending', 'unknown'));
ALTER TABLE deliveries ADD COLUMN attempt_id UUID;
CREATE INDEX deliveries_without_outcome ON deliveries (last_attempt_at)
    WHERE status IN ('sending', 'unknown');
