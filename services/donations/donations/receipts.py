"""Tax receipts (寄附金受領証明書): which gift goes on which receipt, issuing, voiding, reissuing.

Two kinds, and a gift is on exactly one of them, decided by how it was given:
- a **gift receipt** for each one-time card gift, bank transfer and grant, numbered with the
  payment's own receipt number (R2026-000123);
- an **annual receipt** per supporter and tax year (Tokyo's calendar) listing every monthly
  gift, numbered A2026-000001 without gaps, issued once the year is over.
Membership fees are not gifts (they buy membership) and get no tax receipt.

Issued means frozen: `content` holds every printed field as it was at issue and the Japanese
PDF's bytes are stored in the same transaction. A correction voids the receipt (who, when, why)
and issues a replacement numbered `<base>-<revision>` (R2026-000123-2) that names the one it
replaces. Nothing here edits an issued row except to void it.

A receipt needs the donor's postal address: the law (租税特別措置法施行規則) asks for the donor's
name and address, and a receipt without one could be refused by the tax office and would have
to be voided and replaced once the address is known. So none is issued without an address;
staff see such gifts as waiting (`waiting_for_address`) and the donor's link says so.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb
from servicekit import paging
from servicekit.tokyo import today_in_tokyo, tokyo_date, tokyo_day_bounds

from donations import ledger, search

GIFT_SOURCES = ("card_one_time", "bank_transfer", "grant")
ANNUAL_SOURCES = ("monthly",)

Renderer = Callable[[dict[str, Any], str], bytes]
# A receipt prints the payment's number, given moments after the payment (numbering.py):
# callers number first, so this is only met when that step has just failed.
NOT_NUMBERED = "a gift's receipt number is still being given; try again shortly"


class NotIssuable(Exception):
    """No receipt can be issued now; `reason` says why in a word, the message in a sentence."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Organisation:
    """What the receipts print about JII, from the service's settings."""

    name: str
    address: str
    certification_number: str
    certification_date: str  # ISO date
    representative: str = ""
    resident_tax_ja: str = ""  # the prefectures/municipalities that designated JII, if any
    resident_tax_en: str = ""

    def missing(self) -> list[str]:
        return [name for name in ("name", "address", "certification_number",
                                  "certification_date") if not getattr(self, name)]

    def printed(self) -> dict[str, Any]:
        designated = ({"ja": self.resident_tax_ja, "en": self.resident_tax_en or
                       self.resident_tax_ja} if self.resident_tax_ja else None)
        return {"name": self.name, "address": self.address,
                "representative": self.representative,
                "certification_number": self.certification_number,
                "certification_date": self.certification_date,
                "resident_tax_designated_by": designated}


def _check_configured(org: Organisation) -> None:
    missing = org.missing()
    if missing:
        raise NotIssuable("not_configured", "receipts need the organisation's "
                          + ", ".join(missing) + " (RECEIPT_ORG_* settings)")


def donor_of(conn: psycopg.Connection, supporter_id: str) -> dict[str, Any]:
    row = conn.execute("SELECT * FROM supporters WHERE id = %s", (supporter_id,)).fetchone()
    if row["anonymized_at"] is not None:
        raise NotIssuable("anonymized", "the supporter's personal data was erased")
    address = ledger.postal_address(row)
    if address is None:
        raise NotIssuable("waiting_for_address",
                          "a tax receipt needs the donor's postal address; add it first")
    return {"name": row["name"], "address": printed_address(address), "kind": row["donor_kind"]}


def printed_address(address: dict[str, Any]) -> str:
    """An address as a Japanese envelope writes it: 〒150-0001 東京都渋谷区神宮前1-1-1 2F."""
    line = f"〒{address['postal_code']} {address['prefecture']}{address['city']}{address['line1']}"
    return f"{line} {address['line2']}" if address.get("line2") else line


# -- issuing ------------------------------------------------------------------------------------


