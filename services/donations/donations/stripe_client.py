"""Stripe adapter for the donations service.

Callers get plain results and our own exceptions; nothing outside this module imports `stripe`.
The same calls work on real Stripe and on localstripe (the emulator used in tests and `make run`),
which is why subscriptions use the legacy `plan` parameter (localstripe does not know `price`)
and why no parameter is sent that localstripe would reject as unknown.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import stripe

MONTHLY_PLAN_ID = "jii-monthly-jpy-1"
CURRENCY = "jpy"
# Locales Stripe can send its own emails/receipts in; others (e.g. "ne") fall back to English.
_STRIPE_LOCALES = {"ja", "en"}


class StripeFailure(Exception):
    """Base class of every error this adapter raises."""


class CardDeclined(StripeFailure):
    """The card was refused; `reason` is the bank's decline code when Stripe gives one."""

    def __init__(
        self,
        message: str,
        *,
        code: str | None,
        decline_code: str | None = None,
        payment_intent_id: str | None = None,
        subscription_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.decline_code = decline_code
        self.payment_intent_id = payment_intent_id
        self.subscription_id = subscription_id

    @property
    def reason(self) -> str:
        return self.decline_code or self.code or "card_declined"


class AuthenticationRequired(StripeFailure):
    """The payment needs the cardholder (3-D Secure) and cannot be completed server-side."""

    def __init__(self, message: str, *, payment_intent_id: str | None = None) -> None:
        super().__init__(message)
        self.payment_intent_id = payment_intent_id


class StripeUnavailable(StripeFailure):
    """Network error, timeout, rate limit or Stripe 5xx: safe to retry with the same key."""


class StripeRequestRejected(StripeFailure):
    """Stripe refused the request itself: bad parameters (`invalid_request`, such as a
    PaymentMethod it does not know) or our own credentials (a bad key: a config error)."""

    def __init__(self, message: str, *, invalid_request: bool = False) -> None:
        super().__init__(message)
        self.invalid_request = invalid_request


class CardNotSet(StripeFailure):
    """A card update that cannot be finished: the SetupIntent is not confirmed or not ours."""


class BadSignature(StripeFailure):
    """A webhook body did not verify against its Stripe-Signature header and our secret."""


@dataclass(frozen=True)
class PaymentOutcome:
    """What the site needs after creating a pledge or a one-time payment.

    `client_secret` is set only when `requires_action` (3-D Secure in the browser via Stripe.js).
    """

    payment_intent_id: str | None
    payment_intent_status: str | None
    client_secret: str | None

    @property
    def requires_action(self) -> bool:
        return self.payment_intent_status == "requires_action"

    @property
    def succeeded(self) -> bool:
        return self.payment_intent_status == "succeeded"


@dataclass(frozen=True)
class PledgeSubscription:
    customer_id: str
    subscription_id: str
    subscription_status: str
    invoice_id: str | None
    invoice_status: str | None
    payment: PaymentOutcome


@dataclass(frozen=True)
class WebhookEvent:
    id: str
    type: str
    created: int  # Unix seconds, UTC
    object: dict[str, Any]  # event.data.object, as plain JSON
    raw: dict[str, Any]


@dataclass(frozen=True)
class CardUpdate:
    payment_method: str
    retried_invoices: tuple[str, ...]  # open invoices paid again with the new card


@dataclass(frozen=True)
class RefundResult:
    id: str
    amount: int
    status: str
    created: int


class StripeClient:
    def __init__(
        self,
        api_key: str,
        *,
        api_base: str | None = None,
        connect_timeout: float = 3.0,
        read_timeout: float = 15.0,
        max_network_retries: int = 2,
    ) -> None:
        # localstripe lacks a few parameters real Stripe needs (proration_behavior,
        # pause_collection); they are sent only when talking to Stripe itself.
        self.emulator = bool(api_base) and "stripe.com" not in (api_base or "")
        self._stripe = stripe.StripeClient(
            api_key,
            base_addresses={"api": api_base} if api_base else None,
            max_network_retries=max_network_retries,
            http_client=stripe.RequestsClient(timeout=(connect_timeout, read_timeout)),
        )

    def ensure_monthly_plan(self) -> str:
        """Return the id of the ¥1/month plan (created on first use); quantity = yen per month."""
        try:
            return self._stripe.v1.plans.retrieve(MONTHLY_PLAN_ID).id
        except stripe.InvalidRequestError as exc:
            if exc.http_status != 404:
                raise _translate(exc) from exc
        except stripe.StripeError as exc:
            raise _translate(exc) from exc
        params: Any = {
            "id": MONTHLY_PLAN_ID,
            "amount": 1,
            "currency": CURRENCY,
            "interval": "month",
            "product": {"name": "JII Partners monthly donation"},
        }
        try:
            return self._stripe.v1.plans.create(
                params, {"idempotency_key": f"plan:{MONTHLY_PLAN_ID}"}
            ).id
        except stripe.StripeError as create_exc:
            # Another process may have created it between our retrieve and create.
            try:
                return self._stripe.v1.plans.retrieve(MONTHLY_PLAN_ID).id
            except stripe.StripeError:
                raise _translate(create_exc) from create_exc

    def create_pledge_subscription(
        self,
        *,
        email: str,
        name: str,
        locale: str,
        payment_method: str,
        amount: int,
        pledge_id: str,
        idempotency_key: str,
    ) -> PledgeSubscription:
        """Create a Customer paying by `payment_method` and a monthly Subscription of `amount` yen.

        Raises CardDeclined if the card is refused (when attached or on the first charge). A card
        that needs 3-D Secure is not an error: the result has `payment.requires_action` and the
        client secret for the browser.
        """
        if not isinstance(amount, int) or amount <= 0:
            raise ValueError("amount must be a positive whole number of yen")
        plan_id = self.ensure_monthly_plan()
        metadata = {"pledge_id": pledge_id}
        customer_params: Any = {
            "email": email,
            "name": name,
            "preferred_locales": [locale if locale in _STRIPE_LOCALES else "en"],
            "payment_method": payment_method,
            "invoice_settings": {"default_payment_method": payment_method},
            "metadata": metadata,
        }
        subscription_params: Any = {
            "items": [{"plan": plan_id, "quantity": amount}],
            "metadata": metadata,
            # Keep the subscription (status "incomplete") when 3-D Secure is needed.
            "payment_behavior": "allow_incomplete",
            "expand": ["latest_invoice"],
        }
        try:
            customer = self._stripe.v1.customers.create(
                customer_params, {"idempotency_key": f"{idempotency_key}:customer"}
            )
            subscription_params["customer"] = customer.id
            subscription = _plain(self._stripe.v1.subscriptions.create(
                subscription_params, {"idempotency_key": f"{idempotency_key}:subscription"}
            ))
            invoice = subscription.get("latest_invoice")
            if isinstance(invoice, str):
                invoice = _plain(self._stripe.v1.invoices.retrieve(invoice))
            payment = self._payment_of_invoice(invoice)
        except stripe.StripeError as exc:
            raise _translate(exc) from exc
        _raise_if_declined(payment, subscription_id=subscription["id"])
        return PledgeSubscription(
            customer_id=customer.id,
            subscription_id=subscription["id"],
            subscription_status=subscription["status"],
            invoice_id=invoice["id"] if invoice else None,
            invoice_status=invoice.get("status") if invoice else None,
            payment=_outcome(payment),
        )

    def create_one_time_payment(
        self,
        *,
        payment_method: str,
        amount: int,
        donation_id: str,
        idempotency_key: str,
    ) -> PaymentOutcome:
        """Create and confirm a PaymentIntent for `amount` yen (on-session: 3-D Secure allowed).

        No receipt_email: localstripe rejects it, and our notifications service sends receipts.
        """
        if not isinstance(amount, int) or amount <= 0:
            raise ValueError("amount must be a positive whole number of yen")
        params: Any = {
            "amount": amount,
            "currency": CURRENCY,
            "payment_method": payment_method,
            # Card only, so real Stripe needs no return_url for redirect-based methods.
            "payment_method_types": ["card"],
            "confirm": True,
            "metadata": {"donation_id": donation_id},
        }
        try:
            intent = self._stripe.v1.payment_intents.create(
                params, {"idempotency_key": f"{idempotency_key}:payment_intent"}
            )
        except stripe.StripeError as exc:
            raise _translate(exc) from exc
        payment = _plain(intent)
        _raise_if_declined(payment)
        return _outcome(payment)

    def start_card_update(self, *, customer_id: str, pledge_id: str,
                          idempotency_key: str) -> str:
        """A SetupIntent for the supporter's new card; its client secret goes to Stripe.js."""
        params: Any = {"customer": customer_id, "payment_method_types": ["card"],
                       "usage": "off_session", "metadata": {"pledge_id": pledge_id}}
        try:
            intent = self._stripe.v1.setup_intents.create(
                params, {"idempotency_key": f"{idempotency_key}:setup_intent"})
        except stripe.StripeError as exc:
            raise _translate(exc) from exc
        return intent.client_secret

    def finish_card_update(self, *, customer_id: str, subscription_id: str,
                           setup_intent_id: str, pledge_id: str) -> CardUpdate:
        """Make the card of a succeeded SetupIntent the pledge's card, then pay again every
        invoice left open by the old one.

        Raises CardNotSet when the SetupIntent is not this pledge's or not completed, and
        CardDeclined when the new card is refused for an open invoice (it stays the card).
        """
        try:
            intent = _plain(self._stripe.v1.setup_intents.retrieve(setup_intent_id))
        except stripe.InvalidRequestError as exc:
            if exc.http_status == 404:
                raise CardNotSet("no such card set-up") from exc
            raise _translate(exc) from exc
        except stripe.StripeError as exc:
            raise _translate(exc) from exc
        if (intent.get("customer") != customer_id
                or (intent.get("metadata") or {}).get("pledge_id") != pledge_id):
            raise CardNotSet("this card set-up belongs to someone else")
        method = intent.get("payment_method")
        if isinstance(method, dict):
            method = method.get("id")
        if intent.get("status") != "succeeded" or not method:
            raise CardNotSet("the card was not confirmed")
        try:
            self._attach(method, customer_id)
            self._stripe.v1.customers.update(
                customer_id, {"invoice_settings": {"default_payment_method": method}})
            if not self.emulator:  # localstripe's subscriptions have no default_payment_method
                self._stripe.v1.subscriptions.update(
                    subscription_id, {"default_payment_method": method})
            listed = self._stripe.v1.invoices.list({"subscription": subscription_id,
                                                    "limit": 10})
            open_ids = [i.id for i in listed.data if i.status == "open"]
            paid = [self._stripe.v1.invoices.pay(invoice_id) for invoice_id in open_ids]
        except stripe.StripeError as exc:
            raise _translate(exc) from exc
        if any(invoice.status != "paid" for invoice in paid):
            # Stripe answers a refused card with an error; localstripe leaves the invoice open.
            raise CardDeclined("Your card was declined.", code="card_declined")
        return CardUpdate(payment_method=method,
                          retried_invoices=tuple(invoice.id for invoice in paid))

    def _attach(self, payment_method: str, customer_id: str) -> None:
        # Stripe attaches a SetupIntent's card to its customer itself; localstripe does not.
        current = _plain(self._stripe.v1.payment_methods.retrieve(payment_method))
        if current.get("customer") != customer_id:
            self._stripe.v1.payment_methods.attach(payment_method, {"customer": customer_id})

    def refund(
        self, *, payment_intent_id: str, amount: int, idempotency_key: str
    ) -> RefundResult:
        """Refund `amount` yen of a succeeded PaymentIntent (full or partial)."""
        if not isinstance(amount, int) or amount <= 0:
            raise ValueError("amount must be a positive whole number of yen")
        params: Any = {"payment_intent": payment_intent_id, "amount": amount}
        try:
            refund = _plain(self._stripe.v1.refunds.create(
                params, {"idempotency_key": f"{idempotency_key}:refund"}))
        except stripe.StripeError as exc:
            raise _translate(exc) from exc
        return RefundResult(refund["id"], int(refund["amount"]), refund.get("status") or "",
                            int(refund.get("created") or 0))

    def change_pledge_amount(self, *, subscription_id: str, amount: int) -> None:
        """Set the monthly amount of the same subscription (quantity of the ¥1 plan).

        No new subscription and no immediate invoice: the next monthly invoice has the new
        amount. On real Stripe proration is switched off so nothing is charged in between.
        """
        if not isinstance(amount, int) or amount <= 0:
            raise ValueError("amount must be a positive whole number of yen")
        try:
            sub = _plain(self._stripe.v1.subscriptions.retrieve(subscription_id))
            item_id = sub["items"]["data"][0]["id"]
            params: Any = {"items": [{"id": item_id, "quantity": amount}]}
            if not self.emulator:
                params["proration_behavior"] = "none"
            self._stripe.v1.subscriptions.update(subscription_id, params)
        except stripe.StripeError as exc:
            raise _translate(exc) from exc

    def pause_pledge(self, *, subscription_id: str, paused: bool) -> None:
        """Stop (or restart) collecting a subscription's invoices without ending it.

        localstripe has no `pause_collection` and never bills on its own, so there it is a
        no-op; on Stripe, invoices made while paused are voided.
        """
        if self.emulator:
            return
        params: Any = {"pause_collection": {"behavior": "void"} if paused else ""}
        try:
            self._stripe.v1.subscriptions.update(subscription_id, params)
        except stripe.StripeError as exc:
            raise _translate(exc) from exc

    def cancel_subscription(self, subscription_id: str) -> None:
        """End a subscription now; an already ended one is not an error."""
        _unless_gone(self._stripe.v1.subscriptions.cancel, subscription_id)

    def delete_customer(self, customer_id: str) -> None:
        """Erase a customer (and its personal data) at Stripe; a missing one is fine."""
        _unless_gone(self._stripe.v1.customers.delete, customer_id)

    def list_events(self, since: int) -> list[dict[str, Any]]:
        """Every event Stripe created at or after `since` (Unix seconds), oldest first."""
        events: list[dict[str, Any]] = []
        params: Any = {"created": {"gte": since}, "limit": 100}
        try:
            while True:
                page = self._stripe.v1.events.list(params)
                batch = [_plain(e) for e in page.data]
                events.extend(batch)
                if not page.has_more or not batch:
                    break
                params["starting_after"] = batch[-1]["id"]
        except stripe.StripeError as exc:
            raise _translate(exc) from exc
        return sorted(events, key=lambda e: (e["created"], e["id"]))

    def construct_webhook_event(
        self, raw_body: bytes, signature_header: str | None, secret: str, tolerance: int = 300
    ) -> WebhookEvent:
        return construct_webhook_event(raw_body, signature_header, secret, tolerance)

    def _payment_of_invoice(self, invoice: dict[str, Any] | None) -> dict[str, Any] | None:
        if not invoice:
            return None
        # localstripe and Stripe API versions before 2025-03-31 put the PaymentIntent on the
        # invoice; later versions list it under invoice.payments.
        pi_ref = invoice.get("payment_intent")
        if pi_ref is None and "payment_intent" not in invoice:
            full = _plain(
                self._stripe.v1.invoices.retrieve(invoice["id"], {"expand": ["payments"]})
            )
            for entry in (full.get("payments") or {}).get("data", []):
                pi_ref = (entry.get("payment") or {}).get("payment_intent")
                if pi_ref:
                    break
        if pi_ref is None:
            return None  # nothing to pay (e.g. a ¥0 invoice)
        if isinstance(pi_ref, dict):
            return pi_ref
        return _plain(self._stripe.v1.payment_intents.retrieve(pi_ref))


def construct_webhook_event(
    raw_body: bytes, signature_header: str | None, secret: str, tolerance: int = 300
) -> WebhookEvent:
    """Verify a webhook's Stripe-Signature over the exact raw body, then parse it.

    Raises BadSignature on a missing/wrong signature, a stale timestamp or a body that is not
    a Stripe event.
    """
    try:
        stripe.WebhookSignature.verify_header(raw_body, signature_header, secret, tolerance)
        raw = json.loads(raw_body)
    except (stripe.SignatureVerificationError, UnicodeDecodeError, ValueError) as exc:
        raise BadSignature(str(exc).split("\n")[0]) from exc
    if not isinstance(raw, dict) or raw.get("object") != "event":
        raise BadSignature("signed body is not a Stripe event")
    return event_from_json(raw)


def event_from_json(raw: dict[str, Any]) -> WebhookEvent:
    """A Stripe event as listed by the API (reconciliation) or received by webhook."""
    try:
        return WebhookEvent(
            id=raw["id"],
            type=raw["type"],
            created=int(raw["created"]),
            object=raw["data"]["object"],
            raw=raw,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise BadSignature(f"not a Stripe event: {exc}") from exc


def invoice_subscription_id(invoice: Mapping[str, Any]) -> str | None:
    """Subscription id of an invoice object, for both old and 2025-03-31+ API shapes."""
    if invoice.get("subscription"):
        return invoice["subscription"]
    parent = invoice.get("parent") or {}
    return (parent.get("subscription_details") or {}).get("subscription")


def _unless_gone(call: Any, object_id: str) -> None:
    """Ask Stripe to end or erase an object; one that is already gone (404) is the same result."""
    try:
        call(object_id)
    except stripe.InvalidRequestError as exc:
        if exc.http_status != 404:
            raise _translate(exc) from exc
    except stripe.StripeError as exc:
        raise _translate(exc) from exc


def _plain(obj: stripe.StripeObject) -> dict[str, Any]:
    return obj.to_dict(recursive=True)


def _outcome(payment: dict[str, Any] | None) -> PaymentOutcome:
    if payment is None:
        return PaymentOutcome(None, None, None)
    status = payment.get("status")
    return PaymentOutcome(
        payment_intent_id=payment.get("id"),
        payment_intent_status=status,
        client_secret=payment.get("client_secret") if status == "requires_action" else None,
    )


def _raise_if_declined(
    payment: dict[str, Any] | None, *, subscription_id: str | None = None
) -> None:
    # With allow_incomplete a refused first charge is not an HTTP error: the PaymentIntent goes
    # back to requires_payment_method and carries the reason.
    if not payment or payment.get("status") != "requires_payment_method":
        return
    error = payment.get("last_payment_error") or {}
    if not error:
        return
    raise CardDeclined(
        error.get("message") or "Your card was declined.",
        code=error.get("code"),
        decline_code=error.get("decline_code"),
        payment_intent_id=payment.get("id"),
        subscription_id=subscription_id,
    )


def _translate(exc: stripe.StripeError) -> StripeFailure:
    if isinstance(exc, stripe.CardError):
        err = exc.error
        pi = getattr(err, "payment_intent", None) if err is not None else None
        pi_id = getattr(pi, "id", pi)
        if exc.code == "authentication_required":
            return AuthenticationRequired(exc.user_message or str(exc), payment_intent_id=pi_id)
        return CardDeclined(
            exc.user_message or "Your card was declined.",
            code=exc.code,
            decline_code=getattr(err, "decline_code", None) if err is not None else None,
            payment_intent_id=pi_id,
        )
    if isinstance(exc, stripe.APIConnectionError | stripe.RateLimitError | stripe.APIError):
        return StripeUnavailable(f"{type(exc).__name__}: {exc.user_message or exc}")
    return StripeRequestRejected(
        f"{type(exc).__name__} (HTTP {exc.http_status}, code {exc.code}): {exc.user_message}",
        invalid_request=isinstance(exc, stripe.InvalidRequestError),
    )
