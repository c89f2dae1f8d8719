"""Staff sign-in: e-mail and password for a short-lived bearer token.

Signing in also sets an httpOnly refresh cookie (see `gateway.sessions`), scoped to
`/api/staff/session`, with which the browser console gets a fresh bearer token before the old
one expires (`POST /api/staff/session/refresh`) and signs out (`DELETE /api/staff/session`).
The bearer token itself stays in the page's memory. Command-line callers ignore the cookie.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from api.doc import ok, problem_response
from marshmallow import RAISE, Schema, fields, validate
from servicekit.errors import Forbidden, Unauthorized
from werkzeug.wrappers import Request, Response

from gateway import accounts, sessions
from gateway.auth import DEFAULT_TTL_SECONDS, ROLES
from gateway.web import http, json_response, read_json

SIGN_IN_REFUSED = ("the e-mail or the password is wrong, or the account is locked for "
                   "a while after too many failed attempts")


class SessionRequest(Schema):
    class Meta:
        unknown = RAISE

    email = fields.Email(required=True, validate=validate.Length(max=254))
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024),
                             load_only=True)


class SessionCreated(Schema):
    token = fields.String(required=True)
    token_type = fields.String(required=True, metadata={"example": "Bearer"})
    expires_in = fields.Integer(required=True, metadata={"description": "seconds"})
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    email = fields.String(required=True, metadata={"description": "The signed-in account's."})


class StaffRoutes:
    """Needs `db`, `config` and `staff` on the service."""

    @http("POST", "/api/staff/session")
    def create_session(self, request: Request) -> Response:
        credentials = read_json(request, SessionRequest())
        with self.db.transaction() as conn:
            try:
                account = accounts.authenticate(
                    conn, credentials["email"], credentials["password"],
                    max_attempts=int(self.config.get("STAFF_LOCKOUT_ATTEMPTS", 5)),
                    lockout=timedelta(minutes=int(self.config.get("STAFF_LOCKOUT_MINUTES", 15))),
                )
            except accounts.AccountLocked:
                account = None
            if account is not None:
                refresh = sessions.open_session(conn, account.id,
                                                sessions.Limits.from_config(self.config))
        if account is None:
            # One answer for an unknown e-mail, a wrong password and a locked account: any
            # difference would tell a stranger which addresses have accounts.
            raise Unauthorized(SIGN_IN_REFUSED)
        return self._signed_in(request, account, refresh, status=201)

    @http("POST", "/api/staff/session/refresh")
    def refresh_session(self, request: Request) -> Response:
        _same_origin_only(request)
        token = request.cookies.get(sessions.COOKIE_NAME, "")
        rotated = None
        if token:
            with self.db.transaction() as conn:
                rotated = sessions.rotate(conn, token, sessions.Limits.from_config(self.config))
        if rotated is None:
            raise Unauthorized("the session has ended; sign in again")
        account, following = rotated
        return self._signed_in(request, account, following, status=200)

    @http("DELETE", "/api/staff/session")
    def end_session(self, request: Request) -> Response:
        _same_origin_only(request)
        token = request.cookies.get(sessions.COOKIE_NAME, "")
        if token:
            with self.db.transaction() as conn:
                sessions.revoke(conn, token)
        response = Response(status=204)
        response.delete_cookie(sessions.COOKIE_NAME, path=sessions.COOKIE_PATH,
                               secure=_is_https(request, self.config), httponly=True,
                               samesite="Strict")
        return response

    def _signed_in(self, request: Request, account: accounts.Account, refresh: str,
                   status: int) -> Response:
        ttl = int(self.config.get("STAFF_TOKEN_TTL_SECONDS", DEFAULT_TTL_SECONDS))
        token = self.staff.issue(account.id, account.role, ttl)
        response = json_response(SessionCreated().dump({
            "token": token, "token_type": "Bearer", "expires_in": ttl, "role": account.role,
            "email": account.email,
        }), status=status)
        limits = sessions.Limits.from_config(self.config)
        response.set_cookie(sessions.COOKIE_NAME, refresh, path=sessions.COOKIE_PATH,
                            max_age=int(limits.absolute.total_seconds()), httponly=True,
                            secure=_is_https(request, self.config), samesite="Strict")
        response.headers["Cache-Control"] = "no-store"
        return response


def _is_https(request: Request, config: dict) -> bool:
    if str(config.get("TRUST_FORWARDED_FOR", "")).lower() == "true":
        return request.headers.get("X-Forwarded-Proto", request.scheme) == "https"
    return request.scheme == "https"


def _same_origin_only(request: Request) -> None:
    """A browser names the page's origin; a cookie-bearing request from another site is
    refused (SameSite=Strict already keeps the cookie from it; this is the second lock)."""
    origin = request.headers.get("Origin")
    if origin is not None and origin != request.host_url.rstrip("/"):
        raise Forbidden("the session can only be refreshed from the console's own origin")


COMPONENTS = {"SessionRequest": SessionRequest, "SessionCreated": SessionCreated}

_COOKIE_NOTE = (f"Sets the httpOnly, SameSite=Strict refresh cookie `{sessions.COOKIE_NAME}` "
                f"(path `{sessions.COOKIE_PATH}`, Secure over https).")
_SESSION_ENDED = problem_response("No refresh cookie, or its session has ended.", {
    "type": "/problems/unauthorized", "title": "Unauthorized", "status": 401,
    "detail": "the session has ended; sign in again"})
_OTHER_ORIGIN = problem_response("Sent from a page of another origin.", {
    "type": "/problems/forbidden", "title": "Forbidden", "status": 403,
    "detail": "the session can only be refreshed from the console's own origin"})

OPERATIONS: dict[tuple[str, str], dict[str, Any]] = {
    ("/api/staff/session", "post"): {
        "operationId": "createStaffSession",
        "tags": ["staff"],
        "summary": "Sign in as staff: a bearer token for the staff routes",
        "description": "After repeated wrong passwords the account is locked for a while; "
                       "the answer does not say whether an e-mail has an account. "
                       + _COOKIE_NOTE,
        "requestBody": {"required": True, "content": {"application/json": {
            "schema": SessionRequest,
            "example": {"email": "staff@j-ii.org", "password": "correct horse battery"},
        }}},
        "responses": {
            "201": ok("Signed in.", SessionCreated, {
                "token": "eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl", "token_type": "Bearer",
                "expires_in": 900, "role": "staff", "email": "staff@j-ii.org"}),
            "400": "InvalidInput",
            "401": problem_response("Wrong e-mail or password, or the account is locked.", {
                "type": "/problems/unauthorized", "title": "Unauthorized", "status": 401,
                "detail": SIGN_IN_REFUSED}),
            "413": "PayloadTooLarge", "415": "UnsupportedMediaType",
            "500": "InternalError", "503": "ServiceUnavailable",
        },
    },
    ("/api/staff/session/refresh", "post"): {
        "operationId": "refreshStaffSession",
        "tags": ["staff"],
        "summary": "A new bearer token for the session in the refresh cookie",
        "description": "Spends the refresh cookie and sets the next one (each is good once; "
                       "replaying a spent one ends the session). The role is read afresh. "
                       "Sessions end after STAFF_SESSION_IDLE_MINUTES unused or "
                       "STAFF_SESSION_MAX_HOURS in all. " + _COOKIE_NOTE,
        "responses": {
            "200": ok("A new token.", SessionCreated),
            "401": _SESSION_ENDED, "403": _OTHER_ORIGIN,
            "500": "InternalError", "503": "ServiceUnavailable",
        },
    },
    ("/api/staff/session", "delete"): {
        "operationId": "endStaffSession",
        "tags": ["staff"],
        "summary": "Sign out: end the session in the refresh cookie and clear it",
        "description": "Bearer tokens already issued stay valid until they expire "
                       "(STAFF_TOKEN_TTL_SECONDS); the console forgets its own.",
        "responses": {
            "204": {"description": "Signed out (also when there was no session)."},
            "403": _OTHER_ORIGIN,
            "500": "InternalError", "503": "ServiceUnavailable",
        },
    },
}
