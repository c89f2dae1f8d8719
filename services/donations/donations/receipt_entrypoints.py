"""The donations service's entrypoints for tax receipts, staff corrections and search.

A mixin of DonationsService (it uses the service's `db`, `outbox`, `log`, `caller` and
`_require_staff`). Receipts are issued after the payment is numbered, by this service
consuming its own `payment_succeeded` (written by the numbering step, numbering.py): the PDF
(CPU work, rendered in an OS thread off the eventlet hub) never holds a payment up.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from typing import Any

import psycopg
from marshmallow import RAISE, Schema, fields, post_load, validate
from nameko.extensions import DependencyProvider
from servicekit import errors, paging
from servicekit.events import Envelope, consume_event
from servicekit.rpc import rpc

from donations import corrections, ledger, numbering, receipt_pdf, receipts, search, yearend
from donations.links import LinkInvalid, ReceiptLinks
from donations.schemas import DonorFields, PostalAddress

ISSUED_BY_CONSUMER = "system:payment"


def uuid_or_404(value: Any, what: str) -> str:
    """`value` as a canonical UUID string; NotFound (not a 400) for anything else, since it
    names something in a path that does not exist."""
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise errors.NotFound(f"no such {what}") from None


class ReceiptSettings(DependencyProvider):
    """The organisation printed on receipts and the signed links to them."""

    def setup(self) -> None:
        config = self.container.config
        self.org = receipts.Organisation(
            name=str(config.get("RECEIPT_ORG_NAME") or ""),
            address=str(config.get("RECEIPT_ORG_ADDRESS") or ""),
            representative=str(config.get("RECEIPT_ORG_REPRESENTATIVE") or ""),
            certification_number=str(config.get("RECEIPT_CERTIFICATION_NUMBER") or ""),
            certification_date=str(config.get("RECEIPT_CERTIFICATION_DATE") or ""),
            resident_tax_ja=str(config.get("RECEIPT_RESIDENT_TAX_DESIGNATED_BY") or ""),
            resident_tax_en=str(config.get("RECEIPT_RESIDENT_TAX_DESIGNATED_BY_EN") or ""),
        )
        secret = config.get("RECEIPT_LINK_SECRET") or config.get("PLEDGE_LINK_SECRET")
        self.links = ReceiptLinks(
            str(secret), str(config.get("RECEIPT_URL", "http://127.0.0.1:8000/api/receipts")),
            int(config.get("RECEIPT_LINK_MAX_AGE_DAYS", 2000))) if secret else None

    def get_dependency(self, worker_ctx) -> ReceiptSettings:
        return self

    def spawn(self, run: Callable[[], None]) -> None:
        """Run `run` beside the workers, killed with the container (a year-end run outlives
        the RPC that started it)."""
        self.container.spawn_managed_thread(run)


class ReasonRequest(Schema):
    class Meta:
        unknown = RAISE

    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class AddressRequest(DonorFields):
    class Meta:
        unknown = RAISE

    postal_address = fields.Nested(PostalAddress, required=True)


class YearRequest(Schema):
    class Meta:
        unknown = RAISE

    year = fields.Integer(required=True, strict=True,
                          validate=validate.Range(min=2000, max=2100))


class ReceiptQuery(paging.Page):
    year = fields.Integer(strict=True, validate=validate.Range(min=2000, max=2100))
    kind = fields.String(validate=validate.OneOf(("gift", "annual")))
    status = fields.String(validate=validate.OneOf(("issued", "voided")))
    supporter_id = fields.UUID()
    # no control characters: PostgreSQL refuses NUL in text
    number = fields.String(validate=[validate.Length(min=1, max=40), validate.Regexp(
        r"^[^\x00-\x1f\x7f]+\Z", error="Must not hold control characters.")])

    @post_load
    def _as_text(self, data: dict, **_: Any) -> dict:
        if "supporter_id" in data:
            data["supporter_id"] = str(data["supporter_id"])
        return data


class SearchQuery(Schema):
    class Meta:
        unknown = RAISE

    q = fields.String(required=True, validate=validate.Length(min=2, max=200))


def _pdf(receipt: dict, pdf: bytes, language: str) -> dict[str, Any]:
    # RPC payloads are JSON: the bytes travel as base64 and the gateway decodes them.
    suffix = "" if language == "ja" else f"-{language}"
    return {"number": receipt["number"], "voided": receipt["voided_at"] is not None,
            "filename": f"{receipt['number']}{suffix}.pdf", "language": language,
            "pdf_base64": base64.b64encode(pdf).decode("ascii")}


def _language(value: Any) -> str:
    if value in (None, ""):
        return "ja"
    if value not in receipt_pdf.LANGUAGES:
        raise errors.InvalidInput("unknown language", {"lang": ["ja or en"]})
    return value


class ReceiptEntrypoints:
    receipt_settings = ReceiptSettings()

    # -- issuing, by consuming our own events ------------------------------------------------

    @consume_event("donations", "payment_succeeded")
    def issue_gift_receipt(self, event: Envelope, conn: psycopg.Connection) -> None:
        """A one-time gift's or bank transfer's receipt, issued once the payment exists.

        A receipt that cannot be issued yet (no postal address, receipts not configured) is
        not an error: the donor's link or staff issue it later, and the gift stays listed as
        waiting.
        """
        if event.data["source"] not in receipts.GIFT_SOURCES:
            return
        try:
            receipt = receipts.issue_gift(conn, event.data["payment_id"],
                                          self.receipt_settings.org,
                                          receipt_pdf.render_off_hub, ISSUED_BY_CONSUMER)
        except receipts.NotIssuable as exc:
            self.log.info("receipt not issued yet", payment_id=event.data["payment_id"],
                          reason=exc.reason)
            return
        self.log.info("receipt issued", receipt_number=receipt["number"])

    @consume_event("donations", "payment_refunded")
    def correct_receipt_after_refund(self, event: Envelope, conn: psycopg.Connection) -> None:
        replaced = receipts.correct_after_refund(
            conn, event.data["payment_id"], self.receipt_settings.org,
            receipt_pdf.render_off_hub)
        for receipt in replaced:
            self.log.info("receipt reissued after refund", receipt_number=receipt["number"])

    # -- the donor's link ----------------------------------------------------------------------

    @rpc
    def receipt_by_link(self, token: str, language: str | None = None) -> dict:
        """The PDF a signed link in a thank-you or year-end e-mail opens: the receipt in force
        for that gift or tax year (issued now if it was waiting)."""
        language = _language(language)
        links = self.receipt_settings.links
        if links is None:
            raise errors.Unavailable("receipt links are not configured")
        try:
            kind, subject, year = links.target_of(str(token))
        except LinkInvalid as exc:
            raise errors.Forbidden(str(exc)) from None
        org = self.receipt_settings.org
        self._number_receipts()
        with self.db.transaction() as conn:
            try:
                if kind == "gift":
                    receipt = receipts.issue_gift(conn, subject, org,
                                                  receipt_pdf.render_off_hub, "supporter:link")
                else:
                    receipt = receipts.live_annual_receipt(conn, subject, year)
                    if receipt is None:
                        raise receipts.NotIssuable("withdrawn", "this receipt was withdrawn")
            except receipts.NotIssuable as exc:
                raise self._not_issuable(exc) from None
            pdf = receipts.document(conn, receipt, language, receipt_pdf.render_off_hub)
        return _pdf(receipt, pdf, language)

    # -- staff ---------------------------------------------------------------------------------

    @rpc
    def receipt_document(self, number: str, language: str | None = None) -> dict:
        """Any receipt's stored PDF, void ones included (they show what was given out)."""
        self._require_staff()
        language = _language(language)
        with self._receipt(number) as (conn, receipt):
            pdf = receipts.document(conn, receipt, language, receipt_pdf.render_off_hub)
        return _pdf(receipt, pdf, language)

    @rpc
    def list_receipts(self, query: dict) -> dict:
        """Receipts newest first, a page at a time, with the languages each can be downloaded
        in (`receipt_document`)."""
        self._require_staff()
        query = self._load(ReceiptQuery(), query, "the receipt query is not valid")
        with self.db.transaction() as conn:
            return receipts.listing(conn, query)

    @rpc
    def receipt_view(self, number: str) -> dict:
        self._require_staff()
        with self._receipt(number) as (_, receipt):
            return receipts.view(receipt)

    @rpc
    def issue_receipt_for_payment(self, payment_id: str) -> dict:
        actor = self._require_staff()
        payment_id = uuid_or_404(payment_id, "payment")
        self._number_receipts()
        with self.db.transaction() as conn:
            try:
                receipt = receipts.issue_gift(conn, payment_id, self.receipt_settings.org,
                                              receipt_pdf.render_off_hub, actor)
            except receipts.NotIssuable as exc:
                raise self._not_issuable(exc) from None
            return receipts.view(receipt)

    @rpc
    def issue_annual_receipt(self, supporter_id: str, year: int) -> dict:
        actor = self._require_staff()
        supporter_id = uuid_or_404(supporter_id, "supporter")
        year = self._load(YearRequest(), {"year": year}, "the year is not valid")["year"]
        self._number_receipts()
        with self.db.transaction() as conn:
            try:
                receipt = receipts.issue_annual(conn, supporter_id, year,
                                                self.receipt_settings.org,
                                                receipt_pdf.render_off_hub, actor)
            except receipts.NotIssuable as exc:
                raise self._not_issuable(exc) from None
            return receipts.view(receipt)

    @rpc
    def void_receipt(self, number: str, request: dict) -> dict:
        """Void a receipt without a replacement (a gift that should never have had one)."""
        actor = self._require_staff()
        reason = self._load(ReasonRequest(), request, "say why")["reason"]
        with self._receipt(number, lock=True) as (conn, receipt):
            voided = receipts.void(conn, receipt, reason, actor)
        self.log.info("receipt voided", receipt_number=voided["number"])
        return receipts.view(voided)

    @rpc
    def reissue_receipt(self, number: str, request: dict) -> dict:
        """Void a receipt in force and issue its replacement from today's data."""
        actor = self._require_staff()
        reason = self._load(ReasonRequest(), request, "say why")["reason"]
        with self._receipt(number, lock=True) as (conn, receipt):
            if receipt["voided_at"] is not None:
                raise errors.Conflict(f"receipt {receipt['number']} is already void")
            try:
                issued = receipts.reissue(conn, receipt, reason, actor,
                                          self.receipt_settings.org, receipt_pdf.render_off_hub)
            except receipts.NotIssuable as exc:
                # Rolled back: the old receipt stays in force rather than leave none.
                raise self._not_issuable(exc) from None
        self.log.info("receipt reissued", receipt_number=issued["number"],
                      replaces=receipt["number"])
        return receipts.view(issued)

    @rpc
    def set_supporter_address(self, supporter_id: str, request: dict) -> dict:
        """The postal address a receipt prints; receipts already issued keep the old one
        until staff reissue them."""
        self._require_staff()
        supporter_id = uuid_or_404(supporter_id, "supporter")
        data = self._load(AddressRequest(), request, "the address is not valid")
        columns = ledger.DonorDetails.of(data).columns()
        assignments = ", ".join(f"{column} = %s" for column in columns)
        with self.db.transaction() as conn:
            updated = conn.execute(
                f"UPDATE supporters SET {assignments} WHERE id = %s AND anonymized_at IS NULL"
                " RETURNING id", (*columns.values(), supporter_id)).fetchone()
        if updated is None:
            raise errors.NotFound("no such supporter")
        return {"supporter_id": supporter_id, "postal_address": data["postal_address"],
                "donor_kind": data["donor_kind"]}

    @rpc
    def void_staff_payment(self, payment_id: str, request: dict) -> dict:
        actor = self._require_staff()
        reason = self._load(ReasonRequest(), request, "say why")["reason"]
        payment_id = uuid_or_404(payment_id, "payment")
        self._number_receipts()  # the void's event names the receipt number
        with self.db.transaction() as conn:
            try:
                voided = corrections.void_payment(conn, self.outbox, payment_id, reason, actor)
            except corrections.Refused as exc:
                raise errors.Conflict(str(exc)) from None
            except numbering.NotNumbered:
                raise self._not_numbered() from None
            if voided is None:
                raise errors.NotFound("no such payment")
            view = ledger.payment_view(conn, payment_id)
        self.log.info("staff payment voided", payment_id=payment_id)
        return {**view, "voided": True, "void_reason": voided["void_reason"],
                "voided_by": voided["voided_by"], "voided_at": voided["voided_at"].isoformat()}

    @rpc
    def search_supporters(self, query: dict) -> dict:
        self._require_staff()
        q = self._load(SearchQuery(), query, "the search is not valid")["q"]
        self._number_receipts()
        with self.db.transaction() as conn:
            return {"results": search.find(conn, q)}

    @rpc
    def start_year_end_run(self, request: dict) -> dict:
        """Start (or continue) the year-end e-mails for a tax year in the background; returns
        the progress at once. Running it again only sends what is still due."""
        self._require_staff()
        year = self._load(YearRequest(), request, "the year is not valid")["year"]
        if receipts.today_in_tokyo().year <= year:
            raise errors.Conflict(f"the year-end run for {year} starts once {year} is over")
        missing = self.receipt_settings.org.missing()
        if missing or self.receipt_settings.links is None:
            raise errors.Unavailable("receipts are not configured: "
                                     + ", ".join(missing or ["RECEIPT_LINK_SECRET"]))
        db, outbox, log = self.db, self.outbox, self.log
        settings = self.receipt_settings

        def run() -> None:
            try:
                counts = yearend.run(db.transaction, outbox, year, settings.org,
                                     receipt_pdf.render_off_hub, settings.links)
                log.info("year-end run finished", tax_year=year, **counts)
            except Exception as exc:  # the run is restarted by hand; say why it stopped
                log.error("year-end run stopped", tax_year=year, error=type(exc).__name__)

        settings.spawn(run)
        with self.db.transaction() as conn:
            return {**yearend.progress(conn, year), "started": True}

    @rpc
    def year_end_progress(self, year: int) -> dict:
        self._require_staff()
        year = self._load(YearRequest(), {"year": year}, "the year is not valid")["year"]
        with self.db.transaction() as conn:
            return yearend.progress(conn, year)

    # -- helpers -------------------------------------------------------------------------------

    @contextmanager
    def _receipt(self, number: str, *, lock: bool = False):
        """A transaction and the receipt numbered `number` in it (locked when asked)."""
        with self.db.transaction() as conn:
            receipt = receipts.by_number(conn, str(number), lock=lock)
            if receipt is None:
                raise errors.NotFound("no such receipt")
            yield conn, receipt

    @staticmethod
    def _not_issuable(exc: receipts.NotIssuable) -> Exception:
        if exc.reason in ("no_such_payment", "no_such_supporter", "withdrawn"):
            return errors.NotFound(str(exc))
        if exc.reason in ("not_configured", "not_numbered"):
            return errors.Unavailable(str(exc))
        return errors.Conflict(str(exc), {"reason": exc.reason})


