"""The payment ledger: plain functions over one open transaction.

Webhooks are the source of truth: a payment enters the ledger when Stripe says it was paid,
once per Stripe invoice however often or in whatever order the news arrives.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import psycopg
from servicekit.events.outbox import OutboxWriter


@dataclass(frozen=True)
class Supporter:
    id: str
    name: str
    email: str
    locale: str


def add_supporter(conn: psycopg.Connection, name: str, email: str, locale: str) -> Supporter:
    supporter = Supporter(str(uuid.uuid4()), name, email, locale)
    conn.execute(
        "INSERT INTO supporters (id, name, email, locale) VALUES (%s, %s, %s, %s)",
        (supporter.id, name, email, locale),
    )
    return supporter


def add_pending_pledge(conn: psycopg.Connection, supporter: Supporter, amount: int) -> str:
    pledge_id = str(uuid.uuid4())
    conn.execute(
        "INSERT INTO pledges (id, supporter_id, amount) VALUES (%s, %s, %s)",
        (pledge_id, supporter.id, amount),
    )
    return pledge_id


def attach_subscription(
    conn: psycopg.Connection, pledge_id: str, customer_id: str, subscription_id: str
) -> None:
    conn.execute(
        "UPDATE supporters SET stripe_customer_id = %s"
        " WHERE id = (SELECT supporter_id FROM pledges WHERE id = %s)",
        (customer_id, pledge_id),
    )
    conn.execute(
        "UPDATE pledges SET stripe_subscription_id = %s, updated_at = now() WHERE id = %s",
        (subscription_id, pledge_id),
    )


def cancel_pledge(conn: psycopg.Connection, pledge_id: str, reason: str) -> None:
    conn.execute(
        "UPDATE pledges SET status = 'canceled', cancel_reason = %s, updated_at = now()"
        " WHERE id = %s",
        (reason, pledge_id),
    )


def next_receipt_number(conn: psycopg.Connection, year: int) -> str:
    """The next number of `year`, without gaps: the counter is only taken inside the payment's
    own transaction, so a rolled-back payment gives its number back."""
    row = conn.execute(
        """
        INSERT INTO receipt_counters (year, last_number) VALUES (%s, 1)
        ON CONFLICT (year) DO UPDATE SET last_number = receipt_counters.last_number + 1
        RETURNING last_number
        """,
        (year,),
    ).fetchone()
    return f"R{year}-{row['last_number']:06d}"


def first_stripe_delivery(conn: psycopg.Connection, event_id: str, event_type: str) -> bool:
    """Record a Stripe event; False when it was already applied (a redelivery)."""
    cursor = conn.execute(
        "INSERT INTO stripe_events (event_id, type) VALUES (%s, %s) ON CONFLICT DO NOTHING",
        (event_id, event_type),
    )
    return cursor.rowcount == 1


class PledgeNotYetKnown(Exception):
    """An invoice for a subscription we have not linked to a pledge yet; Stripe will resend."""


def record_invoice_payment(
    conn: psycopg.Connection, outbox: OutboxWriter, invoice: dict, subscription_id: str | None
) -> str | None:
    """Enter a paid subscription invoice in the ledger; returns the payment id, or None when
    this invoice was already recorded or is not one of ours."""
    if (invoice.get("currency") or "").lower() != "jpy" or not subscription_id:
        return None
    pledge = conn.execute(
        """
        SELECT p.id, p.amount, p.status, s.id AS supporter_id, s.name, s.email, s.locale
        FROM pledges p JOIN supporters s ON s.id = p.supporter_id
        WHERE p.stripe_subscription_id = %s FOR UPDATE OF p
        """,
        (subscription_id,),
    ).fetchone()
    if pledge is None:
        raise PledgeNotYetKnown(subscription_id)
    amount = int(invoice.get("amount_paid") or 0)
    if amount <= 0:
        return None
    paid_at = _paid_at(invoice)
    payment_id = str(uuid.uuid4())
    inserted = conn.execute(
        """
        INSERT INTO payments (id, supporter_id, pledge_id, source, amount, receipt_number,
                              stripe_invoice_id, stripe_payment_intent_id, paid_at)
        SELECT %s, %s, %s, 'monthly', %s, %s, %s, %s, %s
        WHERE NOT EXISTS (SELECT 1 FROM payments WHERE stripe_invoice_id = %s)
        """,
        (payment_id, pledge["supporter_id"], pledge["id"], amount,
         _receipt_placeholder(), invoice["id"], _payment_intent_id(invoice), paid_at,
         invoice["id"]),
    )
    if inserted.rowcount == 0:
        return None
    receipt = next_receipt_number(conn, paid_at.year)
    conn.execute("UPDATE payments SET receipt_number = %s WHERE id = %s", (receipt, payment_id))
    supporter = {
        "supporter_id": str(pledge["supporter_id"]), "name": pledge["name"],
        "email": pledge["email"], "locale": pledge["locale"],
    }
    first = pledge["status"] == "pending"
    if first:
        conn.execute(
            "UPDATE pledges SET status = 'active', started_at = %s, updated_at = now()"
            " WHERE id = %s",
            (paid_at, pledge["id"]),
        )
        outbox.add(conn, "pledge_started", {
            **supporter, "pledge_id": str(pledge["id"]), "amount": pledge["amount"],
            "currency": "jpy", "started_at": paid_at.isoformat(),
        })
    outbox.add(conn, "payment_succeeded", {
        **supporter, "payment_id": payment_id, "pledge_id": str(pledge["id"]),
        "source": "monthly", "first_of_pledge": first, "amount": amount, "currency": "jpy",
        "receipt_number": receipt, "paid_at": paid_at.isoformat(),
    })
    return payment_id


def _receipt_placeholder() -> str:
    # The real number is taken only once we know this invoice is new, keeping numbers gapless.
    return f"pending-{uuid.uuid4()}"


def _payment_intent_id(invoice: dict) -> str | None:
    intent = invoice.get("payment_intent")
    if isinstance(intent, dict):
        return intent.get("id")
    return intent


def _paid_at(invoice: dict) -> datetime:
    transitions = invoice.get("status_transitions") or {}
    stamp = transitions.get("paid_at") or invoice.get("created")
    if stamp:
        return datetime.fromtimestamp(int(stamp), UTC)
    return datetime.now(UTC)
