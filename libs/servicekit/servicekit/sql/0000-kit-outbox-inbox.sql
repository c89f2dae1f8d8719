-- The reliable-events tables every service shares (DESIGN §4).

-- Events written in the same transaction as the state change they describe; the relay
-- publishes them in id order and stamps published_at only after the broker confirms.
CREATE TABLE outbox (
    id            BIGSERIAL PRIMARY KEY,
    event_id      UUID NOT NULL UNIQUE,
    exchange      TEXT NOT NULL,
    routing_key   TEXT NOT NULL,
    envelope      JSONB NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    published_at  TIMESTAMPTZ,
    -- set when the broker returned the event because no queue was bound for it
    unrouted      BOOLEAN NOT NULL DEFAULT false,
    attempts      INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT
);
CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL;

-- One row per (handler, event) a consumer has applied, written with the handler's effects.
CREATE TABLE inbox (
    handler       TEXT NOT NULL,
    event_id      UUID NOT NULL,
    processed_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (handler, event_id)
);
