"""The donations service's entrypoints: thin, turning each call into ledger operations."""

from __future__ import annotations

from marshmallow import ValidationError
from nameko.dependency_providers import Config
from nameko.rpc import rpc
from servicekit import errors
from servicekit.db import Database
from servicekit.events import Outbox, OutboxRelay
from servicekit.logging import LogContext

from donations import ledger
from donations.schemas import PledgeRequest
from donations.stripe_client import (
    BadSignature,
    CardDeclined,
    StripeFailure,
    StripeUnavailable,
    invoice_subscription_id,
)
from donations.stripe_provider import Stripe

INVOICE_PAID = ("invoice.paid", "invoice.payment_succeeded")


class DonationsService:
    name = "donations"

    db = Database()
    outbox = Outbox()
    relay = OutboxRelay()
    stripe = Stripe()
    log = LogContext()
    config = Config()

    @rpc
    def ping(self) -> dict:
        with self.db.transaction() as conn:
            conn.execute("SELECT 1")
        return {"service": self.name, "ok": True}

    @rpc
    def create_pledge(self, request: dict) -> dict:
        """Start a monthly pledge: the pledge is pending until Stripe's webhook says it was paid."""
        data = self._load(PledgeRequest, request)
        # The pledge exists before Stripe is called, so the webhook can always find it.
        with self.db.transaction() as conn:
            supporter = ledger.add_supporter(conn, data["name"], data["email"], data["locale"])
            pledge_id = ledger.add_pending_pledge(conn, supporter, data["amount"])
        try:
            result = self.stripe.client.create_pledge_subscription(
                email=data["email"], name=data["name"], locale=data["locale"],
                payment_method=data["payment_method"], amount=data["amount"],
                pledge_id=pledge_id, idempotency_key=f"pledge:{pledge_id}",
            )
        except CardDeclined as exc:
            with self.db.transaction() as conn:
                ledger.cancel_pledge(conn, pledge_id, f"card declined: {exc.reason}")
            raise errors.PaymentDeclined(
                "the card was declined", {"reason": exc.reason, "pledge_id": pledge_id}
            ) from None
        except StripeUnavailable:
            raise errors.Unavailable("the payment provider did not answer; try again") from None
        except StripeFailure as exc:
            with self.db.transaction() as conn:
                ledger.cancel_pledge(conn, pledge_id, "payment provider refused the request")
            raise errors.InvalidInput(
                "the payment provider refused the request",
                {"payment_method": [str(exc)[:200]]},
            ) from None
        with self.db.transaction() as conn:
            ledger.attach_subscription(
                conn, pledge_id, result.customer_id, result.subscription_id
            )
        response = {"id": pledge_id, "status": "pending"}
        if result.payment.requires_action:
            response.update(status="requires_action", client_secret=result.payment.client_secret)
        self.log.info("pledge created", pledge_id=pledge_id, amount=data["amount"])
        return response

    @rpc
    def handle_stripe_webhook(self, raw_body: str, signature: str | None) -> dict:
        """Apply one Stripe event, once, whatever the number of deliveries."""
        try:
            event = self.stripe.client.construct_webhook_event(
                raw_body.encode("utf-8"), signature, self.stripe.webhook_secret
            )
        except BadSignature:
            raise errors.BadSignature("the Stripe signature does not match the body") from None
        with self.db.transaction() as conn:
            if not ledger.first_stripe_delivery(conn, event.id, event.type):
                return {"received": True, "duplicate": True}
            if event.type in INVOICE_PAID:
                try:
                    ledger.record_invoice_payment(
                        conn, self.outbox, event.object, invoice_subscription_id(event.object)
                    )
                except ledger.PledgeNotYetKnown:
                    # Rolled back with the delivery record, so Stripe's retry is applied later.
                    raise errors.Unavailable("pledge not recorded yet; send again") from None
        self.log.info("stripe event applied", stripe_event=event.id, type=event.type)
        return {"received": True, "duplicate": False}

    def _load(self, schema_cls, request: dict) -> dict:
        config = self.config
        schema = schema_cls(
            min_yen=int(config.get("PLEDGE_MIN_YEN", 500)),
            max_yen=int(config.get("PLEDGE_MAX_YEN", 10_000_000)),
        )
        if not isinstance(request, dict):
            raise errors.InvalidInput("the request body must be an object", {})
        try:
            return schema.load(request)
        except ValidationError as exc:
            raise errors.InvalidInput("the pledge is not valid", exc.messages) from None
