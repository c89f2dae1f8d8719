"""Notification routes: unsubscribe (public, RFC 8058) and the staff delivery log.

The unsubscribe link of the monthly impact update is both the mail's `List-Unsubscribe` target
(mail clients POST to it) and a link in the body (a browser GETs it). The GET only shows a
confirmation page whose form makes the same POST; the POST answers JSON, or HTML to a browser.
Failures answer problem+json, or an HTML page when the client prefers HTML (both methods).
"""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema
from werkzeug.wrappers import Request, Response

from gateway import pages, unsubscribe_pages
from gateway.apidoc import PROBLEM_RESPONSES, ok, problem_response
from gateway.capabilities import link_token, token_parameter
from gateway.web import http, json_response

STAFF_ROLES = ("admin", "staff")
INVALID_LINK = "the unsubscribe link is not valid"


def unsubscribe_token(token: str) -> str:
    return link_token(token, INVALID_LINK)


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
    # deferred: SMTP has not accepted it yet (4xx or unreachable); the event's retries go on.
    # sending: at the relay now; unknown: an attempt cut short, maybe delivered, not retried.
    status = fields.String(required=True, validate=validate.OneOf(
        ["sent", "deferred", "failed", "suppressed", "sending", "unknown"]))
    error = fields.String(allow_none=True)
    attempts = fields.Integer(required=True)
    message_id = fields.String(required=True)
    created_at = fields.String(required=True)
    last_attempt_at = fields.String(required=True)


class MailLog(Schema):
    deliveries = fields.List(fields.Nested(MailLogEntry), required=True)


class NotificationRoutes:
    """Needs a `notifications` RPC proxy and `staff` auth on the service."""

    @http("GET", "/api/unsubscribe/<token>", page=unsubscribe_pages.failure_page)
    def unsubscribe_page(self, request: Request, token: str) -> Response:
        # A person clicked the link in the e-mail. No RPC: RFC 8058 forbids a GET that
        # unsubscribes, since scanners prefetch links; the page's button makes the POST.
        return unsubscribe_pages.confirm_page(unsubscribe_token(token),
                                              pages.language_of(request))

    @http("POST", "/api/unsubscribe/<token>", page=unsubscribe_pages.failure_page)
    def unsubscribe(self, request: Request, token: str) -> Response:
        # Mail clients POST `List-Unsubscribe=One-Click` here (RFC 8058), form-encoded or
        # multipart; so does the confirmation page's form. The body carries nothing else, so
        # it is not read (nor its Content-Type checked). The token is the signed address and list.
        result = self.notifications.unsubscribe(unsubscribe_token(token))
        if pages.prefers_html(request):
            return unsubscribe_pages.done_page(pages.language_of(request))
        return json_response(Unsubscribed().dump(result))

    @http("GET", "/api/staff/mail", query=MailLogQuery)
    def mail_log(self, request: Request, query: dict[str, Any]) -> Response:
        self.staff.require(request, *STAFF_ROLES)
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

_TOKEN = token_parameter("the link in the e-mail")
_BAD_LINK = problem_response("The link is not one we signed (or not shaped like one).", {
    "type": "/problems/bad-signature", "title": "Bad signature", "status": 400,
    "detail": INVALID_LINK})


OPERATIONS: dict[tuple[str, str], dict[str, Any]] = {
    ("/api/unsubscribe/{token}", "get"): {
        "operationId": "unsubscribePage",
        "tags": ["notifications"],
        "summary": "The confirmation page behind the unsubscribe link in an impact update",
        "description": "What a browser gets when the person clicks the link in the e-mail. "
                       "Changes nothing (RFC 8058: link scanners fetch every URL): the page "
                       "explains that only the monthly impact update stops and offers a button "
                       "whose form POSTs `List-Unsubscribe=One-Click` to the same URL. The "
                       "signature is checked by that POST; here only the token's shape. "
                       + pages.HEADERS_NOTE,
        "parameters": [_TOKEN, pages.LANG_PARAMETER],
        "responses": {
            "200": {"description": "The confirmation page, in the language chosen.",
                    "headers": {"X-Request-ID": "RequestId"},
                    "content": {"text/html": pages.HTML_CONTENT}},
            "400": pages.or_page(_BAD_LINK, "a page saying the link is not valid"),
            "500": "InternalError",
        },
    },
    ("/api/unsubscribe/{token}", "post"): {
        "operationId": "unsubscribe",
        "tags": ["notifications"],
        "summary": "One-click unsubscribe from the monthly impact update (RFC 8058)",
        "description": "The link of an impact update's List-Unsubscribe header, POSTed by mail "
                       "clients, and the target of the confirmation page's form. Stops impact "
                       "updates for that address only; receipts and other transactional mail "
                       "continue. Repeating it is harmless. The body is not read. Answers JSON "
                       "unless the client prefers text/html over JSON (a browser submitting "
                       "the form), which gets a page saying it is done. " + pages.HEADERS_NOTE,
        "parameters": [_TOKEN, pages.LANG_PARAMETER],
        "requestBody": {
            "required": False,
            "description": "RFC 8058's one-click body; ignored.",
            "content": {media: {"schema": {"type": "object", "properties": {
                "List-Unsubscribe": {"type": "string", "enum": ["One-Click"]}}},
                "example": {"List-Unsubscribe": "One-Click"}}
                for media in ("application/x-www-form-urlencoded", "multipart/form-data")},
        },
        "responses": {
            "200": pages.or_page(ok("Unsubscribed.", Unsubscribed,
                               {"unsubscribed": True, "list": "impact_update"}),
                            "a page saying it is done"),
            "400": pages.or_page(_BAD_LINK, "a page saying the link is not valid"),
            "413": "PayloadTooLarge",
            "500": "InternalError",
            "503": pages.or_page(PROBLEM_RESPONSES["ServiceUnavailable"],
                            "a page asking to try again shortly"),
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
            "400": "InvalidQuery", "401": _UNAUTHORIZED, "403": _FORBIDDEN,
            "500": "InternalError", "503": "ServiceUnavailable",
        },
    },
}
