"""The donations service's entrypoints for tax receipts, staff corrections and search.

A mixin of DonationsService (it uses the service's `db`, `outbox`, `log`, `caller` and
`_actor`; `api.receipts` declares what each entrypoint loads and who may call it).
Receipts are issued after the payment is numbered, by this service
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
from api import receipts as api
from api.serving import serves
from nameko.extensions import DependencyProvider
from servicekit import errors
from servicekit.events import Envelope, consume_event

from donations import corrections, ledger, numbering, receipt_pdf, receipts, search, yearend
from donations.links import LinkInvalid, ReceiptLinks, site_url

ISSUED_BY_CONSUMER = "system:payment"


def uuid_or_404(value: Any, what: str) -> str:
    """`value` as a canonical UUID string; NotFound (not a 400) for anything else, since it
    names something in a path that does not exist."""
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise errors.NotFound(f"no such {what}") from None


def tax_year(year: Any) -> int:
    """A tax year named in a path, refused (400, naming `year`) outside the calendar."""
    return errors.load_request(api.YearRequest(), {"year": year}, "the year is not valid")[
        "year"]


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
            str(secret), site_url(config),
            int(config.get("RECEIPT_LINK_MAX_AGE_DAYS", 2000))) if secret else None

    def get_dependency(self, worker_ctx) -> ReceiptSettings:
        return self

    def spawn(self, run: Callable[[], None]) -> None:
        """Run `run` beside the workers, killed with the container (a year-end run outlives
        the RPC that started it)."""
        self.container.spawn_managed_thread(run)


def _pdf(receipt: dict, pdf: bytes, language: str) -> dict[str, Any]:
    # RPC payloads are JSON: the bytes travel as base64 and the gateway decodes them.
    suffix = "" if language == "ja" else f"-{language}"
    return {"number": receipt["number"], "voided": receipt["voided_at"] is not None,
            "filename": f"{receipt['number']}{suffix}.pdf", "language": language,
            "pdf_base64": base64.b64encode(pdf).decode("ascii")}


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

    @serves(api.RECEIPT_BY_LINK)
    def receipt_by_link(self, token: str, query: dict) -> dict:
        """The PDF a signed link in a thank-you or year-end e-mail opens: the receipt in force
        for that gift or tax year (issued now if it was waiting)."""
        language = api.pdf_language(query.get("lang"))
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

    @serves(api.RECEIPT_DOCUMENT)
    def receipt_document(self, number: str, query: dict) -> dict:
        """Any receipt's stored PDF, void ones included (they show what was given out)."""
        language = api.pdf_language(query.get("lang"))
        with self._receipt(number) as (conn, receipt):
            pdf = receipts.document(conn, receipt, language, receipt_pdf.render_off_hub)
        return _pdf(receipt, pdf, language)

    @serves(api.LIST_RECEIPTS)
    def list_receipts(self, query: dict) -> dict:
        """Receipts newest first, a page at a time, with the languages each can be downloaded
        in (`receipt_document`)."""
        with self.db.transaction() as conn:
            return receipts.listing(conn, query)

    @serves(api.RECEIPT_VIEW)
    def receipt_view(self, number: str) -> dict:
        with self._receipt(number) as (_, receipt):
            return receipts.view(receipt)

    @serves(api.ISSUE_RECEIPT_FOR_PAYMENT)
    def issue_receipt_for_payment(self, payment_id: str) -> dict:
        actor = self._actor()
        payment_id = uuid_or_404(payment_id, "payment")
        self._number_receipts()
        with self.db.transaction() as conn:
            try:
                receipt = receipts.issue_gift(conn, payment_id, self.receipt_settings.org,
                                              receipt_pdf.render_off_hub, actor)
            except receipts.NotIssuable as exc:
                raise self._not_issuable(exc) from None
            return receipts.view(receipt)

    @serves(api.ISSUE_ANNUAL_RECEIPT)
    def issue_annual_receipt(self, supporter_id: str, year: int) -> dict:
        actor = self._actor()
        supporter_id = uuid_or_404(supporter_id, "supporter")
        year = tax_year(year)
        self._number_receipts()
        with self.db.transaction() as conn:
            try:
                receipt = receipts.issue_annual(conn, supporter_id, year,
                                                self.receipt_settings.org,
                                                receipt_pdf.render_off_hub, actor)
            except receipts.NotIssuable as exc:
                raise self._not_issuable(exc) from None
            return receipts.view(receipt)

    @serves(api.VOID_RECEIPT)
    def void_receipt(self, number: str, body: dict) -> dict:
        """Void a receipt without a replacement (a gift that should never have had one)."""
        actor, reason = self._actor(), body["reason"]
        with self._receipt(number, lock=True) as (conn, receipt):
            voided = receipts.void(conn, receipt, reason, actor)
        self.log.info("receipt voided", receipt_number=voided["number"])
        return receipts.view(voided)

    @serves(api.REISSUE_RECEIPT)
    def reissue_receipt(self, number: str, body: dict) -> dict:
        """Void a receipt in force and issue its replacement from today's data."""
        actor, reason = self._actor(), body["reason"]
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

    @serves(api.SET_SUPPORTER_ADDRESS)
    def set_supporter_address(self, supporter_id: str, body: dict) -> dict:
        """The postal address a receipt prints; receipts already issued keep the old one
        until staff reissue them."""
        supporter_id = uuid_or_404(supporter_id, "supporter")
        data = body
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

    @serves(api.VOID_STAFF_PAYMENT)
    def void_staff_payment(self, payment_id: str, body: dict) -> dict:
        actor, reason = self._actor(), body["reason"]
        payment_id = uuid_or_404(payment_id, "payment")
        self._number_receipts()  # the void's event names the receipt number
        with self.db.transaction() as conn:
            try:
                voided = corrections.void_payment(conn, self.outbox, payment_id, reason, actor)
            except numbering.NotNumbered:
                raise self._not_numbered() from None
            if voided is None:
                raise errors.NotFound("no such payment")
            view = ledger.payment_view(conn, payment_id)
        self.log.info("staff payment voided", payment_id=payment_id)
        return {**view, "voided": True, "void_reason": voided["void_reason"],
                "voided_by": voided["voided_by"], "voided_at": voided["voided_at"].isoformat()}

    @serves(api.SEARCH_SUPPORTERS)
    def search_supporters(self, query: dict) -> dict:
        q = query["q"]
        self._number_receipts()
        with self.db.transaction() as conn:
            return {"results": search.find(conn, q)}

    @serves(api.START_YEAR_END_RUN)
    def start_year_end_run(self, body: dict) -> dict:
        """Start (or continue) the year-end e-mails for a tax year in the background; returns
        the progress at once. Running it again only sends what is still due."""
        year = body["year"]
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

    @serves(api.YEAR_END_PROGRESS)
    def year_end_progress(self, year: int) -> dict:
        year = tax_year(year)
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


