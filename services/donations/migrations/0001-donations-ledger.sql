-- depends: 0000-kit-outbox-inbox
-- Supporters, monthly pledges and the payment ledger.

CREATE TABLE supporters (
    id                  UUID PRIMARY KEY,
    name                TEXT NOT NULL,
    email               TEXT NOT NULL,
    locale              TEXT NOT NULL,
    stripe_customer_id  TEXT UNIQUE,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE pledges (
    id                      UUID PRIMARY KEY,
    supporter_id            UUID NOT NULL REFERENCES supporters (id),
    amount                  INTEGER NOT NULL CHECK (amount > 0),
    currency                TEXT NOT NULL DEFAULT 'jpy' CHECK (currency = 'jpy'),
    status                  TEXT NOT NULL DEFAULT 'pending'
                            CHECK (status IN ('pending', 'active', 'paused', 'past_due', 'canceled')),
    cancel_reason           TEXT,
    stripe_subscription_id  TEXT UNIQUE,
    created_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    started_at              TIMESTAMPTZ,
    updated_at              TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Receipt numbers run without gaps within a calendar year: the counter row is taken under
-- lock in the same transaction as the payment it numbers.
CREATE TABLE receipt_counters (
    year         INTEGER PRIMARY KEY,
    last_number  INTEGER NOT NULL
);

CREATE TABLE payments (
    id                        UUID PRIMARY KEY,
    supporter_id              UUID NOT NULL REFERENCES supporters (id),
    pledge_id                 UUID REFERENCES pledges (id),
    source                    TEXT NOT NULL CHECK (source IN
                              ('card_one_time', 'monthly', 'bank_transfer', 'grant', 'membership_fee')),
    amount                    INTEGER NOT NULL CHECK (amount > 0),
    currency                  TEXT NOT NULL DEFAULT 'jpy' CHECK (currency = 'jpy'),
    receipt_number            TEXT NOT NULL UNIQUE,
    stripe_invoice_id         TEXT UNIQUE,
    stripe_payment_intent_id  TEXT,
    paid_at                   TIMESTAMPTZ NOT NULL,
    created_at                TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX payments_by_pledge ON payments (pledge_id);

-- Each Stripe event is applied once, in the same transaction as its effects.
CREATE TABLE stripe_events (
    event_id     TEXT PRIMARY KEY,
    type         TEXT NOT NULL,
    received_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
