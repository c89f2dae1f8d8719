"""Staff sign-in: e-mail and password for a short-lived bearer token."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from marshmallow import RAISE, Schema, fields, validate
from servicekit.errors import Unauthorized
from werkzeug.wrappers import Request, Response

from gateway import accounts
from gateway.apidoc import ok, problem_response
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


class StaffRoutes:
    """Needs `db`, `config` and `staff` on the service."""

    @http("POST", "/api/staff/session")
    def create_session(self, request: Request) -> Response:
        credentials = read_json(request, SessionRequest())
        ttl = int(self.config.get("STAFF_TOKEN_TTL_SECONDS", DEFAULT_TTL_SECONDS))
        with self.db.transaction() as conn:
            try:
                account = accounts.authenticate(
                    conn, credentials["email"], credentials["password"],
                    max_attempts=int(self.config.get("STAFF_LOCKOUT_ATTEMPTS", 5)),
                    lockout=timedelta(minutes=int(self.config.get("STAFF_LOCKOUT_MINUTES", 15))),
                )
            except accounts.AccountLocked:
                account = None
        if account is None:
            # One answer for an unknown e-mail, a wrong password and a locked account: any
            # difference would tell a stranger which addresses have accounts.
            raise Unauthorized(SIGN_IN_REFUSED)
        token = self.staff.issue(account.id, account.role, ttl)
        return json_response(SessionCreated().dump({
            "token": token, "token_type": "Bearer", "expires_in": ttl, "role": account.role,
        }), status=201)


COMPONENTS = {"SessionRequest": SessionRequest, "SessionCreated": SessionCreated}

OPERATIONS: dict[tuple[str, str], dict[str, Any]] = {
    ("/api/staff/session", "post"): {
        "operationId": "createStaffSession",
        "tags": ["staff"],
        "summary": "Sign in as staff: a bearer token for the staff routes",
        "description": "After repeated wrong passwords the account is locked for a while; "
                       "the answer does not say whether an e-mail has an account.",
        "requestBody": {"required": True, "content": {"application/json": {
            "schema": SessionRequest,
            "example": {"email": "staff@j-ii.org", "password": "correct horse battery"},
        }}},
        "responses": {
            "201": ok("Signed in.", SessionCreated, {
                "token": "eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl", "token_type": "Bearer",
                "expires_in": 900, "role": "staff"}),
            "400": "InvalidInput",
            "401": problem_response("Wrong e-mail or password, or the account is locked.", {
                "type": "/problems/unauthorized", "title": "Unauthorized", "status": 401,
                "detail": SIGN_IN_REFUSED}),
            "413": "PayloadTooLarge", "415": "UnsupportedMediaType",
            "500": "InternalError", "503": "ServiceUnavailable",
        },
    },
}
