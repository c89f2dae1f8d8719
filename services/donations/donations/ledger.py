"""The payment ledger: plain functions over one open transaction.

Webhooks are the source of truth for card money: a payment enters the ledger when Stripe says it
was paid, once per invoice or PaymentIntent however often or in whatever order the news arrives.
Staff record the money that arrives outside Stripe. A payment's transaction writes it without a
receipt number; the numbering step (numbering.py) gives the number, without gaps within its
calendar year, moments after it commits, and writes its `payment_succeeded` event.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb
from servicekit.events.outbox import OutboxWriter
from servicekit.tokyo import tokyo_noon

from donations import numbering
from donations.tiers import DESIGNATION_NAMES, tier


@dataclass(frozen=True)
class Supporter:
    id: str
    name: str
    email: str
    locale: str

    def event_fields(self) -> dict[str, Any]:
        return {"supporter_id": self.id, "name": self.name, "email": self.email,
                "locale": self.locale}


@dataclass(frozen=True)
class DonorDetails:
    """For a tax receipt: a person or a company, and the postal address (None: not given)."""

    kind: str = "person"
    postal_address: dict[str, Any] | None = None

    @classmethod
    def of(cls, data: dict[str, Any]) -> DonorDetails:
        return cls(data.get("donor_kind") or "person", data.get("postal_address"))

    def columns(self) -> dict[str, Any]:
        address = self.postal_address or {}
        return {"donor_kind": self.kind, "postal_code": address.get("postal_code"),
                "prefecture": address.get("prefecture"), "city": address.get("city"),
                "address_line1": address.get("line1"), "address_line2": address.get("line2")}


def add_supporter(conn: psycopg.Connection, name: str, email: str, locale: str,
                  donor: DonorDetails = DonorDetails()) -> Supporter:
    supporter = Supporter(str(uuid.uuid4()), name, email, locale)
    columns = {"id": supporter.id, "name": name, "email": email, "locale": locale,
               **donor.columns()}
    conn.execute(
        f"INSERT INTO supporters ({', '.join(columns)})"
        f" VALUES ({', '.join(['%s'] * len(columns))})",
        tuple(columns.values()),
    )
    return supporter


def find_or_add_supporter(conn: psycopg.Connection, name: str, email: str, locale: str,
                          donor: DonorDetails = DonorDetails()) -> Supporter:
    """The supporter with this address (so a statement gathers all their gifts), else a new one.

    The name and language are updated to the latest given: that is how they want to be
    addressed now; so is the postal address when a new one is given (an old one is kept when
    none is).
    """
    row = conn.execute(
        "SELECT id FROM supporters WHERE lower(email) = lower(%s) AND anonymized_at IS NULL"
        " ORDER BY created_at LIMIT 1 FOR UPDATE",
        (email,),
    ).fetchone()
    if row is None:
        return add_supporter(conn, name, email, locale, donor)
    columns = {"name": name, "locale": locale}
    if donor.postal_address:
        columns.update(donor.columns())
    assignments = ", ".join(f"{column} = %s" for column in columns)
    conn.execute(f"UPDATE supporters SET {assignments} WHERE id = %s",
                 (*columns.values(), row["id"]))
    return Supporter(str(row["id"]), name, email, locale)


def postal_address(row: dict[str, Any]) -> dict[str, Any] | None:
    """A supporter row's address in the shape requests give it, or None."""
    if not row.get("postal_code"):
        return None
    return {"postal_code": row["postal_code"], "prefecture": row["prefecture"],
            "city": row["city"], "line1": row["address_line1"], "line2": row["address_line2"]}


def supporter(conn: psycopg.Connection, supporter_id: str) -> Supporter:
    row = conn.execute("SELECT id, name, email, locale FROM supporters WHERE id = %s",
                       (supporter_id,)).fetchone()
    return Supporter(str(row["id"]), row["name"], row["email"], row["locale"])


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
    """Close a pledge that never started (its first charge was refused): no event, no e-mail."""
    conn.execute(
        "UPDATE pledges SET status = 'canceled', cancel_reason = %s, canceled_at = now(),"
        " canceled_by = 'stripe', updated_at = now() WHERE id = %s",
        (reason, pledge_id),
    )


