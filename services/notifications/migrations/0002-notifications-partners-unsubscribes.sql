-- depends: 0001-notifications-deliveries
-- Who is an active JII Partner, learnt from donations' pledge events (notifications never asks
-- donations). One row per pledge; `as_of` is the event time, so a late, older event cannot
-- overwrite a newer state.
CREATE TABLE partners (
    pledge_id      UUID PRIMARY KEY,
    supporter_id   UUID NOT NULL,
    name           TEXT NOT NULL,
    email          TEXT NOT NULL,
    locale         TEXT NOT NULL,
    status         TEXT NOT NULL,
    as_of          TIMESTAMPTZ NOT NULL
);
CREATE INDEX partners_active ON partners (status) WHERE status = 'active';
CREATE INDEX partners_by_supporter ON partners (supporter_id);

-- One-click opt-outs from a mailing list (only 'impact_update' today). Receipts and other
-- transactional mail never look here.
CREATE TABLE unsubscribes (
    recipient   TEXT NOT NULL,            -- lower-cased address
    list        TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (recipient, list)
);

-- The latest figures programs told us for each month, and which months were already mailed.
CREATE TABLE impact_months (
    month       TEXT PRIMARY KEY,         -- YYYY-MM (Tokyo)
    figures     JSONB NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
CREATE TABLE impact_mailings (
    month             TEXT PRIMARY KEY,
    -- The event that triggered the mailing: every later retry or trigger reuses its id, so the
    -- delivery log sees one (event, kind, recipient) per partner and month.
    trigger_event_id  UUID NOT NULL,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now()
);
