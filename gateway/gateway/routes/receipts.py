"""Tax receipt routes: the donor's signed link to a receipt PDF, and the staff side (download,
void, reissue, issue, the year-end run), staff corrections of recorded payments, and search.

A receipt link is opened by a browser: on failure it answers a page in ja/en/ne (a link
refused, a receipt still waiting for the donor's address); otherwise the PDF itself, never
cached and never sent with a referrer.
"""

from __future__ import annotations

import base64
from typing import Any

from api.doc import ok, problem_response
from api.fields import CURSOR_PATTERN, MAX_PAGE, UUID_PATTERN, PageQuery
from marshmallow import RAISE, Schema, fields, validate
from werkzeug.wrappers import Request, Response

from gateway import pages
from gateway.capabilities import link_token, token_parameter
from gateway.errors import Problem
from gateway.routes import donations_schemas as ds
from gateway.routes.donations import (
    CONFLICT,
    JSON_BODY_ERRORS,
    NOT_FOUND,
    STAFF,
    STAFF_AUTH,
    STAFF_ERRORS,
    _body,
)
from gateway.schemas import DonorFields, PostalAddress
from gateway.web import http, json_response, read_json

INVALID_LINK = "this link is not valid"


def _query_parameter(name: str, schema: dict[str, Any],
                     description: str | None = None) -> dict[str, Any]:
    parameter = {"in": "query", "name": name, "required": False, "schema": schema}
    if description:
        parameter["description"] = description
    return parameter


def _enum(values: tuple[str, ...] | list[str]) -> dict[str, Any]:
    return {"type": "string", "enum": list(values)}


# A staff list's paging parameters, as `PageQuery` checks them.
PAGE = [
    _query_parameter("limit", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE,
                               "default": 50}),
    _query_parameter("after", {"type": "string", "pattern": CURSOR_PATTERN,
                               "maxLength": 200}, "The `next` cursor of the previous page."),
]

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


def pdf_language(request: Request) -> str:
    # The Japanese receipt is the original a tax office takes; English is a translation.
    return "en" if (request.args.get("lang") or "").lower().startswith("en") else "ja"


class ReasonRequest(Schema):
    class Meta:
        unknown = RAISE

    reason = fields.String(required=True, validate=validate.Length(min=1, max=500),
                           metadata={"example": "address corrected"})


class AddressRequest(DonorFields):
    class Meta:
        unknown = RAISE

    postal_address = fields.Nested(PostalAddress, required=True)


class YearRequest(Schema):
    class Meta:
        unknown = RAISE

    year = fields.Integer(required=True, strict=True, validate=validate.Range(min=2000, max=2100),
                          metadata={"example": 2026})


class PdfQuery(Schema):
    class Meta:
        unknown = RAISE

    # Any value: `en…` asks for the English translation, anything else gets the original.
    lang = fields.String(metadata={"description": "`en` for the English translation; the "
                                                  "Japanese original otherwise."})


class SearchQuery(Schema):
    class Meta:
        unknown = RAISE

    q = fields.String(required=True, validate=validate.Length(min=2, max=200),
                      metadata={"description": "A name, e-mail, receipt number or bank "
                                               "reference (part of one, except numbers)."})


class Receipt(Schema):
    number = fields.String(required=True, metadata={"example": "R2026-000123-2"})
    kind = fields.String(required=True, metadata={"description": "gift or annual"})
    tax_year = fields.Integer(required=True)
    amount = fields.Integer(required=True)
    currency = fields.String(required=True)
    supporter_id = fields.String(required=True)
    payment_id = fields.String(allow_none=True)
    issued_at = fields.String(required=True)
    issued_by = fields.String(required=True)
    replaces = fields.String(allow_none=True)
    voided = fields.Boolean(required=True)
    voided_at = fields.String(allow_none=True)
    void_reason = fields.String(allow_none=True)
    voided_by = fields.String(allow_none=True)


