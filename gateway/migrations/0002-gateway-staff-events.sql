-- depends: 0001-gateway-staff-accounts
-- The recent-events feed for staff tools (DESIGN §4.6): every envelope the services publish,
-- once per event id, kept for STAFF_EVENTS_RETENTION_DAYS. `id` is the feed's cursor: rows are
-- inserted under an advisory lock, so they commit in id order and `after=` never skips one.
CREATE TABLE staff_events (
    id              BIGSERIAL PRIMARY KEY,
    event_id        UUID NOT NULL UNIQUE,
    type            TEXT NOT NULL,
    version         INTEGER NOT NULL,
    source          TEXT NOT NULL,
    occurred_at     TIMESTAMPTZ NOT NULL,
    correlation_id  TEXT NOT NULL,
    data            JSONB NOT NULL,             -- carries names and e-mails: staff only
    received_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX staff_events_type ON staff_events (type, id);
CREATE INDEX staff_events_received_at ON staff_events (received_at);
