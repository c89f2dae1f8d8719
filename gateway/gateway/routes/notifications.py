"""Notification routes: one-click unsubscribe (public, RFC 8058) and the staff delivery log."""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema
from werkzeug.wrappers import Request, Response

from gateway.apidoc import ok, problem_response
from gateway.web import http, json_response

STAFF_ROLES = ("admin", "staff")


class Unsubscribed(Schema):
    unsubscribed = fields.Boolean(required=True)
    list = fields.String(required=True, metadata={"example": "impact_update"})


class MailLogQuery(Schema):
    class Meta:
        unknown = RAISE

    email = fields.Email(validate=validate.Length(max=254))
    event = fields.UUID()

    @validates_schema
    def exactly_one(self, data: dict[str, Any], **kwargs: Any) -> None:
        if ("email" in data) == ("event" in data):
            raise ValidationError("give exactly one of email or event", "email")


class MailLogEntry(Schema):
    event_id = fields.String(required=True)
    kind = fields.String(required=True)
    recipient = fields.String(required=True)
    locale = fields.String(required=True)
    status = fields.String(required=True,
                           validate=validate.OneOf(["sent", "failed", "suppressed"]))
    error = fields.String(allow_none=True)
    message_id = fields.String(required=True)
    created_at = fields.String(required=True)


class MailLog(Schema):
    deliveries = fields.List(fields.Nested(MailLogEntry), required=True)


class NotificationRoutes:
    """Needs a `notifications` RPC proxy and `staff` auth on the service."""

    @http("POST", "/api/unsubscribe/<token>")
    def unsubscribe(self, request: Request, token: str) -> Response:
        # Mail clients POST `List-Unsubscribe=One-Click` here (RFC 8058); the body carries
        # nothing else, so it is not read. The token is the signed address and list.
        return json_response(Unsubscribed().dump(self.notifications.unsubscribe(token)))

    @http("GET", "/api/staff/mail")
    def mail_log(self, request: Request) -> Response:
        self.staff.require(request, *STAFF_ROLES)
        query = MailLogQuery().load(request.args.to_dict())
        entries = self.notifications.delivery_log(
            email=query.get("email"), event_id=str(query["event"]) if "event" in query else None)
        return json_response(MailLog().dump({"deliveries": entries}))


COMPONENTS = {"Unsubscribed": Unsubscribed, "MailLog": MailLog}

_UNAUTHORIZED = problem_response("Missing, malformed or expired staff token.", {
    "type": "/problems/unauthorized", "title": "Unauthorized", "status": 401,
    "detail": "staff routes need an Authorization: Bearer token"})
_FORBIDDEN = problem_response("The token's role may not do this.", {
    "type": "/problems/forbidden", "title": "Forbidden", "status": 403,
    "detail": "this needs the role admin or staff"})

OPERATIONS: dict[tuple[str, str], dict[str, Any]] = {
    ("/api/unsubscribe/{token}", "post"): {
        "operationId": "unsubscribe",
        "tags": ["notifications"],
        "summary": "One-click unsubscribe from the monthly impact update (RFC 8058)",
        "description": "The link of an impact update's List-Unsubscribe header. Stops impact "
                       "updates for that address only; receipts and other transactional mail "
                       "continue. Repeating it is harmless.",
        "parameters": [{"in": "path", "name": "token", "required": True,
                        "schema": {"type": "string"}}],
        "responses": {
            "200": ok("Unsubscribed.", Unsubscribed,
                      {"unsubscribed": True, "list": "impact_update"}),
            "400": problem_response("The link is not one we signed.", {
                "type": "/problems/bad-signature", "title": "Bad signature", "status": 400,
                "detail": "the unsubscribe link is not valid"}),
            "500": "InternalError", "503": "ServiceUnavailable",
        },
    },
    ("/api/staff/mail", "get"): {
        "operationId": "mailLog",
        "tags": ["staff"],
        "summary": "The delivery log for one address or one event",
        "security": [{"bearerAuth": []}],
        "parameters": [
            {"in": "query", "name": "email", "schema": {"type": "string", "format": "email"}},
            {"in": "query", "name": "event", "schema": {"type": "string", "format": "uuid"}},
        ],
        "responses": {
            "200": ok("Deliveries, newest first.", MailLog),
            "400": "InvalidInput", "401": _UNAUTHORIZED, "403": _FORBIDDEN,
            "500": "InternalError", "503": "ServiceUnavailable",
        },
    },
}
