-- depends: 0000-kit-outbox-inbox
-- Hanamaru classes, consultations and the impact ledger.

-- Hanamaru classes -------------------------------------------------------------------------

CREATE TABLE classes (
    id              UUID PRIMARY KEY,
    title           TEXT NOT NULL,
    venue           TEXT NOT NULL,
    schedule        TEXT NOT NULL,
    level           TEXT NOT NULL,
    capacity        INTEGER NOT NULL CHECK (capacity > 0),
    -- NULL: the waitlist is unbounded
    waitlist_limit  INTEGER CHECK (waitlist_limit >= 0),
    tutors          TEXT[] NOT NULL DEFAULT '{}',
    status          TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    created_by      TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE class_sessions (
    id                   UUID PRIMARY KEY,
    class_id             UUID NOT NULL REFERENCES classes (id),
    session_number       INTEGER NOT NULL CHECK (session_number > 0),
    starts_at            TIMESTAMPTZ NOT NULL,
    held_at              TIMESTAMPTZ,
    attendance_revision  INTEGER NOT NULL DEFAULT 0,
    UNIQUE (class_id, session_number)
);

CREATE TABLE enrollments (
    id                     UUID PRIMARY KEY,
    class_id               UUID NOT NULL REFERENCES classes (id),
    -- Order of arrival: taken while the class row is locked, so it is the order in which
    -- sign-ups were decided, and the waitlist is served in it.
    arrival                BIGSERIAL NOT NULL UNIQUE,
    child_first_name       TEXT NOT NULL,
    child_last_name        TEXT NOT NULL,
    child_age              INTEGER CHECK (child_age BETWEEN 3 AND 18),
    child_grade            TEXT,
    languages              TEXT[] NOT NULL,
    guardian_name          TEXT NOT NULL,
    guardian_email         TEXT NOT NULL,
    guardian_locale        TEXT NOT NULL,
    participation_consent  BOOLEAN NOT NULL CHECK (participation_consent),
    photo_consent          BOOLEAN NOT NULL,
    -- Identifies the child within a class: normalised full name and guardian e-mail.
    child_key              TEXT NOT NULL,
    status                 TEXT NOT NULL CHECK (status IN ('confirmed', 'waitlisted', 'withdrawn')),
    created_at             TIMESTAMPTZ NOT NULL DEFAULT now(),
    confirmed_at           TIMESTAMPTZ,
    promoted               BOOLEAN NOT NULL DEFAULT false,
    withdrawn_at           TIMESTAMPTZ,
    withdraw_reason        TEXT
);
-- A child is enrolled (or waiting) at most once per class; after a withdrawal they may return.
CREATE UNIQUE INDEX enrollments_one_per_child ON enrollments (class_id, child_key)
    WHERE status <> 'withdrawn';
CREATE INDEX enrollments_waitlist ON enrollments (class_id, arrival) WHERE status = 'waitlisted';

CREATE TABLE attendance (
    session_id     UUID NOT NULL REFERENCES class_sessions (id),
    enrollment_id  UUID NOT NULL REFERENCES enrollments (id),
    present        BOOLEAN NOT NULL,
    PRIMARY KEY (session_id, enrollment_id)
);

-- Consultations ----------------------------------------------------------------------------

CREATE TABLE experts (
    id           UUID PRIMARY KEY,
    name         TEXT NOT NULL,
    email        TEXT NOT NULL,
    locale       TEXT NOT NULL,
    profession   TEXT NOT NULL,
    specialties  TEXT[] NOT NULL,
    languages    TEXT[] NOT NULL,
    active       BOOLEAN NOT NULL DEFAULT true,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE consultations (
    id               UUID PRIMARY KEY,
    topic            TEXT NOT NULL,
    language         TEXT NOT NULL,
    urgency          TEXT NOT NULL,
    summary          TEXT NOT NULL,
    resident_name    TEXT NOT NULL,
    resident_email   TEXT NOT NULL,
    resident_locale  TEXT NOT NULL,
    status           TEXT NOT NULL DEFAULT 'intake' CHECK (status IN
                     ('intake', 'assigned', 'in_progress', 'resolved', 'referred', 'closed')),
    expert_id        UUID REFERENCES experts (id),
    opened_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    ended_at         TIMESTAMPTZ
);
CREATE INDEX consultations_open_by_expert ON consultations (expert_id)
    WHERE status IN ('assigned', 'in_progress');

CREATE TABLE consultation_history (
    id               BIGSERIAL PRIMARY KEY,
    consultation_id  UUID NOT NULL REFERENCES consultations (id),
    from_status      TEXT,
    to_status        TEXT NOT NULL,
    actor            TEXT NOT NULL,
    note             TEXT,
    at               TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE follow_ups (
    id               UUID PRIMARY KEY,
    consultation_id  UUID NOT NULL REFERENCES consultations (id),
    due_on           DATE NOT NULL,
    what             TEXT NOT NULL,
    created_by       TEXT NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    done_at          TIMESTAMPTZ
);

-- Confidential: read and written only by the consultant and admin roles.
CREATE TABLE case_notes (
    id               UUID PRIMARY KEY,
    consultation_id  UUID NOT NULL REFERENCES consultations (id),
    author           TEXT NOT NULL,
    body             TEXT NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- The impact ledger ------------------------------------------------------------------------

-- One row per countable fact, keyed by what it is about (a payment, a pairing, a session),
-- not by the event that told us: a duplicated event, or two events about the same thing,
-- land on the same row, and sums do not depend on the order facts arrived in. A fact that
-- can be corrected (a session's attendance) keeps the highest revision seen.
CREATE TABLE impact_facts (
    fact_key  TEXT PRIMARY KEY,
    month     DATE NOT NULL,          -- first day of the month the fact belongs to
    measure   TEXT NOT NULL,
    source    TEXT NOT NULL DEFAULT '',  -- the payment source, for yen_raised
    amount    BIGINT NOT NULL,
    revision  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX impact_facts_by_month ON impact_facts (month, measure);

-- Residents supported are counted once per month however many programs served them; a
-- person is known by a hash of their e-mail, never the address itself.
CREATE TABLE impact_residents (
    month       DATE NOT NULL,
    person_key  TEXT NOT NULL,
    PRIMARY KEY (month, person_key)
);

-- What `impact_updated` last said for each month, and when anything was last sent.
CREATE TABLE impact_published (
    month       DATE PRIMARY KEY,
    figures     JSONB NOT NULL,
    published_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE impact_clock (
    singleton          BOOLEAN PRIMARY KEY DEFAULT true CHECK (singleton),
    last_published_at  TIMESTAMPTZ
);
INSERT INTO impact_clock (singleton, last_published_at) VALUES (true, NULL);