def first_stripe_delivery(conn: psycopg.Connection, event_id: str, event_type: str) -> bool:
    """Record a Stripe event; False when it was already applied (a redelivery)."""
    cursor = conn.execute(
        "INSERT INTO stripe_events (event_id, type) VALUES (%s, %s) ON CONFLICT DO NOTHING",
        (event_id, event_type),
    )
    return cursor.rowcount == 1


def note_stripe_event(conn: psycopg.Connection, event_id: str, note: str) -> None:
    """Why an event changed nothing (not ours, wrong currency...), for whoever investigates."""
    conn.execute("UPDATE stripe_events SET note = %s WHERE event_id = %s", (note[:500], event_id))


# The signed link to a gift's tax receipt (receipts.py issues it), for the thank-you e-mail.
ReceiptLink = Callable[[str], str]
RECEIPTED_ONE_BY_ONE = ("card_one_time", "bank_transfer", "grant")  # = receipts.GIFT_SOURCES


@dataclass(frozen=True)
class NewPayment:
    supporter: Supporter
    source: str
    amount: int
    paid_at: datetime
    pledge_id: str | None = None
    donation_id: str | None = None
    stripe_invoice_id: str | None = None
    stripe_payment_intent_id: str | None = None
    tier: str | None = None
    designation: str = "general"
    reference: str | None = None
    recorded_by: str | None = None
    anomaly: str | None = None


def enter_payment(conn: psycopg.Connection, outbox: OutboxWriter, payment: NewPayment, *,
                  first_of_pledge: bool = False, manage_url: str | None = None,
                  receipt_link: ReceiptLink | None = None) -> str | None:
    """Write one payment, unnumbered, with what its `payment_succeeded` event will say.

    The numbering step writes the event, with the receipt number, once this transaction has
    committed: no lock shared by the payments of a year is taken here. Returns the payment id,
    or None when this invoice or donation is already in the ledger (a second event about the
    same money, e.g. payment_intent.succeeded after invoice.paid).
    """
    payment_id = str(uuid.uuid4())
    # The supporter's name, e-mail and locale are read when the event is written, not kept
    # twice; the number is added then too.
    pending = {
        "payment_id": payment_id, "pledge_id": payment.pledge_id, "source": payment.source,
        "first_of_pledge": first_of_pledge, "amount": payment.amount, "currency": "jpy",
        "paid_at": payment.paid_at.isoformat(), "tier": payment.tier,
        "designation": payment.designation, **_words_for(payment.tier, payment.designation),
    }
    if manage_url:
        pending["manage_url"] = manage_url
    if receipt_link is not None and payment.source in RECEIPTED_ONE_BY_ONE:
        pending["receipt_url"] = receipt_link(payment_id)
    inserted = conn.execute(
        """
        INSERT INTO payments (id, supporter_id, pledge_id, donation_id, source, amount,
                              stripe_invoice_id, stripe_payment_intent_id, paid_at, tier,
                              designation, reference, recorded_by, anomaly, pending_event)
        VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
        ON CONFLICT DO NOTHING
        """,
        (payment_id, payment.supporter.id, payment.pledge_id, payment.donation_id,
         payment.source, payment.amount, payment.stripe_invoice_id,
         payment.stripe_payment_intent_id, payment.paid_at, payment.tier, payment.designation,
         payment.reference, payment.recorded_by, payment.anomaly,
         # The event keeps the request's correlation id, whichever worker's step writes it.
         Jsonb({"data": pending, "correlation_id": outbox.correlation_id})),
    )
    return payment_id if inserted.rowcount else None


def _words_for(tier_id: str | None, designation: str) -> dict[str, dict[str, str]]:
    """The tier's impact text and the designation's name in every language, for the event."""
    words: dict[str, dict[str, str]] = {}
    chosen = tier(tier_id) if tier_id else None
    if chosen:
        words["tier_impact"] = dict(chosen.impact)
    if designation in DESIGNATION_NAMES:
        words["designation_name"] = dict(DESIGNATION_NAMES[designation])
    return words


# -- one-time card donations ----------------------------------------------------------------


