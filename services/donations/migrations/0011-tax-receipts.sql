-- depends: 0003-donor-postal-address
-- Tax receipts (寄附金受領証明書): issued documents kept byte for byte, voided and replaced
-- but never edited; staff corrections of payments they recorded.

-- A staff-recorded payment entered by mistake is voided, never deleted: it leaves the reports
-- and the impact figures, and its receipt is voided with it.
ALTER TABLE payments ADD COLUMN voided_at TIMESTAMPTZ;
ALTER TABLE payments ADD COLUMN void_reason TEXT;
ALTER TABLE payments ADD COLUMN voided_by TEXT;
CREATE INDEX payments_by_reference ON payments (lower(btrim(reference))) WHERE reference IS NOT NULL;
CREATE INDEX supporters_by_email ON supporters (lower(email));

-- One row per issued receipt. `content` is every field printed, frozen at issue; the
-- documents made from it are in receipt_documents. A correction voids the row (who, when,
-- why) and issues a new one numbered `<base>-<revision>`.
CREATE TABLE receipts (
    id            UUID PRIMARY KEY,
    number        TEXT NOT NULL UNIQUE,
    base_number   TEXT NOT NULL,
    revision      INTEGER NOT NULL CHECK (revision >= 1),
    kind          TEXT NOT NULL CHECK (kind IN ('gift', 'annual')),
    payment_id    UUID REFERENCES payments (id),
    supporter_id  UUID NOT NULL REFERENCES supporters (id),
    tax_year      INTEGER NOT NULL,
    amount        INTEGER NOT NULL CHECK (amount > 0),
    content       JSONB NOT NULL,
    issued_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    issued_by     TEXT NOT NULL,
    voided_at     TIMESTAMPTZ,
    void_reason   TEXT,
    voided_by     TEXT,
    replaced_by   UUID REFERENCES receipts (id),
    UNIQUE (base_number, revision),
    CHECK ((kind = 'gift') = (payment_id IS NOT NULL)),
    CHECK ((voided_at IS NULL) = (void_reason IS NULL))
);
-- At most one receipt in force per gift, and per supporter and tax year.
CREATE UNIQUE INDEX receipts_one_live_gift ON receipts (payment_id)
    WHERE kind = 'gift' AND voided_at IS NULL;
CREATE UNIQUE INDEX receipts_one_live_annual ON receipts (supporter_id, tax_year)
    WHERE kind = 'annual' AND voided_at IS NULL;
CREATE INDEX receipts_by_supporter ON receipts (supporter_id, tax_year);
CREATE INDEX receipts_voided ON receipts (voided_at) WHERE voided_at IS NOT NULL;

-- The gifts an annual receipt lists, as they were when it was issued.
CREATE TABLE receipt_items (
    receipt_id  UUID NOT NULL REFERENCES receipts (id),
    payment_id  UUID NOT NULL REFERENCES payments (id),
    amount      INTEGER NOT NULL CHECK (amount > 0),
    PRIMARY KEY (receipt_id, payment_id)
);
CREATE INDEX receipt_items_by_payment ON receipt_items (payment_id);

-- The exact bytes given out: Japanese at issue, an English translation when first asked for.
CREATE TABLE receipt_documents (
    receipt_id  UUID NOT NULL REFERENCES receipts (id),
    language    TEXT NOT NULL CHECK (language IN ('ja', 'en')),
    pdf         BYTEA NOT NULL,
    sha256      TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (receipt_id, language)
);

-- Annual receipts are numbered A<year>-NNNNNN without gaps, like payments' R numbers.
CREATE TABLE annual_receipt_counters (
    year         INTEGER PRIMARY KEY,
    last_number  INTEGER NOT NULL
);

-- The year-end e-mail, once per supporter and tax year however often the run is restarted.
CREATE TABLE year_end_notices (
    supporter_id  UUID NOT NULL REFERENCES supporters (id),
    tax_year      INTEGER NOT NULL,
    receipt_id    UUID REFERENCES receipts (id),
    sent_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (supporter_id, tax_year)
);
