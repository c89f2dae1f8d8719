"""Staff accounts: argon2 password hashes and lock-out after repeated failures.

Plain functions over a psycopg connection, used by the session route, the admins' account
routes (`gateway.routes.staff_accounts`) and by `jii staff add`.
"""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

import psycopg
import structlog
from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from marshmallow import ValidationError, validate

from gateway.auth import ROLES

# Set by the test suite alone (conftest.py): argon2's cheapest parameters, the profile argon2
# keeps for tests. Its default (RFC 9106's low-memory choice) costs about 270 ms of CPU per hash
# or check here, and the suite hashes and signs in hundreds of times. A hash carries its own
# parameters, so one made either way is checked the same way.
CHEAP_HASHES_VARIABLE = "JII_TEST_CHEAP_PASSWORD_HASHES"

log = structlog.get_logger("gateway.accounts")

MIN_PASSWORD_LENGTH = 12
MAX_EMAIL_LENGTH = 254


class AccountLocked(Exception):
    def __init__(self, until: datetime):
        super().__init__(f"locked until {until.isoformat()}")
        self.until = until


@dataclass(frozen=True)
class Account:
    id: str
    email: str
    role: str


def checked_email(email: str) -> str:
    """The address as it will be stored, or ValueError saying why it cannot sign in."""
    address = email.strip()
    try:
        validate.Email()(address)
    except ValidationError:
        raise ValueError(f"{address!r} is not an e-mail address") from None
    if len(address) > MAX_EMAIL_LENGTH:  # the sign-in form refuses longer ones
        raise ValueError(f"the e-mail address may be at most {MAX_EMAIL_LENGTH} characters")
    return address


def checked_role(role: str) -> str:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    return role


def password_hasher(environ: Mapping[str, str] = os.environ) -> PasswordHasher:
    """Argon2 with its default parameters; its cheapest where the test suite asks."""
    return _hasher(environ.get(CHEAP_HASHES_VARIABLE) == "1")


@cache
def _hasher(cheap: bool) -> PasswordHasher:
    if not cheap:
        return PasswordHasher()
    log.warning("staff passwords hashed with argon2's profile for tests",
                variable=CHEAP_HASHES_VARIABLE)
    return PasswordHasher.from_parameters(profiles.CHEAPEST)


@cache
def _dummy_hash(hasher: PasswordHasher) -> str:
    """Checked when the e-mail is unknown, so both answers take as long (no account
    probing); made once, when first needed, not at import."""
    return hasher.hash("not-a-real-password")


def _hashed(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"the password must be at least {MIN_PASSWORD_LENGTH} characters")
    return password_hasher().hash(password)


def temporary_password() -> str:
    """A password for an admin to hand over once (22 URL-safe characters, 128 bits)."""
    return secrets.token_urlsafe(16)


def add_account(conn: psycopg.Connection, email: str, password: str, role: str) -> Account:
    email, role = checked_email(email), checked_role(role)
    account = Account(str(uuid.uuid4()), email, role)
    conn.execute(
        "INSERT INTO staff_accounts (id, email, password_hash, role) VALUES (%s, %s, %s, %s)",
        (account.id, account.email, _hashed(password), role),
    )
    return account


_LISTED = ("id, email, role, created_at, last_login_at, disabled_at, locked_until")


def listed(row: dict) -> dict:
    """An account as admins see it (never its hash)."""
    return {"id": str(row["id"]), "email": row["email"], "role": row["role"],
            "disabled": row["disabled_at"] is not None,
            **{key: row[key].isoformat() if row[key] else None
               for key in ("created_at", "last_login_at", "disabled_at", "locked_until")}}


def list_accounts(conn: psycopg.Connection) -> list[dict]:
    rows = conn.execute(f"SELECT {_LISTED} FROM staff_accounts ORDER BY lower(email)")
    return [listed(row) for row in rows.fetchall()]


def get_account(conn: psycopg.Connection, account_id: str) -> dict | None:
    row = conn.execute(f"SELECT {_LISTED} FROM staff_accounts WHERE id = %s",
                       (account_id,)).fetchone()
    return listed(row) if row else None


def set_disabled(conn: psycopg.Connection, account_id: str, disabled: bool,
                 now: datetime | None = None) -> dict | None:
    """Disable (keeping the first moment) or enable an account; None when there is none.
    The caller ends a disabled account's sessions in the same transaction."""
    row = conn.execute(
        "UPDATE staff_accounts SET disabled_at = CASE WHEN %s THEN coalesce(disabled_at, %s)"
        f" END WHERE id = %s RETURNING {_LISTED}",
        (disabled, now or datetime.now(UTC), account_id)).fetchone()
    return listed(row) if row else None


def set_password(conn: psycopg.Connection, account_id: str, password: str) -> dict | None:
    """A new password, and the lock-out lifted; None when there is no such account."""
    row = conn.execute(
        "UPDATE staff_accounts SET password_hash = %s, failed_attempts = 0, locked_until = NULL"
        f" WHERE id = %s RETURNING {_LISTED}", (_hashed(password), account_id)).fetchone()
    return listed(row) if row else None


def set_role(conn: psycopg.Connection, account_id: str, role: str) -> dict | None:
    row = conn.execute(f"UPDATE staff_accounts SET role = %s WHERE id = %s RETURNING {_LISTED}",
                       (checked_role(role), account_id)).fetchone()
    return listed(row) if row else None


def authenticate(conn: psycopg.Connection, email: str, password: str, *, max_attempts: int,
                 lockout: timedelta, now: datetime | None = None) -> Account | None:
    """The account when the password is right; None when not. Raises AccountLocked while an
    account is locked, which happens after `max_attempts` failures in a row."""
    now = now or datetime.now(UTC)
    row = conn.execute(
        "SELECT id, email, role, password_hash, failed_attempts, locked_until, disabled_at"
        " FROM staff_accounts WHERE lower(email) = lower(%s) FOR UPDATE",
        (email.strip(),),
    ).fetchone()
    if row is None or row["disabled_at"] is not None:
        _verify(_dummy_hash(password_hasher()), password)
        return None
    # Verified even while locked, so that a locked account answers as slowly as any other.
    right = _verify(row["password_hash"], password)
    if row["locked_until"] and row["locked_until"] > now:
        raise AccountLocked(row["locked_until"])
    if not right:
        failures = row["failed_attempts"] + 1
        locked_until = now + lockout if failures >= max_attempts else None
        conn.execute(
            "UPDATE staff_accounts SET failed_attempts = %s, locked_until = %s WHERE id = %s",
            (0 if locked_until else failures, locked_until, row["id"]),
        )
        return None
    conn.execute(
        "UPDATE staff_accounts SET failed_attempts = 0, locked_until = NULL, last_login_at = %s"
        " WHERE id = %s",
        (now, row["id"]),
    )
    return Account(str(row["id"]), row["email"], row["role"])


def _verify(password_hash: str, password: str) -> bool:
    try:
        return password_hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
