"""Notification routes: unsubscribe (public, RFC 8058); the staff delivery log is declared in
`api.notifications`.

The unsubscribe link of the monthly impact update is both the mail's `List-Unsubscribe` target
(mail clients POST to it) and a link in the body (a browser GETs it). The GET only shows a
confirmation page whose form makes the same POST; the POST answers JSON, or HTML to a browser.
Failures answer problem+json, or an HTML page when the client prefers HTML (both methods).
"""

from __future__ import annotations

from typing import Any

from api.doc import PROBLEM_RESPONSES, ok, problem_response
from api.notifications import Unsubscribed
from werkzeug.wrappers import Request, Response

from gateway import pages, unsubscribe_pages
from gateway.capabilities import link_token, token_parameter
from gateway.web import http, json_response

INVALID_LINK = "the unsubscribe link is not valid"


def unsubscribe_token(token: str) -> str:
    return link_token(token, INVALID_LINK)


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


COMPONENTS = {"Unsubscribed": Unsubscribed}

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
}