def _next_revision(conn: psycopg.Connection, base_number: str) -> tuple[int, str | None]:
    """The revision the next receipt of `base_number` gets, and the number it replaces."""
    last = conn.execute(
        "SELECT number, revision FROM receipts WHERE base_number = %s"
        " ORDER BY revision DESC LIMIT 1", (base_number,)).fetchone()
    if last is None:
        return 1, None
    return last["revision"] + 1, last["number"]


def _store(conn: psycopg.Connection, *, kind: str, base_number: str, payment_id: str | None,
           supporter_id: str, tax_year: int, items: list[dict[str, Any]],
           org: Organisation, donor: dict[str, Any], issued_by: str,
           render: Renderer) -> dict[str, Any]:
    revision, replaces = _next_revision(conn, base_number)
    number = base_number if revision == 1 else f"{base_number}-{revision}"
    content = frozen_content(number=number, kind=kind, tax_year=tax_year, replaces=replaces,
                             org=org, donor=donor, items=items)
    # Rendered before anything is written: a failed render leaves no receipt behind, and the
    # caller's transaction (holding the payment or supporter lock) commits row and bytes
    # together.
    pdf = render(content, "ja")
    receipt_id = str(uuid.uuid4())
    conn.execute(
        "INSERT INTO receipts (id, number, base_number, revision, kind, payment_id,"
        " supporter_id, tax_year, amount, content, issued_by)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (receipt_id, number, base_number, revision, kind, payment_id, supporter_id, tax_year,
         content["total"], Jsonb(content), issued_by))
    _keep_document(conn, receipt_id, "ja", pdf)
    if kind == "annual":
        for item in items:
            conn.execute("INSERT INTO receipt_items (receipt_id, payment_id, amount)"
                         " VALUES (%s, %s, %s)", (receipt_id, item["payment_id"],
                                                  item["amount"]))
    if replaces:
        conn.execute("UPDATE receipts SET replaced_by = %s WHERE number = %s",
                     (receipt_id, replaces))
    return _row(conn, receipt_id)


def frozen_content(*, number: str, kind: str, tax_year: int, replaces: str | None,
                   org: Organisation, donor: dict[str, Any],
                   items: list[dict[str, Any]]) -> dict[str, Any]:
    """Every field a receipt prints, as issued today."""
    return {
        "number": number, "kind": kind, "tax_year": tax_year,
        "issued_on": today_in_tokyo().isoformat(), "replaces": replaces,
        "organisation": org.printed(), "donor": donor, "items": items,
        "total": sum(item["amount"] for item in items),
    }


def _keep_document(conn: psycopg.Connection, receipt_id: str, language: str, pdf: bytes) -> None:
    conn.execute(
        "INSERT INTO receipt_documents (receipt_id, language, pdf, sha256)"
        " VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
        (receipt_id, language, pdf, hashlib.sha256(pdf).hexdigest()))


def _row(conn: psycopg.Connection, receipt_id: str) -> dict[str, Any]:
    return conn.execute("SELECT * FROM receipts WHERE id = %s", (receipt_id,)).fetchone()


def live_gift_receipt(conn: psycopg.Connection, payment_id: str) -> dict | None:
    return conn.execute(
        "SELECT * FROM receipts WHERE payment_id = %s AND kind = 'gift' AND voided_at IS NULL",
        (payment_id,)).fetchone()


def issue_gift(conn: psycopg.Connection, payment_id: str, org: Organisation, render: Renderer,
               issued_by: str) -> dict[str, Any]:
    """The gift receipt in force for a payment, issued now if it has none (idempotent)."""
    payment = conn.execute("SELECT * FROM payments WHERE id = %s FOR UPDATE",
                           (payment_id,)).fetchone()
    if payment is None:
        raise NotIssuable("no_such_payment", "no such payment")
    existing = live_gift_receipt(conn, payment_id)
    if existing is not None:
        return existing
    if payment["source"] not in GIFT_SOURCES:
        raise NotIssuable("not_a_gift_receipt", _why_no_gift_receipt(payment["source"]))
    if payment["voided_at"] is not None:
        raise NotIssuable("payment_voided", "the payment was voided")
    net = payment["amount"] - payment["refunded_amount"]
    if net <= 0:
        raise NotIssuable("refunded", "the gift was refunded in full")
    if payment["receipt_number"] is None:
        raise NotIssuable("not_numbered", NOT_NUMBERED)
    _check_configured(org)
    donor = donor_of(conn, str(payment["supporter_id"]))
    item = {"payment_id": str(payment["id"]), "receipt_number": payment["receipt_number"],
            "paid_on": tokyo_date(payment["paid_at"]).isoformat(),
            "source": payment["source"], "amount": net}
    return _store(conn, kind="gift", base_number=payment["receipt_number"],
                  payment_id=str(payment["id"]), supporter_id=str(payment["supporter_id"]),
                  tax_year=tokyo_date(payment["paid_at"]).year, items=[item], org=org,
                  donor=donor, issued_by=issued_by, render=render)


