"""Staff accounts, managed by admins: list, add, disable and enable, reset a password, change
a role. The accounts live in the gateway's own database (`gateway.accounts`), so the gateway
is the service that owns them and enforces the admin role on every route.

A password is either given by the admin or, left out, made here and answered once as
`temporary_password` (as `jii staff add` takes one on stdin, nothing stores it in clear).
Disabling an account or resetting its password ends its sessions in the same transaction, so
a refresh cookie already in a browser stops working at once; a bearer token already issued
lives out its short life (STAFF_TOKEN_TTL_SECONDS). A role change takes effect at the next
refresh, which reads the role afresh. Admins cannot disable or demote themselves, so that
an organisation is never left without an admin by a slip.
"""

from __future__ import annotations

import uuid
from typing import Any

import psycopg
from api.doc import (
    JSON_BODY_ERRORS,
    SERVER_ERRORS,
    STAFF_AUTH,
    UNAUTHORIZED,
    conflict,
    forbidden,
    not_found,
    ok,
)
from marshmallow import RAISE, Schema, fields, validate
from servicekit.errors import Conflict, InvalidInput, NotFound
from werkzeug.wrappers import Request, Response

from gateway import accounts, sessions
from gateway.auth import ROLES
from gateway.web import http, json_response, read_json

ADMIN = "admin"
PASSWORD = fields.String(validate=validate.Length(min=accounts.MIN_PASSWORD_LENGTH, max=1024),
                         load_only=True, metadata={
                             "description": "Left out: a temporary password is made and "
                                            "answered once."})


class AccountRequest(Schema):
    class Meta:
        unknown = RAISE

    email = fields.Email(required=True, validate=validate.Length(max=accounts.MAX_EMAIL_LENGTH))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    password = PASSWORD


class PasswordRequest(Schema):
    class Meta:
        unknown = RAISE

    password = PASSWORD


class RoleRequest(Schema):
    class Meta:
        unknown = RAISE

    role = fields.String(required=True, validate=validate.OneOf(ROLES))


class StaffAccount(Schema):
    id = fields.String(required=True)
    email = fields.String(required=True)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    disabled = fields.Boolean(required=True)
    created_at = fields.String(required=True)
    last_login_at = fields.String(allow_none=True)
    disabled_at = fields.String(allow_none=True)
    locked_until = fields.String(allow_none=True, metadata={
        "description": "Locked after repeated wrong passwords until then (a reset lifts it)."})


class StaffAccounts(Schema):
    accounts = fields.List(fields.Nested(StaffAccount), required=True)


class AccountChanged(Schema):
    account = fields.Nested(StaffAccount, required=True)
    temporary_password = fields.String(metadata={
        "description": "Only when no password was given: shown this once, never stored."})