RECEIPT_KINDS = ("gift", "annual")
RECEIPT_STATUSES = ("issued", "voided")
RECEIPT_LANGUAGES = ("ja", "en")


class ReceiptQuery(PageQuery):
    year = fields.Integer(strict=False, validate=validate.Range(min=2000, max=2100))
    kind = fields.String(validate=validate.OneOf(RECEIPT_KINDS))
    status = fields.String(validate=validate.OneOf(RECEIPT_STATUSES))
    supporter_id = fields.String(validate=validate.Regexp(UUID_PATTERN,
                                                          error="Not a valid UUID."))
    # no control characters: PostgreSQL refuses NUL in text
    number = fields.String(validate=[validate.Length(min=1, max=40), validate.Regexp(
        r"^[^\x00-\x1f\x7f]+\Z", error="Must not hold control characters.")])


class ReceiptListed(Receipt):
    replaced_by = fields.String(allow_none=True, metadata={
        "description": "The number of the receipt that replaced this void one."})
    donor_name = fields.String(allow_none=True, metadata={
        "description": "The donor's name as the receipt prints it."})
    languages = fields.List(fields.String(), required=True, metadata={
        "description": "Languages the PDF can be downloaded in (`lang=`): ja is the original "
                       "a tax office takes, en a translation of the same frozen content."})
    stored_languages = fields.List(fields.String(), required=True, metadata={
        "description": "Languages already made and kept byte for byte."})


class ReceiptPage(Schema):
    receipts = fields.List(fields.Nested(ReceiptListed), required=True)
    next = fields.String(required=True, allow_none=True, metadata={
        "description": "Pass as `after` for the next page; null on the last page."})


class VoidedPayment(ds.Payment):
    voided = fields.Boolean(required=True)
    void_reason = fields.String(required=True)
    voided_by = fields.String(required=True)
    voided_at = fields.String(required=True)


class FoundPayment(Schema):
    id = fields.String(required=True)
    source = fields.String(required=True)
    amount = fields.Integer(required=True)
    refunded_amount = fields.Integer(required=True)
    receipt_number = fields.String(required=True, allow_none=True, metadata={
        "description": "Given moments after the payment is recorded; null until then."})
    paid_at = fields.String(required=True)
    reference = fields.String(allow_none=True)
    voided = fields.Boolean(required=True)
    tax_receipt = fields.String(allow_none=True)


class FoundSupporter(Schema):
    supporter_id = fields.String(required=True)
    name = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    locale = fields.String(required=True)
    postal_address = fields.Nested(PostalAddress, allow_none=True)
    donor_kind = fields.String(required=True)
    anonymized = fields.Boolean(required=True)
    matched_by = fields.List(fields.String(), required=True)
    payments = fields.List(fields.Nested(FoundPayment), required=True)


class SearchResults(Schema):
    results = fields.List(fields.Nested(FoundSupporter), required=True)


class SupporterAddress(Schema):
    supporter_id = fields.String(required=True)
    postal_address = fields.Nested(PostalAddress, required=True)
    donor_kind = fields.String(required=True)


class YearEndProgress(Schema):
    year = fields.Integer(required=True)
    supporters = fields.Integer(required=True, metadata={
        "description": "Supporters with a gift that year, each e-mailed once."})
    sent = fields.Integer(required=True)
    remaining = fields.Integer(required=True)
    started = fields.Boolean()


