"""Tax receipts (寄附金受領証明書) and the staff corrections beside them: the donor's signed
link to a receipt's PDF, and the staff side (list, view, download, void, reissue, issue, the
year-end run), voiding a recorded payment, the address receipts print, and supporter search.

The two PDF routes are hand-written in the gateway (they answer a file, and the donor's link a
page in a browser); they are declared here for their roles, query and RPC all the same.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, post_load, validate

from api.doc import about_blank, not_found, problem_response
from api.donations import STAFF, DonorFields, Payment, PostalAddress
from api.fields import PageQuery, Query, Strict, next_cursor
from api.operation import Operation

RECEIPT_KINDS = ("gift", "annual")
RECEIPT_STATUSES = ("issued", "voided")
RECEIPT_LANGUAGES = ("ja", "en")
FIRST_TAX_YEAR, LAST_TAX_YEAR = 2000, 2100
NO_CONTROL_CHARACTERS = validate.Regexp(r"^[^\x00-\x1f\x7f]+$",
                                        error="Must not hold control characters.")


def pdf_language(lang: str | None) -> str:
    """The receipt's language a `lang` asks for. The Japanese receipt is the original a tax
    office takes; English is a translation, chosen by any `en…`."""
    return "en" if (lang or "").lower().startswith("en") else "ja"


# -- requests ----------------------------------------------------------------------------------

class ReasonRequest(Strict):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500),
                           metadata={"example": "address corrected"})


class SupporterAddressRequest(DonorFields):
    postal_address = fields.Nested(PostalAddress, required=True)


class YearRequest(Strict):
    year = fields.Integer(required=True, strict=True,
                          validate=validate.Range(min=FIRST_TAX_YEAR, max=LAST_TAX_YEAR),
                          metadata={"example": 2026})


class PdfQuery(Query):
    # Any value: `en…` asks for the English translation, anything else gets the original.
    lang = fields.String(validate=validate.Length(max=35), metadata={
        "description": "en for the English translation; otherwise the Japanese original."})


class ReceiptQuery(PageQuery):
    """A page of receipts (keyset: `after` is the previous page's `next`), filtered."""

    year = fields.Integer(validate=validate.Range(min=FIRST_TAX_YEAR, max=LAST_TAX_YEAR),
                          metadata={"description": "The tax year (Tokyo)."})
    kind = fields.String(validate=validate.OneOf(RECEIPT_KINDS))
    status = fields.String(validate=validate.OneOf(RECEIPT_STATUSES), metadata={
        "description": "issued: in force; voided: voided (a replacement names it)."})
    supporter_id = fields.UUID()
    # no control characters: PostgreSQL refuses NUL in text
    number = fields.String(validate=[validate.Length(min=1, max=40), NO_CONTROL_CHARACTERS],
                           metadata={"description": "Part of a receipt number, e.g. 000123 or "
                                                    "R2026-000123-2."})
    @post_load
    def _loaded(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        if data.get("supporter_id") is not None:
            data["supporter_id"] = str(data["supporter_id"])
        return data


class SearchQuery(Query):
    q = fields.String(required=True, validate=validate.Length(min=2, max=200), metadata={
        "description": "A name, e-mail, receipt number or bank reference (part of one, except "
                       "numbers)."})


# -- responses ---------------------------------------------------------------------------------

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
    next = next_cursor()


class ReceiptDocument(Schema):
    """A receipt's PDF over RPC (JSON): the gateway answers the decoded bytes."""

    number = fields.String(required=True)
    voided = fields.Boolean(required=True)
    filename = fields.String(required=True)
    language = fields.String(required=True, validate=validate.OneOf(RECEIPT_LANGUAGES))
    pdf_base64 = fields.String(required=True)


class VoidedPayment(Payment):
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


# -- the operations ----------------------------------------------------------------------------

NO_RECEIPT = not_found("receipt")
NO_PAYMENT = not_found("payment")
NUMBER = {"number": {"schema": {"type": "string"}}}
YEAR = {"year": {"schema": {"type": "integer"}}}
# werkzeug's `<int:year>` matches whole numbers only: any other year is no route at all.
NOT_A_YEAR = problem_response("The year is not a whole number: there is no such route.",
                              about_blank(404, "Not Found", "The requested URL was not found "
                                                            "on the server."))

# The link in thank-you and year-end e-mails (the service builds it with `.url(token=...)`).
RECEIPT_BY_LINK = Operation(
    id="receiptByLink", method="GET", path="/api/receipts/<token>",
    rpc="donations.receipt_by_link", tag="donations",
    summary="A donor's tax receipt (PDF) by the signed link in their e-mail",
    path_values={"token": {"schema": {"type": "string"}}}, query=PdfQuery,
    response=ReceiptDocument, returns="The receipt as issued (PDF).", handwritten=True)

RECEIPT_DOCUMENT = Operation(
    id="receiptDocument", method="GET", path="/api/staff/receipts/<number>/pdf",
    rpc="donations.receipt_document", tag="staff",
    summary="Download a receipt's PDF, exactly as issued (void ones too)", roles=STAFF,
    path_values=NUMBER, query=PdfQuery, response=ReceiptDocument,
    returns="The receipt as issued (PDF).", errors={"404": NO_RECEIPT}, handwritten=True)

LIST_RECEIPTS = Operation(
    id="listReceipts", method="GET", path="/api/staff/receipts", rpc="donations.list_receipts",
    tag="staff", summary="Tax receipts, newest issued first, with the languages each downloads "
                         "in", roles=STAFF, query=ReceiptQuery, response=ReceiptPage,
    returns="One page of receipts.")

RECEIPT_VIEW = Operation(
    id="receiptView", method="GET", path="/api/staff/receipts/<number>",
    rpc="donations.receipt_view", tag="staff",
    summary="A tax receipt: kind, amount, who issued it, whether and why it was voided",
    roles=STAFF, path_values=NUMBER, response=Receipt, returns="The receipt.",
    errors={"404": NO_RECEIPT})

VOID_RECEIPT = Operation(
    id="voidReceipt", method="POST", path="/api/staff/receipts/<number>/void",
    rpc="donations.void_receipt", tag="staff",
    summary="Void a receipt without a replacement, with a reason", roles=STAFF,
    path_values=NUMBER, body=ReasonRequest, example={"reason": "issued to the wrong donor"},
    response=Receipt, returns="The voided receipt.", errors={"404": NO_RECEIPT})

REISSUE_RECEIPT = Operation(
    id="reissueReceipt", method="POST", path="/api/staff/receipts/<number>/reissue",
    rpc="donations.reissue_receipt", tag="staff",
    summary="Void a receipt and issue its replacement from today's data (numbered with the "
            "next suffix, e.g. R2026-000123-2)", roles=STAFF,
    path_values=NUMBER, body=ReasonRequest, example={"reason": "address corrected"},
    response=Receipt, status=201, returns="The replacement.",
    errors={"404": NO_RECEIPT, "409": "Conflict"})

ISSUE_RECEIPT_FOR_PAYMENT = Operation(
    id="issueReceiptForPayment", method="POST", path="/api/staff/payments/<payment_id>/receipt",
    rpc="donations.issue_receipt_for_payment", tag="staff",
    summary="Issue a gift's receipt now (or get the one in force)", roles=STAFF,
    response=Receipt, status=201, returns="The receipt.",
    errors={"404": NO_PAYMENT, "409": "Conflict"})

VOID_STAFF_PAYMENT = Operation(
    id="voidStaffPayment", method="POST", path="/api/staff/payments/<payment_id>/void",
    rpc="donations.void_staff_payment", tag="staff",
    summary="Void a payment staff recorded by mistake: it leaves reports and impact, its "
            "receipt is voided, payment_voided is emitted", roles=STAFF,
    body=ReasonRequest, example={"reason": "recorded twice"},
    response=VoidedPayment, returns="The voided payment.",
    errors={"404": NO_PAYMENT, "409": "Conflict"})

ISSUE_ANNUAL_RECEIPT = Operation(
    id="issueAnnualReceipt", method="POST",
    path="/api/staff/supporters/<supporter_id>/receipts/<int:year>",
    rpc="donations.issue_annual_receipt", tag="staff",
    summary="Issue a supporter's annual receipt of a finished tax year (or get it)",
    roles=STAFF, path_values=YEAR, response=Receipt, status=201, returns="The receipt.",
    errors={"400": "InvalidInput", "404": not_found("supporter"), "409": "Conflict"})

SET_SUPPORTER_ADDRESS = Operation(
    id="setSupporterAddress", method="PUT", path="/api/staff/supporters/<supporter_id>/address",
    rpc="donations.set_supporter_address", tag="staff",
    summary="Set the postal address (and person or company) receipts print", roles=STAFF,
    body=SupporterAddressRequest, example={"donor_kind": "person", "postal_address": {
        "postal_code": "150-0001", "prefecture": "東京都", "city": "渋谷区",
        "line1": "神宮前1-1-1", "line2": None}},
    response=SupporterAddress, returns="The address.", errors={"404": not_found("supporter")})

SEARCH_SUPPORTERS = Operation(
    id="searchSupporters", method="GET", path="/api/staff/supporters",
    rpc="donations.search_supporters", tag="staff",
    summary="Find supporters by name, e-mail, receipt number or bank reference", roles=STAFF,
    query=SearchQuery, response=SearchResults,
    returns="Matching supporters with their matching payments.")

START_YEAR_END_RUN = Operation(
    id="startYearEndRun", method="POST", path="/api/staff/year-end-receipts",
    rpc="donations.start_year_end_run", tag="staff",
    summary="Send the year-end receipt e-mails of a finished tax year; run again to finish an "
            "interrupted run (each supporter is e-mailed once)", roles=STAFF,
    body=YearRequest, example={"year": 2026}, response=YearEndProgress, status=202,
    returns="Started; the progress so far.",
    errors={"409": "Conflict"})

YEAR_END_PROGRESS = Operation(
    id="yearEndProgress", method="GET", path="/api/staff/year-end-receipts/<int:year>",
    rpc="donations.year_end_progress", tag="staff",
    summary="How far the year-end e-mails of a tax year are", roles=STAFF, path_values=YEAR,
    response=YearEndProgress, returns="The progress.",
    errors={"400": "InvalidInput", "404": NOT_A_YEAR})
