"""What each Stripe event does to the ledger and the pledges (the webhook is the source of truth).

`apply` runs inside the transaction that recorded the event id, so an event is applied exactly
once whatever the number of deliveries, and a failure rolls both back for Stripe to resend.
"""

from __future__ import annotations

from typing import Any

import psycopg
from servicekit.events.outbox import OutboxWriter

from donations import ledger, pledges
from donations.stripe_client import WebhookEvent, invoice_subscription_id

INVOICE_PAID = ("invoice.paid", "invoice.payment_succeeded")
HANDLED = (*INVOICE_PAID, "invoice.payment_failed", "payment_intent.succeeded",
           "payment_intent.payment_failed", "customer.subscription.updated",
           "customer.subscription.deleted", "charge.refunded", "charge.dispute.created")


class NotYetKnown(Exception):
    """The event is about a pledge we have not linked to its subscription yet (our own write is
    a moment behind Stripe's webhook); refusing it makes Stripe send it again later."""


def apply(conn: psycopg.Connection, outbox: OutboxWriter, links: pledges.LinkMaker,
          event: WebhookEvent, receipt_link: ledger.ReceiptLink | None = None) -> str:
    """Apply one event; returns a short note of what it did, kept with the event id."""
    obj = event.object
    if event.type not in HANDLED:
        return "ignored: type not handled"
    currency = (obj.get("currency") or "jpy").lower()
    if currency != "jpy":
        return f"ignored: currency {currency}"
    if event.type in INVOICE_PAID or event.type == "invoice.payment_failed":
        return _invoice(conn, outbox, links, event)
    if event.type.startswith("payment_intent."):
        return _payment_intent(conn, outbox, event, receipt_link)
    if event.type.startswith("customer.subscription."):
        pledge = pledges.load(conn, subscription_id=obj.get("id"))
        if pledge is None:
            return _unknown_subscription(conn, obj)
        changed = pledges.apply_subscription(
            conn, outbox, links, pledge, obj, event.created,
            deleted=event.type.endswith(".deleted"))
        return f"pledge {changed}" if changed else "no change"
    if event.type == "charge.refunded":
        recorded = ledger.record_charge_refunds(conn, outbox, obj)
        return f"{len(recorded)} refund(s) recorded" if recorded else "no new refund"
    # charge.dispute.created
    payment_id = ledger.flag_dispute(conn, outbox, obj)
    return f"payment {payment_id} disputed" if payment_id else "ignored: payment not ours"


def _invoice(conn: psycopg.Connection, outbox: OutboxWriter, links: pledges.LinkMaker,
             event: WebhookEvent) -> str:
    invoice = event.object
    subscription_id = invoice_subscription_id(invoice)
    if not subscription_id:
        return "ignored: not a subscription invoice"
    pledge = pledges.load(conn, subscription_id=subscription_id)
    if pledge is None:
        # Stripe can announce the first invoice before our own write linking the
        # subscription to its pledge has committed.
        raise NotYetKnown(subscription_id)
    if event.type == "invoice.payment_failed":
        reason = _failure_reason(invoice)
        pledges.mark_past_due(conn, outbox, links, pledge, invoice, reason)
        return f"payment failed: {reason}"
    payment_id = pledges.record_invoice_payment(conn, outbox, links, pledge, invoice)
    return f"payment {payment_id}" if payment_id else "already recorded"


def _payment_intent(conn: psycopg.Connection, outbox: OutboxWriter, event: WebhookEvent,
                    receipt_link: ledger.ReceiptLink | None) -> str:
    intent = event.object
    if intent.get("invoice"):
        return "ignored: paid through an invoice"  # the invoice events carry it
    donation = ledger.donation_for_intent(conn, intent)
    if donation is None:
        return "ignored: not one of our donations"
    if event.type == "payment_intent.succeeded":
        payment_id = ledger.record_donation_payment(conn, outbox, donation, intent,
                                                    receipt_link)
        return f"payment {payment_id}" if payment_id else "already recorded"
    return "donation failed" if ledger.record_donation_failure(
        conn, outbox, donation, intent) else "no change"


def _unknown_subscription(conn: psycopg.Connection, subscription: dict[str, Any]) -> str:
    # Our subscriptions carry their pledge's id: one whose pledge exists is ours but not
    # linked yet; any other belongs to someone else using the same Stripe account.
    pledge_id = (subscription.get("metadata") or {}).get("pledge_id")
    if pledge_id and conn.execute("SELECT 1 FROM pledges WHERE id::text = %s",
                                  (str(pledge_id),)).fetchone():
        raise NotYetKnown(subscription.get("id"))
    return "ignored: not one of our subscriptions"


def _failure_reason(invoice: dict[str, Any]) -> str:
    intent = invoice.get("payment_intent")
    if isinstance(intent, dict):
        error = intent.get("last_payment_error") or {}
        return error.get("decline_code") or error.get("code") or "card_declined"
    return "card_declined"
