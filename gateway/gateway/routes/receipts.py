"""Tax receipt routes that answer a PDF: the donor's signed link and the staff download (the
other receipt routes are declared in `api.receipts` and generated).

A receipt link is opened by a browser: on failure it answers a page in ja/en/ne (a link
refused, a receipt still waiting for the donor's address); otherwise the PDF itself, never
cached and never sent with a referrer.
"""

from __future__ import annotations

import base64
from typing import Any

from api import receipts as api
from api.doc import describe, problem_response
from werkzeug.wrappers import Request, Response

from gateway import pages
from gateway.capabilities import link_token, token_parameter
from gateway.errors import Problem
from gateway.web import http

INVALID_LINK = "this link is not valid"

UNAVAILABLE_NOTICE = {
    "ja": pages.Notice("領収書を表示できません", (
        "リンクが途中で切れているか、変更されている可能性がございます。または、ご住所を"
        "お預かりしていないため、寄附金受領証明書をまだ発行できておりません。",
        "お手数ですが、info@j-ii.org までご連絡ください。こちらでお手続きいたします。")),
    "en": pages.Notice("We cannot show this receipt", (
        "The link may have been cut short or changed, or the receipt cannot be issued yet "
        "because we do not have your postal address, which a tax receipt must show.",
        "Please write to info@j-ii.org and we will help you.")),
    "ne": pages.Notice("यो रसिद देखाउन सकिएन", (
        "लिङ्क अधुरो वा परिवर्तन भएको हुन सक्छ, वा हामीसँग तपाईंको हुलाक ठेगाना नभएकाले "
        "कर रसिद अझै जारी गर्न सकिएको छैन।",
        "कृपया info@j-ii.org मा लेख्नुहोस्; हामी तपाईंलाई सहयोग गर्नेछौं।")),
}


def receipt_failure_page(problem: Problem, lang: str) -> Response:
    return pages.failure_page(problem, lang, UNAVAILABLE_NOTICE[lang])


def pdf_response(document: dict[str, Any], disposition: str) -> Response:
    response = Response(base64.b64decode(document["pdf_base64"]), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'{disposition}; filename="{document["filename"]}"'
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


class ReceiptRoutes:
    """Needs a `donations` RPC proxy and `staff` auth on the service. Each route is named as
    a generated one would be (`api.RECEIPT_DOCUMENT` → `receipt_document`)."""

    @http("GET", api.RECEIPT_BY_LINK.path, page=receipt_failure_page, query=api.PdfQuery)
    def receipt_by_link(self, request: Request, token: str, query: dict[str, Any]) -> Response:
        checked = link_token(token, INVALID_LINK)
        return pdf_response(self.donations.receipt_by_link(checked, query=request.args.to_dict()),
                            "inline")

    @http("GET", api.RECEIPT_DOCUMENT.path, query=api.PdfQuery,
          roles=api.RECEIPT_DOCUMENT.roles)
    def receipt_document(self, request: Request, number: str,
                         query: dict[str, Any]) -> Response:
        return pdf_response(self.donations.receipt_document(number,
                                                            query=request.args.to_dict()),
                            "attachment")


PDF = {"description": "The receipt as issued (PDF).", "headers": {"X-Request-ID": "RequestId"},
       "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}
PDF_LANG = {"in": "query", "name": "lang", "required": False,
            "description": "en for the English translation; otherwise the Japanese original.",
            "schema": {"type": "string"}}
NO_RECEIPT = problem_response("No such receipt.", {
    "type": "/problems/not-found", "title": "Not found", "status": 404,
    "detail": "no such receipt"})

REFUSED_PAGE = "a page saying the receipt cannot be shown and whom to write to"

COMPONENTS: dict[str, type] = {}

OPERATIONS: dict[tuple[str, str], dict[str, Any]] = {
    ("/api/receipts/{token}", "get"): {
        "operationId": "receiptByLink",
        "tags": ["donations"],
        "summary": "A donor's tax receipt (PDF) by the signed link in their e-mail",
        "description": "The receipt in force for the gift or tax year the link names (a "
                       "corrected receipt's replacement). A browser gets a page in ja/en/ne "
                       "when the link is refused or the receipt waits for the donor's address.",
        "parameters": [token_parameter("a tax receipt link"), PDF_LANG],
        "responses": {
            "200": PDF,
            "400": pages.or_page(problem_response("A token that is not a signed link.", {
                "type": "/problems/bad-signature", "title": "Bad signature", "status": 400,
                "detail": INVALID_LINK}), REFUSED_PAGE),
            "403": pages.or_page(problem_response("The link is not valid or has expired.", {
                "type": "/problems/forbidden", "title": "Forbidden", "status": 403,
                "detail": INVALID_LINK}), REFUSED_PAGE),
            "404": pages.or_page(NO_RECEIPT, REFUSED_PAGE),
            "409": pages.or_page(problem_response(
                "The receipt waits for the donor's postal address.", {
                    "type": "/problems/conflict", "title": "Conflict", "status": 409,
                    "detail": "a tax receipt needs the donor's postal address; add it first"}),
                REFUSED_PAGE),
            "500": "InternalError", "503": "ServiceUnavailable"},
    },
    (api.RECEIPT_DOCUMENT.openapi_path, "get"): describe(api.RECEIPT_DOCUMENT, PDF),
}
