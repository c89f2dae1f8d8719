-- depends: 0002-gateway-staff-events
-- Staff sign-in sessions for the browser console: a refresh token held in an httpOnly cookie
-- buys a new short-lived bearer token without the password. Only the token's SHA-256 is kept.
-- Each use rotates it (a new row in the same family); presenting a used one again revokes the
-- whole family, since only a stolen copy would be replayed.
ALTER TABLE staff_accounts ADD COLUMN disabled_at TIMESTAMPTZ;

CREATE TABLE staff_sessions (
    id            UUID PRIMARY KEY,
    family_id     UUID NOT NULL,
    account_id    UUID NOT NULL REFERENCES staff_accounts (id) ON DELETE CASCADE,
    token_hash    BYTEA NOT NULL UNIQUE,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at    TIMESTAMPTZ NOT NULL,      -- idle limit: unused past this, it is refused
    family_expires_at TIMESTAMPTZ NOT NULL,  -- absolute limit: sign in again after this
    used_at       TIMESTAMPTZ,               -- rotated: presenting it again is a replay
    revoked_at    TIMESTAMPTZ                -- signed out, replayed, or account disabled
);
CREATE INDEX staff_sessions_family ON staff_sessions (family_id);
CREATE INDEX staff_sessions_account ON staff_sessions (account_id);