def add_pending_donation(conn: psycopg.Connection, supporter: Supporter, amount: int,
                         tier: str | None, designation: str) -> str:
    donation_id = str(uuid.uuid4())
    conn.execute(
        "INSERT INTO donations (id, supporter_id, amount, tier, designation)"
        " VALUES (%s, %s, %s, %s, %s)",
        (donation_id, supporter.id, amount, tier, designation),
    )
    return donation_id


def set_donation_outcome(conn: psycopg.Connection, donation_id: str, *,
                         payment_intent_id: str | None, status: str,
                         failure_reason: str | None = None) -> None:
    """What the synchronous Stripe call said. It never downgrades a donation the webhook has
    already marked succeeded or failed (the webhook may win the race)."""
    conn.execute(
        """
        UPDATE donations SET stripe_payment_intent_id = COALESCE(%s, stripe_payment_intent_id),
               status = CASE WHEN status IN ('succeeded', 'failed') THEN status ELSE %s END,
               failure_reason = COALESCE(failure_reason, %s), updated_at = now()
        WHERE id = %s
        """,
        (payment_intent_id, status, failure_reason, donation_id),
    )


def donation_for_intent(conn: psycopg.Connection, intent: dict[str, Any]) -> dict | None:
    """The donation a PaymentIntent pays, by our metadata first (set before Stripe was called,
    so it is found even when the webhook beats our own bookkeeping), else by intent id."""
    donation_id = (intent.get("metadata") or {}).get("donation_id")
    row = None
    if donation_id:
        try:
            uuid.UUID(str(donation_id))
        except ValueError:
            return None
        row = conn.execute("SELECT * FROM donations WHERE id = %s FOR UPDATE",
                           (donation_id,)).fetchone()
    if row is None and intent.get("id"):
        row = conn.execute(
            "SELECT * FROM donations WHERE stripe_payment_intent_id = %s FOR UPDATE",
            (intent["id"],)).fetchone()
    return row


def record_donation_payment(conn: psycopg.Connection, outbox: OutboxWriter,
                            donation: dict, intent: dict[str, Any],
                            receipt_link: ReceiptLink | None = None) -> str | None:
    amount = int(intent.get("amount_received") or intent.get("amount") or 0)
    anomaly = None
    if amount != donation["amount"]:
        # Stripe is where the money is: record what was paid, and say it differs.
        anomaly = f"asked {donation['amount']} yen, Stripe reports {amount}"
    conn.execute(
        "UPDATE donations SET status = 'succeeded', stripe_payment_intent_id = %s,"
        " updated_at = now() WHERE id = %s",
        (intent["id"], donation["id"]),
    )
    return enter_payment(conn, outbox, NewPayment(
        supporter=supporter(conn, donation["supporter_id"]), source="card_one_time",
        amount=amount, paid_at=_stamp(intent.get("created")), donation_id=str(donation["id"]),
        stripe_payment_intent_id=intent["id"], tier=donation["tier"],
        designation=donation["designation"], anomaly=anomaly,
    ), receipt_link=receipt_link)


def record_donation_failure(conn: psycopg.Connection, outbox: OutboxWriter,
                            donation: dict, intent: dict[str, Any]) -> bool:
    """A refused one-time payment. The supporter already got a 402 when the refusal was
    immediate; a payment that failed after 3-D Secure (the browser may be gone) is announced."""
    if donation["status"] in ("succeeded", "failed"):
        return False
    error = intent.get("last_payment_error") or {}
    reason = error.get("decline_code") or error.get("code") or "card_declined"
    conn.execute(
        "UPDATE donations SET status = 'failed', failure_reason = %s, updated_at = now()"
        " WHERE id = %s", (reason, donation["id"]))
    if donation["status"] == "requires_action":
        outbox.add(conn, "payment_failed", {
            **supporter(conn, donation["supporter_id"]).event_fields(),
            "donation_id": str(donation["id"]), "pledge_id": None, "source": "card_one_time",
            "amount": donation["amount"], "currency": "jpy", "failure_reason": reason,
            "failed_at": datetime.now(UTC).isoformat(),
        })
    return True


# -- staff-recorded payments ------------------------------------------------------------------