class ReceiptRoutes:
    """Needs a `donations` RPC proxy and `staff` auth on the service."""

    @http("GET", "/api/receipts/<token>", page=receipt_failure_page)
    def receipt_by_link(self, request: Request, token: str) -> Response:
        checked = link_token(token, INVALID_LINK)
        return pdf_response(self.donations.receipt_by_link(checked, pdf_language(request)),
                            "inline")

    @http("GET", "/api/staff/receipts", query=ReceiptQuery)
    def list_receipts(self, request: Request, query: dict[str, Any]) -> Response:
        self.staff.require(request, *STAFF)
        return json_response(ReceiptPage().dump(self.donations.list_receipts(query)))

    @http("GET", "/api/staff/receipts/<number>")
    def receipt_view(self, request: Request, number: str) -> Response:
        self.staff.require(request, *STAFF)
        return json_response(Receipt().dump(self.donations.receipt_view(number)))

    @http("GET", "/api/staff/receipts/<number>/pdf", query=PdfQuery)
    def receipt_document(self, request: Request, number: str,
                         query: dict[str, Any]) -> Response:
        self.staff.require(request, *STAFF)
        return pdf_response(self.donations.receipt_document(number, pdf_language(request)),
                            "attachment")

    @http("POST", "/api/staff/receipts/<number>/void")
    def void_receipt(self, request: Request, number: str) -> Response:
        self.staff.require(request, *STAFF)
        body = read_json(request, ReasonRequest())
        return json_response(Receipt().dump(self.donations.void_receipt(number, body)))

    @http("POST", "/api/staff/receipts/<number>/reissue")
    def reissue_receipt(self, request: Request, number: str) -> Response:
        self.staff.require(request, *STAFF)
        body = read_json(request, ReasonRequest())
        return json_response(Receipt().dump(self.donations.reissue_receipt(number, body)),
                             status=201)

    @http("POST", "/api/staff/payments/<payment_id>/receipt")
    def issue_receipt_for_payment(self, request: Request, payment_id: str) -> Response:
        self.staff.require(request, *STAFF)
        return json_response(Receipt().dump(
            self.donations.issue_receipt_for_payment(payment_id)), status=201)

    @http("POST", "/api/staff/payments/<payment_id>/void")
    def void_staff_payment(self, request: Request, payment_id: str) -> Response:
        self.staff.require(request, *STAFF)
        body = read_json(request, ReasonRequest())
        return json_response(VoidedPayment().dump(
            self.donations.void_staff_payment(payment_id, body)))

    @http("POST", "/api/staff/supporters/<supporter_id>/receipts/<int:year>")
    def issue_annual_receipt(self, request: Request, supporter_id: str, year: int) -> Response:
        self.staff.require(request, *STAFF)
        return json_response(Receipt().dump(
            self.donations.issue_annual_receipt(supporter_id, year)), status=201)

    @http("PUT", "/api/staff/supporters/<supporter_id>/address")
    def set_supporter_address(self, request: Request, supporter_id: str) -> Response:
        self.staff.require(request, *STAFF)
        body = read_json(request, AddressRequest())
        return json_response(SupporterAddress().dump(
            self.donations.set_supporter_address(supporter_id, body)))

    @http("GET", "/api/staff/supporters", query=SearchQuery)
    def search_supporters(self, request: Request, query: dict[str, Any]) -> Response:
        self.staff.require(request, *STAFF)
        return json_response(SearchResults().dump(self.donations.search_supporters(query)))

    @http("POST", "/api/staff/year-end-receipts")
    def start_year_end_run(self, request: Request) -> Response:
        self.staff.require(request, *STAFF)
        body = read_json(request, YearRequest())
        return json_response(YearEndProgress().dump(self.donations.start_year_end_run(body)),
                             status=202)

    @http("GET", "/api/staff/year-end-receipts/<int:year>")
    def year_end_progress(self, request: Request, year: int) -> Response:
        self.staff.require(request, *STAFF)
        return json_response(YearEndProgress().dump(self.donations.year_end_progress(year)))


def _path(name: str, fmt: str | None = None, type_: str = "string") -> dict[str, Any]:
    schema: dict[str, Any] = {"type": type_}
    if fmt:
        schema["format"] = fmt
    return {"in": "path", "name": name, "required": True, "schema": schema}


