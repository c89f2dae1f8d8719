"""Staff sign-in sessions behind the browser console's refresh cookie.

A session is a family of refresh tokens. Signing in opens one; each refresh spends the token
it is given and hands back the next (rotation), along with a new short-lived bearer token
carrying the account's current role. A token presented a second time can only be a copy, so
the whole family is revoked. A family ends when idle past its idle limit, at its absolute limit,
at sign-out, or when its account is disabled. Only SHA-256 digests of tokens are stored.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import psycopg

from gateway.accounts import Account

COOKIE_NAME = "jii_staff_refresh"
COOKIE_PATH = "/api/staff/session"
DEFAULT_IDLE_MINUTES = 120
DEFAULT_MAX_HOURS = 12


@dataclass(frozen=True)
class Limits:
    idle: timedelta
    absolute: timedelta

    @classmethod
    def from_config(cls, config: dict) -> Limits:
        return cls(
            idle=timedelta(minutes=float(config.get("STAFF_SESSION_IDLE_MINUTES",
                                                    DEFAULT_IDLE_MINUTES))),
            absolute=timedelta(hours=float(config.get("STAFF_SESSION_MAX_HOURS",
                                                      DEFAULT_MAX_HOURS))),
        )


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8")).digest()


def _insert(conn: psycopg.Connection, family_id: str, account_id: str, idle: timedelta,
            family_expires_at: datetime, now: datetime) -> str:
    token = secrets.token_urlsafe(32)
    conn.execute(
        "INSERT INTO staff_sessions (id, family_id, account_id, token_hash, created_at,"
        " expires_at, family_expires_at) VALUES (%s, %s, %s, %s, %s, %s, %s)",
        (str(uuid.uuid4()), family_id, account_id, _digest(token), now,
         min(now + idle, family_expires_at), family_expires_at),
    )
    return token


def open_session(conn: psycopg.Connection, account_id: str, limits: Limits,
                 now: datetime | None = None) -> str:
    """A new session for a signed-in account; returns its first refresh token."""
    now = now or datetime.now(UTC)
    return _insert(conn, str(uuid.uuid4()), account_id, limits.idle, now + limits.absolute, now)


def rotate(conn: psycopg.Connection, token: str, limits: Limits,
           now: datetime | None = None) -> tuple[Account, str] | None:
    """Spend a refresh token: the account it belongs to and the next token of its session.

    None for an unknown, expired, revoked or already spent token (the last revokes its
    session) and for a disabled account. It returns rather than raises so that the caller
    commits a revocation before refusing.
    """
    now = now or datetime.now(UTC)
    row = conn.execute(
        "SELECT s.id, s.family_id, s.expires_at, s.family_expires_at, s.used_at, s.revoked_at,"
        " a.id AS account_id, a.email, a.role, a.disabled_at"
        " FROM staff_sessions s JOIN staff_accounts a ON a.id = s.account_id"
        " WHERE s.token_hash = %s FOR UPDATE OF s",
        (_digest(token),),
    ).fetchone()
    if row is None or row["revoked_at"] is not None:
        return None
    if row["used_at"] is not None:
        revoke_family(conn, str(row["family_id"]), now)
        return None
    if row["expires_at"] <= now or row["disabled_at"] is not None:
        revoke_family(conn, str(row["family_id"]), now)
        return None
    conn.execute("UPDATE staff_sessions SET used_at = %s WHERE id = %s", (now, row["id"]))
    following = _insert(conn, str(row["family_id"]), str(row["account_id"]), limits.idle,
                        row["family_expires_at"], now)
    return Account(str(row["account_id"]), row["email"], row["role"]), following


def revoke(conn: psycopg.Connection, token: str, now: datetime | None = None) -> bool:
    """End the session a refresh token belongs to (sign-out); False when there was none."""
    row = conn.execute("SELECT family_id FROM staff_sessions WHERE token_hash = %s",
                       (_digest(token),)).fetchone()
    if row is None:
        return False
    revoke_family(conn, str(row["family_id"]), now or datetime.now(UTC))
    return True


def revoke_family(conn: psycopg.Connection, family_id: str, now: datetime) -> None:
    conn.execute("UPDATE staff_sessions SET revoked_at = %s"
                 " WHERE family_id = %s AND revoked_at IS NULL", (now, family_id))


def revoke_account(conn: psycopg.Connection, account_id: str,
                   now: datetime | None = None) -> int:
    """End every session of an account (disabled, password reset, role changed)."""
    return conn.execute("UPDATE staff_sessions SET revoked_at = %s"
                        " WHERE account_id = %s AND revoked_at IS NULL",
                        (now or datetime.now(UTC), account_id)).rowcount


def prune(conn: psycopg.Connection, now: datetime | None = None) -> int:
    """Forget sessions past their absolute limit."""
    return conn.execute("DELETE FROM staff_sessions WHERE family_expires_at < %s",
                        (now or datetime.now(UTC),)).rowcount
