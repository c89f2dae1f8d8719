-- depends: 0001-matching
-- The day-before reminder of an assigned spot request: when it was sent, so it is sent once.

ALTER TABLE spot_requests ADD COLUMN reminder_sent_at TIMESTAMPTZ;

-- What the reminder tick looks for: assigned requests not yet reminded, by start.
CREATE INDEX spot_requests_awaiting_reminder ON spot_requests (starts_at)
    WHERE status = 'assigned' AND reminder_sent_at IS NULL;