def record_staff_payment(conn: psycopg.Connection, outbox: OutboxWriter, data: dict,
                         recorded_by: str, receipt_link: ReceiptLink | None = None) -> str:
    """Enter a payment staff saw arrive; its id (numbered once the transaction commits)."""
    payer = find_or_add_supporter(conn, data["payer_name"], data["payer_email"], data["locale"],
                                  DonorDetails.of(data))
    # Noon in Tokyo of the day staff saw the money: that day in Tokyo whatever the reader.
    paid_at = tokyo_noon(data["paid_on"])
    return enter_payment(conn, outbox, NewPayment(
        supporter=payer, source=data["source"], amount=data["amount"], paid_at=paid_at,
        tier=data.get("tier"), designation=data["designation"], reference=data["reference"],
        recorded_by=recorded_by,
    ), receipt_link=receipt_link)


PAYMENT_COLUMNS = ("id, supporter_id, source, amount, refunded_amount, receipt_number, paid_at,"
                   " designation, tier, reference, disputed_at")


def payment_view(conn: psycopg.Connection, payment_id: str) -> dict:
    row = conn.execute(f"SELECT {PAYMENT_COLUMNS} FROM payments WHERE id = %s",
                       (payment_id,)).fetchone()
    return payment_fields(row)


def payment_fields(row: dict) -> dict:
    """A payment as staff see it, from a row with PAYMENT_COLUMNS."""
    return {
        "id": str(row["id"]), "supporter_id": str(row["supporter_id"]), "source": row["source"],
        "amount": row["amount"], "refunded_amount": row["refunded_amount"], "currency": "jpy",
        "receipt_number": row["receipt_number"], "paid_at": row["paid_at"].isoformat(),
        "designation": row["designation"], "tier": row["tier"], "reference": row["reference"],
        "disputed": row["disputed_at"] is not None,
    }


# -- refunds and disputes ---------------------------------------------------------------------


def payment_for_update(conn: psycopg.Connection, payment_id: str) -> dict | None:
    return conn.execute("SELECT * FROM payments WHERE id = %s FOR UPDATE",
                        (payment_id,)).fetchone()


def payment_for_intent(conn: psycopg.Connection, outbox: OutboxWriter,
                       payment_intent_id: str | None) -> dict | None:
    """The payment of a PaymentIntent, numbered and locked, for a webhook about its money.

    A payment still unnumbered (a crash left it between its transaction and the numbering
    step) is numbered here first, its year's lock taken before its row's as the step does.
    """
    if not payment_intent_id:
        return None
    found = conn.execute("SELECT id FROM payments WHERE stripe_payment_intent_id = %s",
                         (payment_intent_id,)).fetchone()
    if found is None:
        return None
    numbering.number_payment(conn, outbox, str(found["id"]))
    return payment_for_update(conn, str(found["id"]))


def record_refund(conn: psycopg.Connection, outbox: OutboxWriter, payment: dict, amount: int, *,
                  stripe_refund_id: str | None, reason: str | None, requested_by: str,
                  refunded_at: datetime) -> str | None:
    """Enter one refund of `payment` (locked by the caller) and emit `payment_refunded`.

    None when this Stripe refund is already recorded: the staff call records it at once and
    Stripe's charge.refunded arrives later about the same refund.
    """
    left = payment["amount"] - payment["refunded_amount"]
    amount = min(amount, left)
    if amount <= 0:
        return None
    refund_id = str(uuid.uuid4())
    inserted = conn.execute(
        "INSERT INTO refunds (id, payment_id, amount, stripe_refund_id, reason, requested_by,"
        " refunded_at) VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
        (refund_id, payment["id"], amount, stripe_refund_id, reason, requested_by, refunded_at),
    )
    if inserted.rowcount == 0:
        return None
    total = payment["refunded_amount"] + amount
    conn.execute("UPDATE payments SET refunded_amount = %s WHERE id = %s", (total, payment["id"]))
    outbox.add(conn, "payment_refunded", {
        **supporter(conn, payment["supporter_id"]).event_fields(),
        "payment_id": str(payment["id"]), "refund_id": refund_id, "source": payment["source"],
        "receipt_number": numbering.require_number(payment), "amount": amount,
        "payment_amount": payment["amount"], "refunded_total": total,
        "fully_refunded": total == payment["amount"], "currency": "jpy",
        "refunded_at": refunded_at.isoformat(),
    })
    return refund_id