def _why_no_gift_receipt(source: str) -> str:
    if source in ANNUAL_SOURCES:
        return "monthly gifts are listed on the supporter's annual receipt"
    return "membership fees are not donations and get no tax receipt"


def live_annual_receipt(conn: psycopg.Connection, supporter_id: str, year: int) -> dict | None:
    return conn.execute(
        "SELECT * FROM receipts WHERE supporter_id = %s AND tax_year = %s AND kind = 'annual'"
        " AND voided_at IS NULL", (supporter_id, year)).fetchone()


def annual_items(conn: psycopg.Connection, supporter_id: str, year: int) -> list[dict[str, Any]]:
    """The monthly gifts of a supporter's tax year, net of refunds, as an annual receipt
    lists them."""
    start, end = tokyo_day_bounds(date(year, 1, 1), date(year, 12, 31))
    rows = conn.execute(
        "SELECT id, receipt_number, paid_at, source, amount - refunded_amount AS net"
        " FROM payments WHERE supporter_id = %s AND source = ANY(%s) AND voided_at IS NULL"
        " AND paid_at >= %s AND paid_at < %s AND amount > refunded_amount"
        " ORDER BY paid_at, receipt_number",
        (supporter_id, list(ANNUAL_SOURCES), start, end)).fetchall()
    return [{"payment_id": str(r["id"]), "receipt_number": r["receipt_number"],
             "paid_on": tokyo_date(r["paid_at"]).isoformat(), "source": r["source"],
             "amount": r["net"]} for r in rows]


def issue_annual(conn: psycopg.Connection, supporter_id: str, year: int, org: Organisation,
                 render: Renderer, issued_by: str) -> dict[str, Any]:
    """The annual receipt in force for a supporter's tax year, issued now if none is
    (idempotent). Only once the year is over in Tokyo: a later gift could not be added."""
    locked = conn.execute("SELECT id FROM supporters WHERE id = %s FOR UPDATE",
                          (supporter_id,)).fetchone()
    if locked is None:
        raise NotIssuable("no_such_supporter", "no such supporter")
    existing = live_annual_receipt(conn, supporter_id, year)
    if existing is not None:
        return existing
    if today_in_tokyo().year <= year:
        raise NotIssuable("year_not_over", f"the annual receipt for {year} is issued once the"
                          " year is over (Tokyo time)")
    items = annual_items(conn, supporter_id, year)
    if not items:
        raise NotIssuable("nothing_to_receipt", f"no monthly gift in {year}")
    if any(item["receipt_number"] is None for item in items):
        raise NotIssuable("not_numbered", NOT_NUMBERED)
    _check_configured(org)
    donor = donor_of(conn, supporter_id)
    return _store(conn, kind="annual", base_number=_annual_base(conn, supporter_id, year),
                  payment_id=None, supporter_id=supporter_id, tax_year=year, items=items,
                  org=org, donor=donor, issued_by=issued_by, render=render)


