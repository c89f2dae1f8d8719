"""Staff authentication: short-lived signed bearer tokens carrying a role.

Routes call `self.staff.require(request, *roles)`; it answers with the caller's identity or
raises `Unauthorized` (missing, malformed, expired or tampered token: 401) or `Forbidden`
(valid token, wrong role: 403). The identity is also put into the worker's context data, so
every RPC call made for the request carries `staff_subject` and `staff_role` and services can
enforce roles themselves.

A token names the account it was issued to. Each request reads that account's current state,
so disabling an account or changing its role holds from the next request, not when the
15-minute token runs out. (Tokens minted with the secret for a subject that is no account,
by tools and tests, carry their role alone.)
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

import jwt
from nameko.extensions import DependencyProvider
from servicekit.db import Database, Session
from servicekit.errors import Forbidden, Unauthorized
from werkzeug.wrappers import Request

ROLES = ("admin", "staff", "consultant")
ALGORITHM = "HS256"
AUDIENCE = "jii-staff"
DEFAULT_TTL_SECONDS = 900


@dataclass(frozen=True)
class StaffIdentity:
    subject: str
    role: str


def issue_token(secret: str, subject: str, role: str, ttl_seconds: int = DEFAULT_TTL_SECONDS,
                now: float | None = None) -> str:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    issued = int(now if now is not None else time.time())
    claims = {"sub": subject, "role": role, "aud": AUDIENCE, "iat": issued,
              "exp": issued + ttl_seconds, "jti": uuid.uuid4().hex}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify_token(secret: str, token: str) -> StaffIdentity:
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], audience=AUDIENCE,
                            options={"require": ["exp", "iat", "sub", "aud"]})
    except jwt.ExpiredSignatureError:
        raise Unauthorized("the token has expired; sign in again") from None
    except jwt.PyJWTError:
        raise Unauthorized("the token is not valid") from None
    if claims.get("role") not in ROLES:
        raise Unauthorized("the token is not valid")
    return StaffIdentity(str(claims["sub"]), claims["role"])


def current_identity(session: Session, identity: StaffIdentity) -> StaffIdentity:
    """The token's identity as its account stands now: Unauthorized once it is disabled, the
    role it has now when that changed."""
    try:
        account_id = uuid.UUID(identity.subject)
    except ValueError:
        return identity
    with session.transaction() as conn:
        row = conn.execute("SELECT role, disabled_at FROM staff_accounts WHERE id = %s",
                           (account_id,)).fetchone()
    if row is None:
        return identity
    if row["disabled_at"] is not None:
        raise Unauthorized("this account is disabled; an admin can enable it")
    return StaffIdentity(identity.subject, row["role"])


class Authorizer:
    def __init__(self, secret: str, worker_ctx, accounts: Session | None = None):
        self._secret = secret
        self._worker_ctx = worker_ctx
        self._accounts = accounts

    def issue(self, subject: str, role: str, ttl_seconds: int) -> str:
        return issue_token(self._secret, subject, role, ttl_seconds)

    def require(self, request: Request, *roles: str) -> StaffIdentity:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("staff routes need an Authorization: Bearer token")
        identity = verify_token(self._secret, token.strip())
        if self._accounts is not None:
            identity = current_identity(self._accounts, identity)
        if roles and identity.role not in roles:
            raise Forbidden(f"this needs the role {' or '.join(roles)}")
        self._worker_ctx.data["staff_subject"] = identity.subject
        self._worker_ctx.data["staff_role"] = identity.role
        return identity


class StaffAuth(DependencyProvider):
    def setup(self) -> None:
        secret = self.container.config.get("STAFF_TOKEN_SECRET")
        if not secret or len(str(secret)) < 32:
            raise RuntimeError("STAFF_TOKEN_SECRET must be set to at least 32 characters")
        self.secret = str(secret)
        # The service's own database holds the accounts; its pool exists once it has started.
        self.database = next((dependency for dependency in self.container.dependencies
                              if isinstance(dependency, Database)), None)

    def get_dependency(self, worker_ctx) -> Authorizer:
        accounts = Session(self.database.pool) if self.database is not None else None
        return Authorizer(self.secret, worker_ctx, accounts)

