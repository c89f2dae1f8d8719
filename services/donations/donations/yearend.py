"""The year-end run: in January, every supporter who gave in the past tax year gets one
e-mail, in their language, with their receipts for that year (the annual receipt of their
monthly gifts, issued now, and the gift receipts they already have).

Each supporter is one transaction that claims `(supporter, year)` in year_end_notices, issues
what is missing and writes the `annual_receipts_ready` event: a run stopped halfway and started
again (or two runs at once) sends each e-mail once, since a claimed supporter is skipped and
an unfinished claim rolls back with its event.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

import psycopg
from servicekit.events.outbox import OutboxWriter
from servicekit.tokyo import tokyo_day_bounds

from donations import ledger, receipts
from donations.links import ReceiptLinks

GIVING_SOURCES = receipts.GIFT_SOURCES + receipts.ANNUAL_SOURCES


def supporters_to_notify(conn: psycopg.Connection, year: int) -> list[str]:
    """Supporters with a gift in force in `year` (Tokyo) who can still be written to."""
    start, end = tokyo_day_bounds(date(year, 1, 1), date(year, 12, 31))
    rows = conn.execute(
        "SELECT DISTINCT p.supporter_id FROM payments p JOIN supporters s ON s.id = p.supporter_id"
        " WHERE p.source = ANY(%s) AND p.voided_at IS NULL AND p.amount > p.refunded_amount"
        " AND p.paid_at >= %s AND p.paid_at < %s AND s.anonymized_at IS NULL"
        " AND s.email IS NOT NULL ORDER BY p.supporter_id",
        (list(GIVING_SOURCES), start, end)).fetchall()
    return [str(r["supporter_id"]) for r in rows]


def progress(conn: psycopg.Connection, year: int) -> dict[str, Any]:
    due = supporters_to_notify(conn, year)
    sent = conn.execute("SELECT count(*) AS n FROM year_end_notices WHERE tax_year = %s",
                        (year,)).fetchone()["n"]
    waiting = conn.execute(
        "SELECT count(*) AS n FROM supporters s WHERE s.id = ANY(%s::uuid[])"
        " AND NOT EXISTS (SELECT 1 FROM year_end_notices n WHERE n.supporter_id = s.id"
        " AND n.tax_year = %s)", (due, year)).fetchone()["n"]
    return {"year": year, "supporters": len(due), "sent": sent, "remaining": waiting}


def notify_one(conn: psycopg.Connection, outbox: OutboxWriter, supporter_id: str, year: int,
               org: receipts.Organisation, render: receipts.Renderer,
               links: ReceiptLinks) -> bool:
    """Issue what is missing and write the year-end e-mail's event; False when the supporter
    was already notified for `year`."""
    claimed = conn.execute(
        "INSERT INTO year_end_notices (supporter_id, tax_year) VALUES (%s, %s)"
        " ON CONFLICT DO NOTHING", (supporter_id, year))
    if claimed.rowcount == 0:
        return False
    address_missing = False
    annual = None
    try:
        annual = receipts.issue_annual(conn, supporter_id, year, org, render, "system:year-end")
    except receipts.NotIssuable as exc:
        if exc.reason == "waiting_for_address":
            address_missing = True
        elif exc.reason != "nothing_to_receipt":
            raise
    for payment_id in _gifts_without_receipt(conn, supporter_id, year):
        try:
            receipts.issue_gift(conn, payment_id, org, render, "system:year-end")
        except receipts.NotIssuable as exc:
            if exc.reason != "waiting_for_address":
                raise
            address_missing = True
    if annual is not None:
        conn.execute("UPDATE year_end_notices SET receipt_id = %s WHERE supporter_id = %s"
                     " AND tax_year = %s", (annual["id"], supporter_id, year))
    held = receipts.receipts_of_supporter_year(conn, supporter_id, year)
    listed = [{
        "receipt_number": r["number"], "kind": r["kind"], "amount": r["amount"],
        "url": links.annual_url(supporter_id, year) if r["kind"] == "annual"
        else links.gift_url(str(r["payment_id"])),
    } for r in held]
    outbox.add(conn, "annual_receipts_ready", {
        **ledger.supporter(conn, supporter_id).event_fields(), "tax_year": year,
        "currency": "jpy", "total": sum(r["amount"] for r in listed), "receipts": listed,
        "address_missing": address_missing,
    })
    return True


def _gifts_without_receipt(conn: psycopg.Connection, supporter_id: str,
                           year: int) -> list[str]:
    start, end = tokyo_day_bounds(date(year, 1, 1), date(year, 12, 31))
    rows = conn.execute(
        "SELECT p.id FROM payments p WHERE p.supporter_id = %s AND p.source = ANY(%s)"
        " AND p.voided_at IS NULL AND p.amount > p.refunded_amount"
        " AND p.paid_at >= %s AND p.paid_at < %s AND NOT EXISTS (SELECT 1 FROM receipts r"
        " WHERE r.payment_id = p.id AND r.voided_at IS NULL) ORDER BY p.paid_at",
        (supporter_id, list(receipts.GIFT_SOURCES), start, end)).fetchall()
    return [str(r["id"]) for r in rows]


def run(transaction: Callable[[], Any], outbox: OutboxWriter, year: int,
        org: receipts.Organisation, render: receipts.Renderer, links: ReceiptLinks,
        supporters: Iterable[str] | None = None) -> dict[str, int]:
    """Notify every supporter of `year` not yet notified, one transaction each.

    `transaction` opens one (servicekit's `Database.transaction`). Returns counts of this
    pass: notified now, and already notified before.
    """
    if supporters is None:
        with transaction() as conn:
            supporters = supporters_to_notify(conn, year)
    sent = skipped = 0
    for supporter_id in supporters:
        with transaction() as conn:
            if notify_one(conn, outbox, supporter_id, year, org, render, links):
                sent += 1
            else:
                skipped += 1
    return {"sent": sent, "already_sent": skipped}
