-- depends: 0000-kit-outbox-inbox
-- Staff accounts: the gateway's own small database (DESIGN §5, gateway).
CREATE TABLE staff_accounts (
    id               UUID PRIMARY KEY,
    email            TEXT NOT NULL,
    password_hash    TEXT NOT NULL,          -- argon2id, never the password
    role             TEXT NOT NULL CHECK (role IN ('admin', 'staff', 'consultant')),
    failed_attempts  INTEGER NOT NULL DEFAULT 0,
    locked_until     TIMESTAMPTZ,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_login_at    TIMESTAMPTZ
);
CREATE UNIQUE INDEX staff_accounts_email ON staff_accounts (lower(email));
