-- depends: 0000-kit-outbox-inbox
-- Participants, batch runs, Family Friend pairings with their check-ins, and spot requests.
-- Every timestamp is written from the service's clock (not now()) so tests can move time.

CREATE TABLE participants (
    id            UUID PRIMARY KEY,
    role          TEXT NOT NULL CHECK (role IN ('resident', 'partner', 'volunteer')),
    status        TEXT NOT NULL DEFAULT 'applied' CHECK (status IN ('applied', 'approved')),
    name          TEXT NOT NULL,
    email         TEXT NOT NULL,
    locale        TEXT NOT NULL,
    area          TEXT NOT NULL,
    -- languages, household, children, interests, slots, preferences, coordinates
    profile       JSONB NOT NULL,
    cleared       BOOLEAN NOT NULL DEFAULT false,
    capacity      INTEGER NOT NULL DEFAULT 1 CHECK (capacity >= 0),
    -- runs this resident was ready in and left unmatched; reset when a pairing starts
    waiting_runs  INTEGER NOT NULL DEFAULT 0,
    applied_at    TIMESTAMPTZ NOT NULL,
    approved_at   TIMESTAMPTZ
);
CREATE INDEX participants_ready ON participants (role, status);

CREATE TABLE matching_runs (
    id              UUID PRIMARY KEY,
    requested_by    TEXT,
    residents       INTEGER NOT NULL,
    partners        INTEGER NOT NULL,
    proposals       INTEGER NOT NULL,
    settings        JSONB NOT NULL,
    timings         JSONB NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL
);

CREATE TABLE pairings (
    id                  UUID PRIMARY KEY,
    run_id              UUID REFERENCES matching_runs (id),
    resident_id         UUID NOT NULL REFERENCES participants (id),
    partner_id          UUID NOT NULL REFERENCES participants (id),
    state               TEXT NOT NULL CHECK (state IN (
                          'proposed', 'superseded', 'offered', 'declined', 'expired',
                          'active', 'inactive', 'completed', 'closed_early')),
    score               DOUBLE PRECISION NOT NULL,
    breakdown           JSONB NOT NULL,
    alternatives        JSONB NOT NULL DEFAULT '[]',
    resident_answer     TEXT CHECK (resident_answer IN ('accept', 'decline')),
    partner_answer      TEXT CHECK (partner_answer IN ('accept', 'decline')),
    declined_by         TEXT,
    proposed_at         TIMESTAMPTZ NOT NULL,
    offered_at          TIMESTAMPTZ,
    offer_expires_at    TIMESTAMPTZ,
    started_at          TIMESTAMPTZ,
    ends_at             TIMESTAMPTZ,
    last_contact_at     TIMESTAMPTZ,
    ending_soon_sent_at TIMESTAMPTZ,
    finished_at         TIMESTAMPTZ,
    close_reason        TEXT,
    close_note          TEXT,
    updated_at          TIMESTAMPTZ NOT NULL
);
CREATE INDEX pairings_by_state ON pairings (state);
CREATE INDEX pairings_by_resident ON pairings (resident_id);
CREATE INDEX pairings_by_partner ON pairings (partner_id);

CREATE TABLE checkins (
    id          UUID PRIMARY KEY,
    pairing_id  UUID NOT NULL REFERENCES pairings (id),
    met_on      DATE,
    note        TEXT,
    logged_by   TEXT,
    logged_at   TIMESTAMPTZ NOT NULL
);

CREATE TABLE spot_requests (
    id            UUID PRIMARY KEY,
    kind          TEXT NOT NULL CHECK (kind IN ('city_hall', 'nursery_enrolment', 'hospital',
                                                'school', 'language_support', 'other')),
    starts_at     TIMESTAMPTZ NOT NULL,
    area          TEXT NOT NULL,
    lat           DOUBLE PRECISION NOT NULL,
    lon           DOUBLE PRECISION NOT NULL,
    languages     TEXT[] NOT NULL,
    name          TEXT NOT NULL,
    email         TEXT NOT NULL,
    locale        TEXT NOT NULL,
    note          TEXT,
    status        TEXT NOT NULL DEFAULT 'open'
                  CHECK (status IN ('open', 'assigned', 'completed', 'cancelled')),
    volunteer_id  UUID REFERENCES participants (id),
    hours         NUMERIC(5, 2),
    cancel_reason TEXT,
    created_at    TIMESTAMPTZ NOT NULL,
    assigned_at   TIMESTAMPTZ,
    finished_at   TIMESTAMPTZ
);
CREATE INDEX spot_requests_by_volunteer ON spot_requests (volunteer_id, assigned_at);