NUMBER = _path("number")
PDF = {"description": "The receipt as issued (PDF).", "headers": {"X-Request-ID": "RequestId"},
       "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}
PDF_LANG = {"in": "query", "name": "lang", "required": False,
            "description": "en for the English translation; otherwise the Japanese original.",
            "schema": {"type": "string"}}
NO_RECEIPT = problem_response("No such receipt.", {
    "type": "/problems/not-found", "title": "Not found", "status": 404,
    "detail": "no such receipt"})

REFUSED_PAGE = "a page saying the receipt cannot be shown and whom to write to"

COMPONENTS = {
    "Receipt": Receipt, "ReceiptPage": ReceiptPage, "ReasonRequest": ReasonRequest,
    "VoidedPayment": VoidedPayment,
    "SupporterAddressRequest": AddressRequest, "SupporterAddress": SupporterAddress,
    "SearchResults": SearchResults, "YearRequest": YearRequest,
    "YearEndProgress": YearEndProgress,
}

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
    ("/api/staff/receipts", "get"): {
        "operationId": "listReceipts", "tags": ["staff"], "security": STAFF_AUTH,
        "summary": "Tax receipts, newest issued first, with the languages each downloads in",
        "parameters": [
            _query_parameter("year", {"type": "integer", "minimum": 2000, "maximum": 2100},
                             "The tax year (Tokyo)."),
            _query_parameter("kind", _enum(RECEIPT_KINDS)),
            _query_parameter("status", _enum(RECEIPT_STATUSES),
                             "issued: in force; voided: voided (a replacement names it)."),
            _query_parameter("supporter_id", {"type": "string", "format": "uuid"}),
            _query_parameter("number", {"type": "string", "minLength": 1, "maxLength": 40},
                             "Part of a receipt number, e.g. 000123 or R2026-000123-2."),
            *PAGE],
        "responses": {"200": ok("One page of receipts.", ReceiptPage), "400": "InvalidQuery",
                      **STAFF_ERRORS},
    },
    ("/api/staff/receipts/{number}", "get"): {
        "operationId": "receiptView", "tags": ["staff"], "security": STAFF_AUTH,
        "summary": "A tax receipt: kind, amount, who issued it, whether and why it was voided",
        "parameters": [NUMBER],
        "responses": {"200": ok("The receipt.", Receipt), "404": NO_RECEIPT, **STAFF_ERRORS},
    },
    ("/api/staff/receipts/{number}/pdf", "get"): {
        "operationId": "receiptDocument", "tags": ["staff"], "security": STAFF_AUTH,
        "summary": "Download a receipt's PDF, exactly as issued (void ones too)",
        "parameters": [NUMBER, PDF_LANG],
        "responses": {"200": PDF, "400": "InvalidQuery", "404": NO_RECEIPT, **STAFF_ERRORS},
    },
    ("/api/staff/receipts/{number}/void", "post"): {
        "operationId": "voidReceipt", "tags": ["staff"], "security": STAFF_AUTH,
        "summary": "Void a receipt without a replacement, with a reason",
        "parameters": [NUMBER],
        "requestBody": _body(ReasonRequest, {"reason": "issued to the wrong donor"}),
        "responses": {"200": ok("The voided receipt.", Receipt), **JSON_BODY_ERRORS,
                      "404": NO_RECEIPT, **STAFF_ERRORS},
    },
    ("/api/staff/receipts/{number}/reissue", "post"): {
        "operationId": "reissueReceipt", "tags": ["staff"], "security": STAFF_AUTH,
        "summary": "Void a receipt and issue its replacement from today's data "
                   "(numbered with the next suffix, e.g. R2026-000123-2)",
        "parameters": [NUMBER],
        "requestBody": _body(ReasonRequest, {"reason": "address corrected"}),
        "responses": {"201": ok("The replacement.", Receipt), **JSON_BODY_ERRORS,
                      "404": NO_RECEIPT, "409": CONFLICT, **STAFF_ERRORS},
    },
    ("/api/staff/payments/{payment_id}/receipt", "post"): {
        "operationId": "issueReceiptForPayment", "tags": ["staff"], "security": STAFF_AUTH,
        "summary": "Issue a gift's receipt now (or get the one in force)",
        "parameters": [_path("payment_id", "uuid")],
        "responses": {"201": ok("The receipt.", Receipt), "404": NOT_FOUND,
                      "409": CONFLICT, **STAFF_ERRORS},
    },
    ("/api/staff/payments/{payment_id}/void", "post"): {
        "operationId": "voidStaffPayment", "tags": ["staff"], "security": STAFF_AUTH,
        "summary": "Void a payment staff recorded by mistake: it leaves reports and impact, "
                   "its receipt is voided, payment_voided is emitted",
        "parameters": [_path("payment_id", "uuid")],
        "requestBody": _body(ReasonRequest, {"reason": "recorded twice"}),
        "responses": {"200": ok("The voided payment.", VoidedPayment), **JSON_BODY_ERRORS,
                      "404": NOT_FOUND, "409": CONFLICT, **STAFF_ERRORS},
    },
    ("/api/staff/supporters/{supporter_id}/receipts/{year}", "post"): {
        "operationId": "issueAnnualReceipt", "tags": ["staff"], "security": STAFF_AUTH,
        "summary": "Issue a supporter's annual receipt of a finished tax year (or get it)",
        "parameters": [_path("supporter_id", "uuid"), _path("year", type_="integer")],
        "responses": {"201": ok("The receipt.", Receipt), "400": "InvalidInput",
                      "404": NOT_FOUND, "409": CONFLICT, **STAFF_ERRORS},
    },
    ("/api/staff/supporters/{supporter_id}/address", "put"): {
        "operationId": "setSupporterAddress", "tags": ["staff"], "security": STAFF_AUTH,
        "summary": "Set the postal address (and person or company) receipts print",
        "parameters": [_path("supporter_id", "uuid")],
        "requestBody": _body(AddressRequest, {"donor_kind": "person", "postal_address": {
            "postal_code": "150-0001", "prefecture": "東京都", "city": "渋谷区",
            "line1": "神宮前1-1-1", "line2": None}}),
        "responses": {"200": ok("The address.", SupporterAddress), **JSON_BODY_ERRORS,
                      "404": NOT_FOUND, **STAFF_ERRORS},
    },
    ("/api/staff/supporters", "get"): {
        "operationId": "searchSupporters", "tags": ["staff"], "security": STAFF_AUTH,
        "summary": "Find supporters by name, e-mail, receipt number or bank reference",
        "parameters": [{"in": "query", "name": "q", "required": True,
                        "schema": {"type": "string", "minLength": 2, "maxLength": 200}}],
        "responses": {"200": ok("Matching supporters with their matching payments.",
                                SearchResults), "400": "InvalidQuery", **STAFF_ERRORS},
    },
    ("/api/staff/year-end-receipts", "post"): {
        "operationId": "startYearEndRun", "tags": ["staff"], "security": STAFF_AUTH,
        "summary": "Send the year-end receipt e-mails of a finished tax year; run again to "
                   "finish an interrupted run (each supporter is e-mailed once)",
        "requestBody": _body(YearRequest, {"year": 2026}),
        "responses": {"202": ok("Started; the progress so far.", YearEndProgress),
                      **JSON_BODY_ERRORS, "409": CONFLICT, **STAFF_ERRORS},
    },
    ("/api/staff/year-end-receipts/{year}", "get"): {
        "operationId": "yearEndProgress", "tags": ["staff"], "security": STAFF_AUTH,
        "summary": "How far the year-end e-mails of a tax year are",
        "parameters": [_path("year", type_="integer")],
        "responses": {"200": ok("The progress.", YearEndProgress), "400": "InvalidInput",
                      "404": NOT_FOUND, **STAFF_ERRORS},
    },
}
