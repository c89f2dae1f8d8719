-- depends: 0000-kit-outbox-inbox
-- Every message sent, keyed by (event, kind, recipient), so a redelivered event never sends twice.
CREATE TABLE deliveries (
    delivery_key  TEXT PRIMARY KEY,
    event_id      UUID NOT NULL,
    kind          TEXT NOT NULL,
    recipient     TEXT NOT NULL,
    locale        TEXT NOT NULL,
    message_id    TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('sent', 'failed', 'suppressed')),
    error         TEXT,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX deliveries_by_event ON deliveries (event_id);
CREATE INDEX deliveries_by_recipient ON deliveries (lower(recipient));

-- Addresses that bounced permanently: no more non-transactional mail to them.
CREATE TABLE suppressions (
    recipient   TEXT PRIMARY KEY,
    reason      TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