def record_charge_refunds(conn: psycopg.Connection, outbox: OutboxWriter,
                          charge: dict[str, Any]) -> list[str]:
    """charge.refunded: enter every refund of the charge the ledger does not have yet (made in
    Stripe's dashboard, or a staff refund whose own bookkeeping was lost)."""
    payment = payment_for_intent(conn, outbox, charge.get("payment_intent"))
    if payment is None:
        return []
    recorded: list[str] = []
    listed = (charge.get("refunds") or {}).get("data") or []
    for refund in sorted(listed, key=lambda r: (r.get("created") or 0, r.get("id") or "")):
        if refund.get("status") not in (None, "succeeded"):
            continue
        refund_id = record_refund(
            conn, outbox, payment, int(refund["amount"]), stripe_refund_id=refund["id"],
            reason=refund.get("reason"), requested_by="stripe",
            refunded_at=_stamp(refund.get("created")))
        if refund_id:
            recorded.append(refund_id)
            payment = payment_for_update(conn, payment["id"])
    if not listed:
        # Newer API versions leave `refunds` out: fall back to the refunded total.
        missing = int(charge.get("amount_refunded") or 0) - payment["refunded_amount"]
        if missing > 0:
            refund_id = record_refund(
                conn, outbox, payment, missing,
                stripe_refund_id=f"{charge['id']}:{charge.get('amount_refunded')}",
                reason=None, requested_by="stripe", refunded_at=datetime.now(UTC))
            if refund_id:
                recorded.append(refund_id)
    return recorded


def flag_dispute(conn: psycopg.Connection, outbox: OutboxWriter,
                 dispute: dict[str, Any]) -> str | None:
    """charge.dispute.created: the donor's bank contests the payment; staff must answer it.

    The payment is flagged and `payment_disputed` emitted only the first time: staff answer a
    contested payment once, so a second dispute about it (or the same one sent again) updates
    the dispute's id and reason but raises no second alert.
    """
    payment = payment_for_intent(conn, outbox, dispute.get("payment_intent"))
    if payment is None:
        return None
    disputed_at = _stamp(dispute.get("created"))
    conn.execute(
        "UPDATE payments SET disputed_at = COALESCE(disputed_at, %s), dispute_id = %s,"
        " dispute_reason = %s WHERE id = %s",
        (disputed_at, dispute.get("id"), dispute.get("reason"), payment["id"]))
    if payment["disputed_at"] is None:  # the row is locked: no concurrent first flag
        due_by = (dispute.get("evidence_details") or {}).get("due_by")
        outbox.add(conn, "payment_disputed", {
            "payment_id": str(payment["id"]), "receipt_number": numbering.require_number(payment),
            "source": payment["source"],
            "amount": int(dispute.get("amount") or payment["amount"]), "currency": "jpy",
            "dispute_id": dispute["id"],
            # Stripe always gives a reason; "general" is its own catch-all should one lack it.
            "reason": dispute.get("reason") or "general",
            "disputed_at": disputed_at.isoformat(),
            "evidence_due_by": _stamp(due_by).isoformat() if due_by else None,
        })
    return str(payment["id"])


def _stamp(seconds: Any) -> datetime:
    if seconds:
        return datetime.fromtimestamp(int(seconds), UTC)
    return datetime.now(UTC)




def note_bank_transfer(conn: psycopg.Connection, outbox: OutboxWriter, data: dict) -> str:
    """A donor's word that they transferred money: not money in the ledger until staff see it
    arrive and record it (record_staff_payment), so only the supporter and the event."""
    donor = DonorDetails.of(data)
    payer = find_or_add_supporter(conn, data["name"], data["email"], data["locale"], donor)
    notice_id = str(uuid.uuid4())
    outbox.add(conn, "bank_transfer_notified", {
        **payer.event_fields(), "notice_id": notice_id, "amount": data["amount"],
        "currency": "jpy", "transferred_on": data["transferred_on"].isoformat(),
        "payer_name": data["payer_name"], "message": data["message"],
        "donor_kind": donor.kind, "receipt_requested": donor.postal_address is not None,
        "notified_at": datetime.now(UTC).isoformat(),
    })
    return notice_id