def _annual_base(conn: psycopg.Connection, supporter_id: str, year: int) -> str:
    """A replacement keeps the number of the receipt it replaces; a first one takes the next
    A number of the year, without gaps (the counter row is held until commit)."""
    earlier = conn.execute(
        "SELECT base_number FROM receipts WHERE supporter_id = %s AND tax_year = %s"
        " AND kind = 'annual' LIMIT 1", (supporter_id, year)).fetchone()
    if earlier is not None:
        return earlier["base_number"]
    taken = conn.execute(
        "INSERT INTO annual_receipt_counters (year, last_number) VALUES (%s, 1)"
        " ON CONFLICT (year) DO UPDATE SET last_number = annual_receipt_counters.last_number + 1"
        " RETURNING last_number", (year,)).fetchone()["last_number"]
    return f"A{year}-{taken:06d}"


# -- voiding and reissuing ----------------------------------------------------------------------


def by_number(conn: psycopg.Connection, number: str, *, lock: bool = False) -> dict | None:
    sql = "SELECT * FROM receipts WHERE number = %s" + (" FOR UPDATE" if lock else "")
    return conn.execute(sql, (number,)).fetchone()


def void(conn: psycopg.Connection, receipt: dict, reason: str, by: str) -> dict[str, Any]:
    """Void a receipt in force (locked by the caller); a void one is left as it is."""
    if receipt["voided_at"] is None:
        conn.execute(
            "UPDATE receipts SET voided_at = %s, void_reason = %s, voided_by = %s WHERE id = %s",
            (datetime.now(UTC), reason, by, receipt["id"]))
    return _row(conn, str(receipt["id"]))


def reissue(conn: psycopg.Connection, receipt: dict, reason: str, by: str, org: Organisation,
            render: Renderer) -> dict[str, Any]:
    """Void `receipt` (locked) and issue its replacement from today's data (a corrected
    address, a refund): the replacement is numbered with the next suffix."""
    if receipt["voided_at"] is None:
        void(conn, receipt, reason, by)
    if receipt["kind"] == "gift":
        return issue_gift(conn, str(receipt["payment_id"]), org, render, by)
    return issue_annual(conn, str(receipt["supporter_id"]), receipt["tax_year"], org, render, by)


def void_for_payment(conn: psycopg.Connection, payment_id: str, reason: str,
                     by: str) -> list[dict[str, Any]]:
    """Void every receipt in force that shows this payment (its gift receipt, or the annual
    receipt listing it); returns them. Their replacements, if any, are issued by the caller."""
    rows = conn.execute(
        "SELECT r.* FROM receipts r WHERE r.voided_at IS NULL AND (r.payment_id = %s OR"
        " r.id IN (SELECT receipt_id FROM receipt_items WHERE payment_id = %s)) FOR UPDATE",
        (payment_id, payment_id)).fetchall()
    return [void(conn, row, reason, by) for row in rows]


def correct_after_refund(conn: psycopg.Connection, payment_id: str, org: Organisation,
                         render: Renderer) -> list[dict[str, Any]]:
    """A refund changes what was given: each receipt in force showing a different amount for
    the payment is voided and replaced (not replaced when nothing is left to certify)."""
    payment = conn.execute("SELECT amount, refunded_amount FROM payments WHERE id = %s",
                           (payment_id,)).fetchone()
    net = payment["amount"] - payment["refunded_amount"]
    stale = conn.execute(
        "SELECT r.* FROM receipts r WHERE r.voided_at IS NULL AND ((r.payment_id = %s AND"
        " r.amount <> %s) OR r.id IN (SELECT receipt_id FROM receipt_items WHERE"
        " payment_id = %s AND amount <> %s)) FOR UPDATE",
        (payment_id, net, payment_id, net)).fetchall()
    replaced = []
    for receipt in stale:
        void(conn, receipt, "refund", "system:refund")
        try:
            replaced.append(reissue(conn, receipt, "refund", "system:refund", org, render))
        except NotIssuable:
            pass  # refunded in full, or the last monthly gift of the year: void is the answer
    return replaced


# -- reading ------------------------------------------------------------------------------------


