"""Staff correcting the payments they record: a bank reference entered twice, a payment
entered by mistake (voided, never deleted), money sent back by bank transfer.

A bank reference names one movement of money, so a second payment with the same reference is
refused and the first is named, whatever the source staff picked. A voided payment leaves the
reports and the impact figures (by its `payment_voided` event) and its receipt is voided; the
row stays, with who voided it, when and why.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import psycopg
from contracts.donations import STAFF_SOURCES
from servicekit import domain
from servicekit.events.outbox import OutboxWriter
from servicekit.tokyo import tokyo_day_bounds

from donations import numbering, receipts


class Refused(domain.Conflict):
    """The correction cannot be made; the message says why (a 409 to the caller)."""


def _reference_key(reference: str) -> str:
    return " ".join(reference.split()).lower()


def same_reference(conn: psycopg.Connection, reference: str) -> dict | None:
    """The payment in force already recorded with this bank reference, if any.

    Two staff members entering the same transfer at once are serialised on the reference (a
    transaction-scoped advisory lock), so exactly one of them records it.
    """
    key = _reference_key(reference)
    conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                 (f"payment-reference:{key}",))
    return conn.execute(
        "SELECT id, receipt_number, source, amount, paid_at FROM payments"
        " WHERE lower(btrim(reference)) = %s AND source = ANY(%s) AND voided_at IS NULL"
        " ORDER BY created_at LIMIT 1", (key, list(STAFF_SOURCES))).fetchone()


def void_payment(conn: psycopg.Connection, outbox: OutboxWriter, payment_id: str, reason: str,
                 by: str) -> dict[str, Any] | None:
    """Void a staff-recorded payment and every receipt showing it; None if there is no such
    payment. Voiding twice changes nothing the second time."""
    payment = conn.execute("SELECT * FROM payments WHERE id = %s FOR UPDATE",
                           (payment_id,)).fetchone()
    if payment is None:
        return None
    if payment["voided_at"] is not None:
        return payment
    if payment["source"] not in STAFF_SOURCES:
        raise Refused("only payments staff recorded are voided; card payments are refunded")
    if payment["refunded_amount"]:
        raise Refused("money was already refunded from this payment; it cannot be voided")
    number = numbering.require_number(payment)  # the event names it
    voided_at = datetime.now(UTC)
    conn.execute("UPDATE payments SET voided_at = %s, void_reason = %s, voided_by = %s"
                 " WHERE id = %s", (voided_at, reason, by, payment_id))
    voided = receipts.void_for_payment(conn, payment_id, f"payment voided: {reason}", by)
    outbox.add(conn, "payment_voided", {
        "payment_id": payment_id, "receipt_number": number,
        "source": payment["source"], "amount": payment["amount"], "currency": "jpy",
        "paid_at": payment["paid_at"].isoformat(), "reason": reason, "voided_by": by,
        "voided_at": voided_at.isoformat(),
        "voided_receipts": [r["number"] for r in voided],
    })
    return conn.execute("SELECT * FROM payments WHERE id = %s", (payment_id,)).fetchone()


def voids_between(conn: psycopg.Connection, first: date, last: date) -> dict[str, Any]:
    """What the donation report lists beside its totals: payments voided and receipts voided
    within the Tokyo days `first`..`last` (voided payments are left out of every total)."""
    start, end = tokyo_day_bounds(first, last)
    payments = conn.execute(
        "SELECT id, receipt_number, source, amount, paid_at, voided_at, void_reason, voided_by"
        " FROM payments WHERE voided_at >= %s AND voided_at < %s ORDER BY voided_at",
        (start, end)).fetchall()
    return {
        "voided_payments": [{
            "payment_id": str(p["id"]), "receipt_number": p["receipt_number"],
            "source": p["source"], "amount": p["amount"], "paid_at": p["paid_at"].isoformat(),
            "voided_at": p["voided_at"].isoformat(), "void_reason": p["void_reason"],
            "voided_by": p["voided_by"]} for p in payments],
        "voided_receipts": receipts.voids_between(conn, first, last),
    }