def _account_id(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise NotFound("no such staff account") from None


def _found(account: dict | None) -> dict:
    if account is None:
        raise NotFound("no such staff account")
    return account


def _not_self(identity_subject: str, account_id: str, what: str) -> None:
    if identity_subject == account_id:
        raise Conflict(f"admins cannot {what} their own account")


def _password(body: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """The password to set, and what to answer about it."""
    if "password" in body:
        return body["password"], {}
    temporary = accounts.temporary_password()
    return temporary, {"temporary_password": temporary}


class StaffAccountRoutes:
    """Needs `db` and `staff` on the service."""

    @http("GET", "/api/staff/accounts")
    def list_staff_accounts(self, request: Request) -> Response:
        self.staff.require(request, ADMIN)
        with self.db.transaction() as conn:
            found = accounts.list_accounts(conn)
        return json_response(StaffAccounts().dump({"accounts": found}))

    @http("POST", "/api/staff/accounts")
    def add_staff_account(self, request: Request) -> Response:
        self.staff.require(request, ADMIN)
        body = read_json(request, AccountRequest())
        password, answer = _password(body)
        try:
            with self.db.transaction() as conn:
                added = accounts.add_account(conn, body["email"], password, body["role"])
                account = accounts.get_account(conn, added.id)
        except psycopg.errors.UniqueViolation:
            raise Conflict("an account with that e-mail already exists") from None
        except ValueError as exc:
            raise InvalidInput(str(exc), {"email": [str(exc)]}) from None
        return json_response(AccountChanged().dump({"account": account, **answer}), status=201)

    @http("POST", "/api/staff/accounts/<account_id>/disable")
    def disable_staff_account(self, request: Request, account_id: str) -> Response:
        admin = self.staff.require(request, ADMIN)
        account_id = _account_id(account_id)
        _not_self(admin.subject, account_id, "disable")
        with self.db.transaction() as conn:
            account = _found(accounts.set_disabled(conn, account_id, True))
            sessions.revoke_account(conn, account_id)
        return json_response(StaffAccount().dump(account))

    @http("POST", "/api/staff/accounts/<account_id>/enable")
    def enable_staff_account(self, request: Request, account_id: str) -> Response:
        self.staff.require(request, ADMIN)
        with self.db.transaction() as conn:
            account = _found(accounts.set_disabled(conn, _account_id(account_id), False))
        return json_response(StaffAccount().dump(account))

    @http("POST", "/api/staff/accounts/<account_id>/password")
    def reset_staff_password(self, request: Request, account_id: str) -> Response:
        self.staff.require(request, ADMIN)
        account_id = _account_id(account_id)
        password, answer = _password(read_json(request, PasswordRequest()))
        with self.db.transaction() as conn:
            account = _found(accounts.set_password(conn, account_id, password))
            # Whoever had the old password is signed out everywhere.
            sessions.revoke_account(conn, account_id)
        return json_response(AccountChanged().dump({"account": account, **answer}))

    @http("PUT", "/api/staff/accounts/<account_id>/role")
    def change_staff_role(self, request: Request, account_id: str) -> Response:
        admin = self.staff.require(request, ADMIN)
        account_id = _account_id(account_id)
        role = read_json(request, RoleRequest())["role"]
        if role != ADMIN:
            _not_self(admin.subject, account_id, "demote")
        with self.db.transaction() as conn:
            account = _found(accounts.set_role(conn, account_id, role))
        return json_response(StaffAccount().dump(account))


ACCOUNT = {"in": "path", "name": "account_id", "required": True,
           "schema": {"type": "string", "format": "uuid"}}
ERRORS = {"401": UNAUTHORIZED, "403": forbidden((ADMIN,)), **SERVER_ERRORS}
NO_ACCOUNT = not_found("staff account")


def _body(schema: type, example: dict[str, Any], required: bool = True) -> dict[str, Any]:
    return {"required": required,
            "content": {"application/json": {"schema": schema, "example": example}}}


COMPONENTS = {"StaffAccount": StaffAccount, "StaffAccounts": StaffAccounts,
              "StaffAccountRequest": AccountRequest, "StaffPasswordRequest": PasswordRequest,
              "StaffRoleRequest": RoleRequest, "StaffAccountChanged": AccountChanged}

OPERATIONS: dict[tuple[str, str], dict[str, Any]] = {
    ("/api/staff/accounts", "get"): {
        "operationId": "listStaffAccounts", "tags": ["staff"], "security": STAFF_AUTH,
        "summary": "Every staff account with its role and state (admins only)",
        "responses": {"200": ok("The accounts, by e-mail.", StaffAccounts),
                      "400": "InvalidQuery", **ERRORS},
    },
    ("/api/staff/accounts", "post"): {
        "operationId": "addStaffAccount", "tags": ["staff"], "security": STAFF_AUTH,
        "summary": "Add a staff account, with a given or a temporary password (admins only)",
        "requestBody": _body(AccountRequest, {"email": "aiko@j-ii.org", "role": "staff"}),
        "responses": {
            "201": ok("Added; the temporary password is in the answer when none was given.",
                      AccountChanged),
            **JSON_BODY_ERRORS, "409": conflict("an account with that e-mail already exists"),
            **ERRORS},
    },
    ("/api/staff/accounts/{account_id}/disable", "post"): {
        "operationId": "disableStaffAccount", "tags": ["staff"], "security": STAFF_AUTH,
        "summary": "Disable an account and end its sessions (admins only, not their own)",
        "parameters": [ACCOUNT],
        "responses": {"200": ok("Disabled.", StaffAccount), "404": NO_ACCOUNT,
                      "409": conflict("admins cannot disable their own account"), **ERRORS},
    },
    ("/api/staff/accounts/{account_id}/enable", "post"): {
        "operationId": "enableStaffAccount", "tags": ["staff"], "security": STAFF_AUTH,
        "summary": "Enable a disabled account again (admins only)",
        "parameters": [ACCOUNT],
        "responses": {"200": ok("Enabled.", StaffAccount), "404": NO_ACCOUNT, **ERRORS},
    },
    ("/api/staff/accounts/{account_id}/password", "post"): {
        "operationId": "resetStaffPassword", "tags": ["staff"], "security": STAFF_AUTH,
        "summary": "Set a password, or make a temporary one; lifts a lock-out and ends the "
                   "account's sessions (admins only)",
        "parameters": [ACCOUNT],
        "requestBody": _body(PasswordRequest, {}, required=False),
        "responses": {"200": ok("Reset; the temporary password is in the answer when none "
                                "was given.", AccountChanged),
                      **JSON_BODY_ERRORS, "404": NO_ACCOUNT, **ERRORS},
    },
    ("/api/staff/accounts/{account_id}/role", "put"): {
        "operationId": "changeStaffRole", "tags": ["staff"], "security": STAFF_AUTH,
        "summary": "Change an account's role, in force from its next refresh (admins only, "
                   "not demoting themselves)",
        "parameters": [ACCOUNT],
        "requestBody": _body(RoleRequest, {"role": "consultant"}),
        "responses": {"200": ok("Changed.", StaffAccount), **JSON_BODY_ERRORS, "404": NO_ACCOUNT,
                      "409": conflict("admins cannot demote their own account"), **ERRORS},
    },
}