def document(conn: psycopg.Connection, receipt: dict, language: str,
             render: Renderer) -> bytes:
    """The stored PDF of a receipt in `language`. The Japanese original exists from issue; an
    English translation is made from the frozen content when first asked for, then kept."""
    row = conn.execute("SELECT pdf FROM receipt_documents WHERE receipt_id = %s AND"
                       " language = %s", (receipt["id"], language)).fetchone()
    if row is not None:
        return bytes(row["pdf"])
    pdf = render(receipt["content"], language)
    _keep_document(conn, str(receipt["id"]), language, pdf)
    row = conn.execute("SELECT pdf FROM receipt_documents WHERE receipt_id = %s AND"
                       " language = %s", (receipt["id"], language)).fetchone()
    return bytes(row["pdf"])


def view(receipt: dict) -> dict[str, Any]:
    """A receipt for staff: no personal data beyond what the staff API shows anyway."""
    return {
        "number": receipt["number"], "kind": receipt["kind"], "tax_year": receipt["tax_year"],
        "amount": receipt["amount"], "currency": "jpy",
        "supporter_id": str(receipt["supporter_id"]),
        "payment_id": str(receipt["payment_id"]) if receipt["payment_id"] else None,
        "issued_at": receipt["issued_at"].isoformat(), "issued_by": receipt["issued_by"],
        "replaces": receipt["content"].get("replaces"),
        "voided": receipt["voided_at"] is not None,
        "voided_at": receipt["voided_at"].isoformat() if receipt["voided_at"] else None,
        "void_reason": receipt["void_reason"], "voided_by": receipt["voided_by"],
    }


# The languages a receipt can be downloaded in: the Japanese original (stored at issue) and an
# English translation made from the frozen content when first asked for.
LANGUAGES = ("ja", "en")


def listing(conn: psycopg.Connection, query: dict[str, Any]) -> dict[str, Any]:
    """Receipts for staff, newest issued first, in keyset pages; filtered by tax year, kind,
    status (issued: in force, voided), supporter and part of the number."""
    where: list[str] = []
    params: list[Any] = []
    for key, column in (("year", "r.tax_year"), ("kind", "r.kind"),
                        ("supporter_id", "r.supporter_id")):
        if query.get(key) is not None:
            where.append(f"{column} = %s")
            params.append(query[key])
    if query.get("status") is not None:
        where.append("r.voided_at IS NULL" if query["status"] == "issued"
                     else "r.voided_at IS NOT NULL")
    if query.get("number"):
        where.append("r.number LIKE %s")
        params.append(search.contains_pattern(query["number"].strip().upper()))
    rows, cursor = paging.fetch(
        conn, "r.*, n.number AS replaced_by_number, r.content->'donor'->>'name' AS donor_name,"
        " (SELECT array_agg(d.language ORDER BY d.language DESC) FROM receipt_documents d"
        " WHERE d.receipt_id = r.id) AS stored_languages",
        "receipts r LEFT JOIN receipts n ON n.id = r.replaced_by", "r.issued_at", "r.id",
        where, params, query["limit"], query.get("after"))
    return {"receipts": [{
        **view(r), "replaced_by": r["replaced_by_number"], "donor_name": r["donor_name"],
        "languages": list(LANGUAGES), "stored_languages": r["stored_languages"] or [],
    } for r in rows], "next": cursor}


def voids_between(conn: psycopg.Connection, first: date, last: date) -> list[dict[str, Any]]:
    """Receipts voided within the Tokyo days `first`..`last`, for the donation report."""
    start, end = tokyo_day_bounds(first, last)
    rows = conn.execute(
        "SELECT r.*, n.number AS replaced_by_number FROM receipts r"
        " LEFT JOIN receipts n ON n.id = r.replaced_by"
        " WHERE r.voided_at >= %s AND r.voided_at < %s ORDER BY r.voided_at, r.number",
        (start, end)).fetchall()
    return [{**view(r), "replaced_by": r["replaced_by_number"]} for r in rows]


def receipts_of_supporter_year(conn: psycopg.Connection, supporter_id: str,
                               year: int) -> list[dict]:
    """Every receipt in force for a supporter's tax year, gift receipts first."""
    return conn.execute(
        "SELECT * FROM receipts WHERE supporter_id = %s AND tax_year = %s AND voided_at IS NULL"
        " ORDER BY kind DESC, number", (supporter_id, year)).fetchall()
