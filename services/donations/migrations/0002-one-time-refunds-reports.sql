-- depends: 0001-donations-ledger
-- One-time card donations, staff-recorded payments, refunds, disputes, pledge life cycle and
-- anonymisation.

-- An anonymised supporter keeps its row (the amounts stay in the ledger) without name or e-mail.
ALTER TABLE supporters ALTER COLUMN name DROP NOT NULL;
ALTER TABLE supporters ALTER COLUMN email DROP NOT NULL;
ALTER TABLE supporters ADD COLUMN anonymized_at TIMESTAMPTZ;

ALTER TABLE pledges ADD COLUMN paused_at TIMESTAMPTZ;
ALTER TABLE pledges ADD COLUMN canceled_at TIMESTAMPTZ;
ALTER TABLE pledges ADD COLUMN canceled_by TEXT;
-- `created` of the last customer.subscription.* event applied: an older snapshot arriving late
-- must not undo a newer one.
ALTER TABLE pledges ADD COLUMN stripe_state_at BIGINT NOT NULL DEFAULT 0;

-- A one-time card donation, from the request until Stripe says it was paid (or not).
CREATE TABLE donations (
    id                        UUID PRIMARY KEY,
    supporter_id              UUID NOT NULL REFERENCES supporters (id),
    amount                    INTEGER NOT NULL CHECK (amount > 0),
    currency                  TEXT NOT NULL DEFAULT 'jpy' CHECK (currency = 'jpy'),
    tier                      TEXT,
    designation               TEXT NOT NULL DEFAULT 'general',
    status                    TEXT NOT NULL DEFAULT 'pending'
                              CHECK (status IN ('pending', 'requires_action', 'succeeded',
                                                'failed')),
    failure_reason            TEXT,
    stripe_payment_intent_id  TEXT UNIQUE,
    created_at                TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at                TIMESTAMPTZ NOT NULL DEFAULT now()
);

ALTER TABLE payments ADD COLUMN donation_id UUID REFERENCES donations (id);
ALTER TABLE payments ADD COLUMN tier TEXT;
ALTER TABLE payments ADD COLUMN designation TEXT NOT NULL DEFAULT 'general';
ALTER TABLE payments ADD COLUMN reference TEXT;
ALTER TABLE payments ADD COLUMN recorded_by TEXT;
ALTER TABLE payments ADD COLUMN refunded_amount INTEGER NOT NULL DEFAULT 0
    CHECK (refunded_amount >= 0 AND refunded_amount <= amount);
ALTER TABLE payments ADD COLUMN disputed_at TIMESTAMPTZ;
ALTER TABLE payments ADD COLUMN dispute_id TEXT;
ALTER TABLE payments ADD COLUMN dispute_reason TEXT;
-- What Stripe sent that did not match what was asked (amount); the money is still recorded.
ALTER TABLE payments ADD COLUMN anomaly TEXT;
CREATE UNIQUE INDEX payments_one_per_donation ON payments (donation_id);
CREATE INDEX payments_by_intent ON payments (stripe_payment_intent_id);
CREATE INDEX payments_by_paid_at ON payments (paid_at);

CREATE TABLE refunds (
    id                UUID PRIMARY KEY,
    payment_id        UUID NOT NULL REFERENCES payments (id),
    amount            INTEGER NOT NULL CHECK (amount > 0),
    stripe_refund_id  TEXT UNIQUE,
    reason            TEXT,
    requested_by      TEXT,
    refunded_at       TIMESTAMPTZ NOT NULL,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX refunds_by_payment ON refunds (payment_id);

ALTER TABLE stripe_events ADD COLUMN note TEXT;
