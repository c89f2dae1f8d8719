"""The guardian's signed link to withdraw a child from a Hanamaru class; the rest of the
programs API (catalog, classes, consultations, impact, and their staff side) is declared in
`api.programs`.

The withdrawal link is opened by a guardian's browser as well as fetched by the site: both
methods answer a page (withdraw_pages) to a client preferring HTML, JSON otherwise.
"""

from __future__ import annotations

from typing import Any

from api.doc import PROBLEM_RESPONSES, ok
from api.operation import PATH_VALUE
from api.programs import BAD_LINK, NO_ENROLLMENT, WITHDRAWAL_LINK, EnrollmentByLink
from werkzeug.wrappers import Request, Response

from gateway import pages, withdraw_pages
from gateway.capabilities import link_token, token_parameter
from gateway.web import http, json_response

INVALID_LINK = "this link is not valid"


def withdrawal_token(token: str) -> str:
    return link_token(token, INVALID_LINK)


def _link_json(view: dict[str, Any]) -> Response:
    response = json_response(EnrollmentByLink().dump(view))
    response.vary.add("Accept")  # the same URL answers a browser with a page
    return response


class ProgramRoutes:
    """Needs a `programs` RPC proxy on the service."""

    @http("GET", WITHDRAWAL_LINK, page=withdraw_pages.failure_page)
    def enrollment_by_link(self, request: Request, token: str) -> Response:
        # Changes nothing: mail scanners fetch every link. A browser (the guardian clicking the
        # link in the e-mail) gets a page whose button POSTs here; the site gets JSON.
        checked = withdrawal_token(token)
        view = self.programs.enrollment_by_link(checked)
        if not pages.prefers_html(request):
            return _link_json(view)
        return withdraw_pages.link_page(checked, EnrollmentByLink().dump(view),
                                        pages.language_of(request))

    @http("POST", WITHDRAWAL_LINK, page=withdraw_pages.failure_page)
    def withdraw_by_link(self, request: Request, token: str) -> Response:
        # The token is the whole request; a body, if any (the page's form sends an empty one),
        # is not read.
        view = self.programs.withdraw_by_link(withdrawal_token(token))
        if not pages.prefers_html(request):
            return _link_json(view)
        return withdraw_pages.done_page(EnrollmentByLink().dump(view),
                                        pages.language_of(request))


# -- OpenAPI -------------------------------------------------------------------------------------

LINK_PATH = PATH_VALUE.sub(r"{\1}", WITHDRAWAL_LINK)
TOKEN_PARAMETER = token_parameter("the link in the enrolment e-mail")
LINK_VIEW_EXAMPLE = {"class_title": "Hanamaru Class Shinjuku", "child_first_name": "Sita",
                     "status": "withdrawn"}
LINK_REFUSED_PAGE = "a page saying the link is not valid"
RETRY_PAGE = "a page asking to try again shortly"

COMPONENTS = {"EnrollmentByLink": EnrollmentByLink}

OPERATIONS: dict[tuple[str, str], dict[str, Any]] = {
    (LINK_PATH, "get"): {
        "operationId": "enrollmentByLink",
        "tags": ["programs"],
        "summary": "What a guardian's withdrawal link is about: class, child, status",
        "description": "The link in the enrolment e-mails (confirmed, waitlisted, promoted). "
                       "Changes nothing, since mail scanners fetch links. Shows the class title, "
                       "the child's first name and the enrolment's status, nothing more: as "
                       "JSON, or, to a client preferring text/html over JSON (the guardian's "
                       "browser), as a page saying what cancelling does with a button whose "
                       "form POSTs to the same URL (once withdrawn, a page saying so instead). "
                       + pages.HEADERS_NOTE,
        "parameters": [TOKEN_PARAMETER, pages.LANG_PARAMETER],
        "responses": {
            "200": pages.or_page(
                ok("The enrolment, as the guardian may see it.", EnrollmentByLink,
                   {**LINK_VIEW_EXAMPLE, "status": "confirmed"}),
                "the confirmation page"),
            "400": pages.or_page(BAD_LINK, LINK_REFUSED_PAGE),
            "404": pages.or_page(NO_ENROLLMENT, LINK_REFUSED_PAGE),
            "500": "InternalError",
            "503": pages.or_page(PROBLEM_RESPONSES["ServiceUnavailable"], RETRY_PAGE),
        },
    },
    (LINK_PATH, "post"): {
        "operationId": "withdrawByLink",
        "tags": ["programs"],
        "summary": "Withdraw the child with the guardian's link; the first child waiting gets "
                   "the seat",
        "description": "The target of the confirmation page's form, and of the site. Repeating "
                       "it is harmless: a withdrawn enrolment answers the same. The body is not "
                       "read. Answers JSON unless the client prefers text/html over JSON (a "
                       "browser submitting the form), which gets a page saying it is done. "
                       + pages.HEADERS_NOTE,
        "parameters": [TOKEN_PARAMETER, pages.LANG_PARAMETER],
        "responses": {
            "200": pages.or_page(ok("Withdrawn.", EnrollmentByLink, LINK_VIEW_EXAMPLE),
                                 "a page saying it is done"),
            "400": pages.or_page(BAD_LINK, LINK_REFUSED_PAGE),
            "404": pages.or_page(NO_ENROLLMENT, LINK_REFUSED_PAGE),
            "413": "PayloadTooLarge",
            "500": "InternalError",
            "503": pages.or_page(PROBLEM_RESPONSES["ServiceUnavailable"], RETRY_PAGE),
        },
    },
}
