"""A monthly pledge's life: pending → active ⇄ paused; active → past_due → active | canceled.

Every change is a plain function over an open transaction that writes the new state and its
event together. Changes that come from Stripe are applied whatever order they arrive in:
`canceled` is final, and a subscription snapshot older than the last one applied is ignored.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import psycopg
from servicekit.events.outbox import OutboxWriter

from donations import ledger

# Where the self-service page of a pledge is; None when links are not configured.
LinkMaker = Callable[[str], str | None]

ALLOWED = {
    "pending": {"active", "canceled"},
    "active": {"paused", "past_due", "canceled", "active"},
    "paused": {"active", "canceled"},
    "past_due": {"active", "canceled"},
    "canceled": set(),
}


class TransitionRefused(Exception):
    """The pledge cannot go there from where it is (e.g. pausing a canceled pledge).

    Not a `servicekit.domain.Conflict`: the staff and self-service entrypoints map it to a 409,
    but it can also escape from a Stripe webhook (a paused subscription for a past-due pledge),
    where it is answered as a 500 today and a generic 409 would change that answer."""


def load(conn: psycopg.Connection, *, pledge_id: str | None = None,
         subscription_id: str | None = None) -> dict | None:
    """The pledge and its supporter, locked for this transaction."""
    column, value = ("id", pledge_id) if pledge_id else ("stripe_subscription_id", subscription_id)
    return conn.execute(
        f"""
        SELECT p.*, s.name, s.email, s.locale, s.stripe_customer_id
        FROM pledges p JOIN supporters s ON s.id = p.supporter_id
        WHERE p.{column} = %s FOR UPDATE OF p
        """,
        (value,),
    ).fetchone()


CARD_UPDATABLE = ("active", "paused", "past_due")


def check_card_updatable(pledge: dict) -> None:
    if pledge["status"] not in CARD_UPDATABLE or not pledge["stripe_customer_id"] \
            or not pledge["stripe_subscription_id"]:
        raise TransitionRefused(f"the card of a {pledge['status']} pledge cannot be changed")


def view(pledge: dict) -> dict:
    return {"id": str(pledge["id"]), "status": pledge["status"], "amount": pledge["amount"],
            "currency": "jpy",
            "started_at": pledge["started_at"].isoformat() if pledge["started_at"] else None}


def _event(pledge: dict, links: LinkMaker, actor: str, **extra: Any) -> dict:
    data = {
        "supporter_id": str(pledge["supporter_id"]), "name": pledge["name"],
        "email": pledge["email"], "locale": pledge["locale"], "pledge_id": str(pledge["id"]),
        "status": pledge["status"], "amount": pledge["amount"], "currency": "jpy",
        "occurred_at": datetime.now(UTC).isoformat(), "actor": actor, **extra,
    }
    url = links(str(pledge["id"]))
    if url:
        data["manage_url"] = url
    return data


def _set(conn: psycopg.Connection, pledge: dict, status: str, **columns: Any) -> dict:
    if status not in ALLOWED[pledge["status"]]:
        raise TransitionRefused(f"a {pledge['status']} pledge cannot become {status}")
    columns["status"] = status
    assignments = ", ".join(f"{name} = %s" for name in columns)
    conn.execute(f"UPDATE pledges SET {assignments}, updated_at = now() WHERE id = %s",
                 (*columns.values(), pledge["id"]))
    return {**pledge, **columns}


def record_invoice_payment(conn: psycopg.Connection, outbox: OutboxWriter, links: LinkMaker,
                           pledge: dict, invoice: dict[str, Any]) -> str | None:
    """A paid monthly invoice: into the ledger, and the pledge moves on if it was waiting.

    A canceled or paused pledge stays so (the money is recorded all the same): the
    cancellation may simply have overtaken this invoice on the way.
    """
    amount = int(invoice.get("amount_paid") or 0)
    if amount <= 0:
        return None
    anomaly = None
    if amount != pledge["amount"]:
        anomaly = f"pledge is {pledge['amount']} yen a month, invoice paid {amount}"
    # The pledge row is locked, so no other delivery about this pledge is between this check
    # and the insert; the pledge's own event goes first, as it happened first.
    if conn.execute("SELECT 1 FROM payments WHERE stripe_invoice_id = %s",
                    (invoice["id"],)).fetchone():
        return None
    paid_at = _paid_at(invoice)
    first = pledge["status"] == "pending"
    if first:
        pledge = _set(conn, pledge, "active", started_at=paid_at)
        data = _event(pledge, links, "stripe")
        outbox.add(conn, "pledge_started", {
            key: data[key] for key in ("supporter_id", "name", "email", "locale", "pledge_id",
                                       "amount", "currency", "manage_url") if key in data
        } | {"started_at": paid_at.isoformat()})
    elif pledge["status"] == "past_due":
        pledge = _set(conn, pledge, "active")
        outbox.add(conn, "pledge_changed", _event(
            pledge, links, "stripe", change="recovered", previous_amount=pledge["amount"]))
    return ledger.enter_payment(conn, outbox, ledger.NewPayment(
        supporter=ledger.Supporter(str(pledge["supporter_id"]), pledge["name"],
                                   pledge["email"], pledge["locale"]),
        source="monthly", amount=amount, paid_at=paid_at, pledge_id=str(pledge["id"]),
        stripe_invoice_id=invoice["id"], stripe_payment_intent_id=_intent_id(invoice),
        anomaly=anomaly,
    ), first_of_pledge=first, manage_url=links(str(pledge["id"])))


def mark_past_due(conn: psycopg.Connection, outbox: OutboxWriter, links: LinkMaker,
                  pledge: dict, invoice: dict[str, Any], reason: str) -> bool:
    """A monthly invoice failed: the supporter is told, with the link to update the card."""
    amount = int(invoice.get("amount_due") or pledge["amount"])
    url = links(str(pledge["id"]))
    failed = {
        "supporter_id": str(pledge["supporter_id"]), "name": pledge["name"],
        "email": pledge["email"], "locale": pledge["locale"], "pledge_id": str(pledge["id"]),
        "donation_id": None, "source": "monthly", "amount": max(amount, 1), "currency": "jpy",
        "failure_reason": reason, "failed_at": datetime.now(UTC).isoformat(),
    }
    if url:
        failed["update_card_url"] = url
    outbox.add(conn, "payment_failed", failed)
    if pledge["status"] != "active":
        return False  # pending (the first charge) has its own answer; past_due already is
    pledge = _set(conn, pledge, "past_due")
    extra = {"failure_reason": reason}
    if url:
        extra["update_card_url"] = url
    outbox.add(conn, "pledge_past_due", _event(pledge, links, "stripe", **extra))
    return True


def cancel(conn: psycopg.Connection, outbox: OutboxWriter, links: LinkMaker, pledge: dict,
           reason: str, actor: str) -> dict:
    if pledge["status"] == "canceled":
        return pledge
    pledge = _set(conn, pledge, "canceled", cancel_reason=reason, canceled_by=actor,
                  canceled_at=datetime.now(UTC))
    outbox.add(conn, "pledge_canceled", _event(pledge, links, actor, reason=reason))
    return pledge


def pause(conn: psycopg.Connection, outbox: OutboxWriter, links: LinkMaker, pledge: dict,
          actor: str) -> dict:
    if pledge["status"] == "paused":
        return pledge
    if pledge["status"] != "active":
        raise TransitionRefused(f"only an active pledge can be paused (it is {pledge['status']})")
    pledge = _set(conn, pledge, "paused", paused_at=datetime.now(UTC))
    outbox.add(conn, "pledge_paused", _event(pledge, links, actor))
    return pledge


def resume(conn: psycopg.Connection, outbox: OutboxWriter, links: LinkMaker, pledge: dict,
           actor: str) -> dict:
    if pledge["status"] == "active":
        return pledge
    if pledge["status"] != "paused":
        raise TransitionRefused(f"only a paused pledge can be resumed (it is {pledge['status']})")
    pledge = _set(conn, pledge, "active", paused_at=None)
    outbox.add(conn, "pledge_changed", _event(
        pledge, links, actor, change="resumed", previous_amount=pledge["amount"]))
    return pledge


def change_amount(conn: psycopg.Connection, outbox: OutboxWriter, links: LinkMaker,
                  pledge: dict, amount: int, actor: str) -> dict:
    if pledge["status"] not in ("active", "paused", "past_due"):
        raise TransitionRefused(f"a {pledge['status']} pledge cannot be changed")
    previous = pledge["amount"]
    if amount == previous:
        return pledge
    conn.execute("UPDATE pledges SET amount = %s, updated_at = now() WHERE id = %s",
                 (amount, pledge["id"]))
    pledge = {**pledge, "amount": amount}
    outbox.add(conn, "pledge_changed", _event(
        pledge, links, actor, change="amount", previous_amount=previous))
    return pledge


STRIPE_STATUS = {
    "active": "active", "trialing": "active", "past_due": "past_due", "unpaid": "past_due",
    "canceled": "canceled", "incomplete_expired": "canceled",
}


def apply_subscription(conn: psycopg.Connection, outbox: OutboxWriter, links: LinkMaker,
                       pledge: dict, subscription: dict[str, Any], created: int,
                       deleted: bool) -> str | None:
    """customer.subscription.updated|deleted: bring the pledge to the state Stripe reports.

    Returns what changed, or None. Changes we made ourselves come back as updates that match
    our state already and change nothing.
    """
    if pledge["status"] == "canceled":
        return None
    if deleted:
        cancel(conn, outbox, links, pledge, _cancel_reason(subscription), "stripe")
        return "canceled"
    if created < pledge["stripe_state_at"]:
        return None  # an older snapshot than one already applied
    conn.execute("UPDATE pledges SET stripe_state_at = %s WHERE id = %s",
                 (created, pledge["id"]))
    quantity = _quantity(subscription)
    changed = None
    if quantity and quantity != pledge["amount"] and pledge["status"] != "pending":
        pledge = change_amount(conn, outbox, links, pledge, quantity, "stripe")
        changed = "amount"
    target = STRIPE_STATUS.get(subscription.get("status") or "")
    if subscription.get("pause_collection") and target == "active":
        target = "paused"
    if target is None or target == pledge["status"] or pledge["status"] == "pending":
        # A pending pledge starts only with its first paid invoice, which carries the receipt.
        return changed
    if target == "canceled":
        cancel(conn, outbox, links, pledge, _cancel_reason(subscription), "stripe")
    elif target == "paused":
        pause(conn, outbox, links, pledge, "stripe")
    elif target == "past_due" and pledge["status"] == "active":
        pledge = _set(conn, pledge, "past_due")
        outbox.add(conn, "pledge_past_due", _event(
            pledge, links, "stripe", failure_reason="subscription past due"))
    elif target == "active" and pledge["status"] == "paused":
        resume(conn, outbox, links, pledge, "stripe")
    elif target == "active" and pledge["status"] == "past_due":
        pledge = _set(conn, pledge, "active")
        outbox.add(conn, "pledge_changed", _event(
            pledge, links, "stripe", change="recovered", previous_amount=pledge["amount"]))
    else:
        return changed
    return target


def _cancel_reason(subscription: dict[str, Any]) -> str:
    details = subscription.get("cancellation_details") or {}
    return (details.get("comment") or details.get("reason")
            or "the subscription ended at Stripe")


def _quantity(subscription: dict[str, Any]) -> int | None:
    items = (subscription.get("items") or {}).get("data") or []
    if items and items[0].get("quantity"):
        return int(items[0]["quantity"])
    quantity = subscription.get("quantity")
    return int(quantity) if quantity else None


def _intent_id(invoice: dict[str, Any]) -> str | None:
    intent = invoice.get("payment_intent")
    if isinstance(intent, dict):
        return intent.get("id")
    return intent


def _paid_at(invoice: dict[str, Any]) -> datetime:
    transitions = invoice.get("status_transitions") or {}
    stamp = transitions.get("paid_at") or invoice.get("created")
    if stamp:
        return datetime.fromtimestamp(int(stamp), UTC)
    return datetime.now(UTC)


def send_links(conn: psycopg.Connection, outbox: OutboxWriter, links: LinkMaker,
               email: str) -> int:
    """One `pledge_link_requested` per pledge still running for this address; how many."""
    rows = conn.execute(
        """
        SELECT p.*, s.name, s.email, s.locale FROM pledges p
        JOIN supporters s ON s.id = p.supporter_id
        WHERE lower(s.email) = lower(%s) AND s.anonymized_at IS NULL
          AND p.status IN ('active', 'paused', 'past_due')
        ORDER BY p.created_at
        """, (email,)).fetchall()
    for pledge in rows:
        url = links(str(pledge["id"]))
        if not url:
            continue
        outbox.add(conn, "pledge_link_requested", {
            "supporter_id": str(pledge["supporter_id"]), "name": pledge["name"],
            "email": pledge["email"], "locale": pledge["locale"], "pledge_id": str(pledge["id"]),
            "status": pledge["status"], "amount": pledge["amount"], "currency": "jpy",
            "manage_url": url, "requested_at": datetime.now(UTC).isoformat(),
        })
    return len(rows)
