"""The year-end run: in January, every supporter who gave in the past tax year gets one
e-mail, in their language, with their receipts for that year (the annual receipt of their
monthly gifts, issued now, and the gift receipts they already have).

Each supporter is one transaction that claims `(supporter, year)` in year_end_notices, issues
what is missing and writes the `annual_receipts_ready` event: a run stopped halfway and started
again (or two runs at once) sends each e-mail once, since a claimed supporter is skipped and
an unfinished claim rolls back with its event.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

import eventlet
import psycopg
from servicekit.events.outbox import OutboxWriter
from servicekit.tokyo import tokyo_day_bounds

from donations import ledger, numbering, receipts
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
        supporters: Iterable[str] | None = None, ahead: int = 2) -> dict[str, int]:
    """Notify every supporter of `year` not yet notified, one transaction each.

    `transaction` opens one (servicekit's `Database.transaction`). While a supporter's
    transaction runs, the annual receipts of the next `ahead` supporters are already being
    rendered (`RenderAhead`), so a pool of render processes keeps every core busy; the
    transactions themselves stay one at a time, in order. Returns counts of this pass:
    notified now, and already notified before.
    """
    # Receipts print their gifts' numbers: anything a crash left unnumbered is numbered
    # before the first receipt is issued.
    numbering.number_committed(transaction, outbox, wait=True)
    if supporters is None:
        with transaction() as conn:
            supporters = supporters_to_notify(conn, year)
    order = list(supporters)
    renders = RenderAhead(render)
    expected: dict[str, int] = {}  # new annual numbers a supporter ahead is expected to take
    with transaction() as conn:
        counter = _last_annual_number(conn, year)
    sent = skipped = 0
    try:
        for index, supporter_id in enumerate(order):
            for later in range(index, min(index + ahead + 1, len(order))):
                if order[later] not in expected:
                    number = counter + 1 + sum(expected[s] for s in order[index:later])
                    with transaction() as conn:
                        content = predicted_annual(conn, order[later], year, org, number)
                    expected[order[later]] = 0 if content is None else 1
                    if content is not None:
                        renders.start(order[later], content)
            with transaction() as conn:
                if notify_one(conn, outbox, supporter_id, year, org,
                              renders.renderer_for(supporter_id), links):
                    sent += 1
                else:
                    skipped += 1
                counter = _last_annual_number(conn, year)
            expected.pop(supporter_id)
    finally:
        renders.stop()
    return {"sent": sent, "already_sent": skipped}


def _last_annual_number(conn: psycopg.Connection, year: int) -> int:
    row = conn.execute("SELECT last_number FROM annual_receipt_counters WHERE year = %s",
                       (year,)).fetchone()
    return row["last_number"] if row else 0


def predicted_annual(conn: psycopg.Connection, supporter_id: str, year: int,
                     org: receipts.Organisation, number: int) -> dict[str, Any] | None:
    """The content `notify_one` will freeze for a supporter's first annual receipt if it
    takes A<year>-<number>; None when it will issue none (already notified, a receipt
    exists, no monthly gift, no address)."""
    if receipts.today_in_tokyo().year <= year or org.missing():
        return None
    taken = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM year_end_notices WHERE supporter_id = %(s)s AND"
        " tax_year = %(y)s) OR EXISTS (SELECT 1 FROM receipts WHERE supporter_id = %(s)s"
        " AND tax_year = %(y)s AND kind = 'annual') AS taken",
        {"s": supporter_id, "y": year}).fetchone()["taken"]
    items = [] if taken else receipts.annual_items(conn, supporter_id, year)
    if not items:
        return None
    try:
        donor = receipts.donor_of(conn, supporter_id)
    except receipts.NotIssuable:
        return None
    return receipts.frozen_content(number=f"A{year}-{number:06d}", kind="annual",
                                   tax_year=year, replaces=None, org=org, donor=donor,
                                   items=items)


class RenderAhead:
    """Receipts rendered before the transaction that issues them asks for them.

    A transaction freezes the content and stores the PDF of exactly that content; rendering
    is deterministic (same content, same bytes), so a PDF rendered ahead from the content the
    transaction will freeze is the one it would render itself. It is used only when the
    content is equal in every field; a guess that turns out wrong (a number taken meanwhile
    by staff, an address changed) is rendered again in the transaction, never stored.
    """

    def __init__(self, render: receipts.Renderer) -> None:
        self._render = render
        self._started: dict[str, tuple[str, Any]] = {}

    def start(self, supporter_id: str, content: dict[str, Any]) -> None:
        self._started[supporter_id] = (_key(content, "ja"),
                                       eventlet.spawn(self._quietly, content, "ja"))

    def renderer_for(self, supporter_id: str) -> receipts.Renderer:
        started = self._started.pop(supporter_id, None)

        def render(content: dict[str, Any], language: str) -> bytes:
            if started is not None and started[0] == _key(content, language):
                pdf = started[1].wait()
                if pdf is not None:
                    return pdf
            return self._render(content, language)

        return render

    def stop(self) -> None:
        for _, thread in self._started.values():
            thread.kill()
        self._started.clear()

    def _quietly(self, content: dict[str, Any], language: str) -> bytes | None:
        try:
            return self._render(content, language)
        except Exception:  # rendered again in the transaction, which reports the failure
            return None


def _key(content: dict[str, Any], language: str) -> str:
    return language + json.dumps(content, sort_keys=True, ensure_ascii=False)
