"""The donations service's entrypoints: thin, turning each call into ledger operations.

Domain rules live beside this module (`ledger`, `pledges`, `webhooks`, `reports`, `privacy`);
here the one transaction per unit of work is opened, Stripe is called, and the domain's own
exceptions become the servicekit errors the gateway maps to HTTP (those that are
`servicekit.domain` errors, such as `privacy.StillInUse`, by the RPC entrypoint itself).
Requests are loaded, and roles checked, through the operations declared in `api.donations`
(`@serves`).
"""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from datetime import UTC, datetime

from api import donations as api
from api.serving import serves
from nameko.dependency_providers import Config
from nameko.extensions import DependencyProvider
from servicekit import errors, health
from servicekit.caller import Caller
from servicekit.db import Database
from servicekit.events import Outbox, OutboxRelay
from servicekit.logging import LogContext
from servicekit.rpc import rpc
from servicekit.timers import every
from servicekit.tokyo import today_in_tokyo

from donations import (
    corrections,
    ledger,
    numbering,
    pledges,
    privacy,
    receipt_entrypoints,
    reports,
    staff_views,
    tiers,
    webhooks,
)
from donations.links import LinkInvalid, PledgeLinks, site_url
from donations.receipt_entrypoints import uuid_or_404 as _uuid_or_404
from donations.stripe_client import (
    AuthenticationRequired,
    BadSignature,
    CardDeclined,
    CardNotSet,
    StripeFailure,
    StripeUnavailable,
    event_from_json,
)
from donations.stripe_provider import Stripe


class Links(DependencyProvider):
    """Signed self-service links; absent (None) when no secret is configured."""

    def setup(self) -> None:
        config = self.container.config
        secret = config.get("PLEDGE_LINK_SECRET")
        self.links = PledgeLinks(
            str(secret), site_url(config), int(config.get("PLEDGE_LINK_MAX_AGE_DAYS", 400)),
        ) if secret else None

    def get_dependency(self, worker_ctx) -> PledgeLinks | None:
        return self.links


# The mixin is named through its module, so `nameko run donations.service` finds one service.
class DonationsService(receipt_entrypoints.ReceiptEntrypoints, health.Ping):
    name = "donations"

    db = Database()
    outbox = Outbox()
    relay = OutboxRelay()
    stripe = Stripe()
    log = LogContext()
    config = Config()
    caller = Caller()
    links = Links()

    # -- public ------------------------------------------------------------------------------

    @serves(api.LIST_DONATION_TIERS)
    def donation_tiers(self) -> dict:
        min_yen, max_yen = self._bounds()
        return tiers.catalogue(min_yen, max_yen, tiers.bank_account(self.config))

    @serves(api.CREATE_DONATION)
    def create_donation(self, body: dict) -> dict:
        """A one-time card gift. The ledger entry waits for payment_intent.succeeded."""
        data = self._in_bounds(body, "a donation", "the donation is not valid")
        with self.db.transaction() as conn:
            supporter = ledger.add_supporter(conn, data["name"], data["email"], data["locale"],
                                             ledger.DonorDetails.of(data))
            donation_id = ledger.add_pending_donation(
                conn, supporter, data["amount"], data["tier"], data["designation"])
        try:
            outcome = self.stripe.client.create_one_time_payment(
                payment_method=data["payment_method"], amount=data["amount"],
                donation_id=donation_id, idempotency_key=f"donation:{donation_id}")
        except (CardDeclined, AuthenticationRequired) as exc:
            reason = exc.reason if isinstance(exc, CardDeclined) else "authentication_required"
            with self.db.transaction() as conn:
                ledger.set_donation_outcome(conn, donation_id, payment_intent_id=getattr(
                    exc, "payment_intent_id", None), status="failed", failure_reason=reason)
            raise errors.PaymentDeclined(
                "the card was declined", {"reason": reason, "donation_id": donation_id}
            ) from None
        except StripeUnavailable:
            raise errors.Unavailable("the payment provider did not answer; try again") from None
        except StripeFailure as exc:
            with self.db.transaction() as conn:
                ledger.set_donation_outcome(conn, donation_id, payment_intent_id=None,
                                            status="failed", failure_reason="refused")
            raise self._refused(exc, donation_id=donation_id) from None
        status = outcome.payment_intent_status or "pending"
        with self.db.transaction() as conn:
            ledger.set_donation_outcome(
                conn, donation_id, payment_intent_id=outcome.payment_intent_id,
                status=status if status in ("requires_action", "succeeded") else "pending")
        response = {"id": donation_id, "status": status}
        if outcome.requires_action:
            response["client_secret"] = outcome.client_secret
        self.log.info("donation created", donation_id=donation_id, amount=data["amount"],
                      status=status)
        return response

    @serves(api.CREATE_PLEDGE)
    def create_pledge(self, body: dict) -> dict:
        """Start a monthly pledge: the pledge is pending until Stripe's webhook says it was paid."""
        data = self._in_bounds(body, "a monthly pledge", "the pledge is not valid")
        # The pledge exists before Stripe is called, so the webhook can always find it.
        with self.db.transaction() as conn:
            supporter = ledger.add_supporter(conn, data["name"], data["email"], data["locale"],
                                             ledger.DonorDetails.of(data))
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
            raise self._refused(exc, pledge_id=pledge_id) from None
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
        applied = self._apply_stripe_event(event)
        if applied:
            # Committed; a year another step is numbering is left to it (numbering.py).
            self._number_receipts(wait=False)
        return {"received": True, "duplicate": not applied}

    @serves(api.PLEDGE_SELF_SERVICE)
    def pledge_self_service(self, body: dict) -> dict:
        """What the signed link in a supporter's e-mail allows: view, change the amount in
        place, pause, resume, or cancel with a reason."""
        data = body
        if data["action"] == "change_amount":
            self._in_bounds(data, "a monthly pledge", "the request is not valid")
        if self.links is None:
            raise errors.Unavailable("self-service links are not configured")
        try:
            pledge_id = self.links.pledge_of(data["token"])
        except LinkInvalid as exc:
            raise errors.Forbidden(str(exc)) from None
        with self.db.transaction() as conn:
            if privacy.pledge_erased(conn, pledge_id):
                # The supporter asked to be forgotten: their old links open nothing.
                raise errors.Forbidden("this link is not valid")
        if data["action"] in ("start_card_update", "finish_card_update"):
            return self._update_card(pledge_id, data["action"], data.get("setup_intent"))
        return self._change_pledge(pledge_id, data["action"], "supporter",
                                   amount=data.get("amount"), reason=data.get("reason"))

    @serves(api.NOTIFY_BANK_TRANSFER)
    def notify_bank_transfer(self, body: dict) -> dict:
        """A donor says they transferred money: staff are told, and look for it at the bank.
        An address for a tax receipt is kept with the supporter for when staff record it."""
        data = body
        today = today_in_tokyo()
        if data["transferred_on"] > today or (today - data["transferred_on"]).days > 366:
            raise errors.InvalidInput("the notice is not valid", {
                "transferred_on": ["must be a date within the past year"]})
        with self.db.transaction() as conn:
            notice_id = ledger.note_bank_transfer(conn, self.outbox, data)
        self.log.info("bank transfer notified", notice_id=notice_id, amount=data["amount"])
        return {"received": True}

    @serves(api.REQUEST_PLEDGE_LINKS)
    def send_pledge_links(self, body: dict) -> dict:
        """Fresh self-service links, by e-mail, for the pledges of whoever has this address.
        The answer is the same whether or not the address is known."""
        data = body
        if self.links is None:
            raise errors.Unavailable("self-service links are not configured")
        with self.db.transaction() as conn:
            sent = pledges.send_links(conn, self.outbox, self.links.url, data["email"])
        self.log.info("pledge links requested", pledges=sent)
        return {"received": True}

    # -- staff -------------------------------------------------------------------------------

    @serves(api.CANCEL_PLEDGE)
    def cancel_pledge_by_staff(self, pledge_id: str, body: dict) -> dict:
        return self._change_pledge(_uuid_or_404(pledge_id, "pledge"), "cancel", self._actor(),
                                   reason=body["reason"])

    @serves(api.RECORD_STAFF_PAYMENT)
    def record_staff_payment(self, body: dict) -> dict:
        """A bank transfer, grant or membership fee: same ledger, same thank-you e-mail."""
        actor = self._actor()
        data = body
        if data["paid_on"] > today_in_tokyo():
            raise errors.InvalidInput("the payment is not valid", {
                "paid_on": ["must be a date between 2000 and today"]})
        with self.db.transaction() as conn:
            recorded = corrections.same_reference(conn, data["reference"])
            if recorded is not None:
                number = recorded["receipt_number"] or "not numbered yet"
                raise errors.Conflict(
                    f"reference {data['reference']!r} is already recorded as payment "
                    f"{recorded['id']} (receipt {number})",
                    {"payment_id": str(recorded["id"]),
                     "receipt_number": recorded["receipt_number"]})
            payment_id = ledger.record_staff_payment(conn, self.outbox, data, actor,
                                                     self._receipt_link())
        # Committed: numbered now, so the answer carries the receipt number (null only if the
        # step failed; the timer then gives it).
        self._number_receipts()
        with self.db.transaction() as conn:
            payment = ledger.payment_view(conn, payment_id)
        self.log.info("staff payment recorded", payment_id=payment["id"],
                      source=payment["source"], amount=payment["amount"])
        return payment

    @serves(api.REFUND_PAYMENT)
    def refund_payment(self, payment_id: str, body: dict) -> dict:
        """Refund all or part of a card payment through Stripe, or record money staff sent
        back by bank for a payment they recorded."""
        actor = self._actor()
        data = body
        payment_id = _uuid_or_404(payment_id, "payment")
        # The refund's event and e-mail name the receipt: numbered first, in its own
        # transaction (the year's lock is never held while Stripe is asked).
        self._number_receipts()
        # The payment stays locked while Stripe is asked, so two staff members cannot refund
        # the same money twice; the idempotency key makes a retried request one refund.
        with self.db.transaction() as conn:
            payment = ledger.payment_for_update(conn, payment_id)
            if payment is None:
                raise errors.NotFound("no such payment")
            if payment["receipt_number"] is None:
                raise self._not_numbered()
            if payment["voided_at"] is not None:
                raise errors.Conflict("the payment was voided; there is nothing to refund")
            left = payment["amount"] - payment["refunded_amount"]
            amount = data["amount"] or left
            if left <= 0:
                raise errors.Conflict("the payment is already fully refunded")
            if amount > left:
                raise errors.InvalidInput("the refund is larger than what is left",
                                          {"amount": [f"at most {left} yen can be refunded"]})
            if not payment["stripe_payment_intent_id"]:
                # Money that came by bank went back by bank: staff record what they sent.
                ledger.record_refund(conn, self.outbox, payment, amount, stripe_refund_id=None,
                                     reason=data["reason"], requested_by=actor,
                                     refunded_at=datetime.now(UTC))
                return ledger.payment_view(conn, payment_id)
            try:
                refund = self.stripe.client.refund(
                    payment_intent_id=payment["stripe_payment_intent_id"], amount=amount,
                    idempotency_key=f"refund:{payment_id}:{payment['refunded_amount']}:{amount}")
            except StripeUnavailable:
                raise errors.Unavailable("the payment provider did not answer; try again") \
                    from None
            except StripeFailure as exc:
                raise errors.Conflict(f"Stripe refused the refund: {str(exc)[:200]}") from None
            ledger.record_refund(
                conn, self.outbox, payment, refund.amount, stripe_refund_id=refund.id,
                reason=data["reason"], requested_by=actor,
                refunded_at=ledger._stamp(refund.created))
            view = ledger.payment_view(conn, payment_id)
        self.log.info("payment refunded", payment_id=payment_id, amount=amount)
        return view

    @serves(api.DONATION_REPORT)
    def donation_report(self, query: dict) -> dict:
        """The report as JSON, or `{"csv": text}` when format is csv."""
        data = query
        self._number_receipts()
        with self.db.transaction() as conn:
            if data["format"] == "csv":
                return {"csv": reports.donation_csv(conn, data["from_"], data["to"])}
            report = reports.donation_report(conn, data["from_"], data["to"])
            report.update(corrections.voids_between(conn, data["from_"], data["to"]))
            return report

    @serves(api.LIST_PAYMENTS)
    def list_payments(self, query: dict) -> dict:
        """Payments for staff, newest first, filtered and a page at a time."""
        self._number_receipts()
        with self.db.transaction() as conn:
            return staff_views.list_payments(conn, query)

    @serves(api.STAFF_PAYMENT)
    def staff_payment(self, payment_id: str) -> dict:
        payment_id = _uuid_or_404(payment_id, "payment")
        self._number_receipts()
        with self.db.transaction() as conn:
            found = staff_views.payment(conn, payment_id)
        if found is None:
            raise errors.NotFound("no such payment")
        return found

    @serves(api.SUPPORTER_DETAIL)
    def supporter_detail(self, supporter_id: str) -> dict:
        """A supporter with their pledges and payments (staff)."""
        supporter_id = _uuid_or_404(supporter_id, "supporter")
        self._number_receipts()
        with self.db.transaction() as conn:
            found = staff_views.supporter_detail(conn, supporter_id)
        if found is None:
            raise errors.NotFound("no such supporter")
        return found

    @serves(api.ANNUAL_STATEMENT)
    def annual_statement(self, supporter_id: str, year: int, query: dict) -> dict:
        supporter_id = _uuid_or_404(supporter_id, "supporter")
        year = receipt_entrypoints.tax_year(year)
        self._number_receipts()
        with self.db.transaction() as conn:
            statement = reports.annual_statement(conn, supporter_id, year)
        if statement is None:
            raise errors.NotFound("no such supporter")
        if query["format"] == "csv":
            return {"csv": reports.statement_csv(statement)}
        return statement

    @serves(api.ANONYMISE_SUPPORTER)
    def anonymise_supporter(self, supporter_id: str) -> dict:
        supporter_id = _uuid_or_404(supporter_id, "supporter")
        # Their payments' events are written (with the name and e-mail) before they go.
        self._number_receipts()
        with self.db.transaction() as conn:
            supporter = privacy.supporter_for_erasure(conn, supporter_id)
            if supporter is None:
                raise errors.NotFound("no such supporter")
            if supporter["anonymized_at"] is not None:
                return {"supporter_id": supporter_id, "anonymized": True}
            customer = supporter["stripe_customer_id"]
            try:
                privacy.check_erasable(conn, supporter_id)
                if customer:
                    # Stripe holds the same name and address: erased there first, so a
                    # failure leaves everything as it was.
                    self.stripe.client.delete_customer(customer)
                privacy.anonymise(conn, self.outbox, supporter)
            except StripeFailure:
                raise errors.Unavailable("the payment provider did not answer; try again") \
                    from None
        self.log.info("supporter anonymised", supporter_id=supporter_id)
        return {"supporter_id": supporter_id, "anonymized": True}

    @rpc
    def reconcile_stripe(self, since: int) -> dict:
        """Apply every Stripe event since `since` (Unix seconds) that no webhook brought."""
        if not isinstance(since, int) or isinstance(since, bool) or since < 0:
            raise errors.InvalidInput("since must be Unix seconds", {"since": ["not valid"]})
        try:
            listed = self.stripe.client.list_events(since)
        except StripeFailure:
            raise errors.Unavailable("the payment provider did not answer; try again") from None
        applied, failed = [], []
        for raw in listed:
            try:
                if self._apply_stripe_event(event_from_json(raw)):
                    applied.append(raw["id"])
            except (errors.Unavailable, BadSignature):
                failed.append(raw["id"])
        if applied:
            self._number_receipts(wait=False)
        self.log.info("stripe reconciled", listed=len(listed), applied=len(applied),
                      failed=len(failed))
        return {"listed": len(listed), "applied": applied, "failed": failed}

    @every("RECEIPT_NUMBERING_SWEEP_SECONDS", 30)
    def number_left_behind(self) -> None:
        """Number what a crash left between a payment's commit and its numbering step."""
        self._number_receipts()

    # -- helpers -----------------------------------------------------------------------------

    def _number_receipts(self, wait: bool = True) -> None:
        """The numbering step (numbering.py): after a payment's own transaction committed, and
        before staff read or change what carries numbers (waiting for a busy year, since they
        need the numbers). A failure loses nothing: the payment is committed, and the timer
        numbers it."""
        try:
            numbered = numbering.number_committed(self.db.transaction, self.outbox, wait=wait)
        except Exception as exc:  # the timer tries again; the caller's work goes on
            self.log.warning("receipt numbering failed", error=type(exc).__name__)
            return
        if numbered:
            self.log.info("receipts numbered", count=len(numbered))

    @staticmethod
    def _not_numbered() -> errors.ServiceError:
        return errors.Unavailable("the payment's receipt number is still being given;"
                                  " try again shortly")

    def _apply_stripe_event(self, event) -> bool:
        """False when the event was already applied."""
        make_link = self.links.url if self.links else (lambda _pledge_id: None)
        with self.db.transaction() as conn:
            if not ledger.first_stripe_delivery(conn, event.id, event.type):
                return False
            try:
                note = webhooks.apply(conn, self.outbox, make_link, event,
                                      self._receipt_link())
            except webhooks.NotYetKnown:
                # Rolled back with the delivery record, so Stripe's retry is applied later.
                raise errors.Unavailable("pledge not recorded yet; send again") from None
            ledger.note_stripe_event(conn, event.id, note)
        self.log.info("stripe event applied", stripe_event=event.id, type=event.type,
                      note=note)
        return True

    def _change_pledge(self, pledge_id: str, action: str, actor: str, *,
                       amount: int | None = None, reason: str | None = None) -> dict:
        make_link = self.links.url if self.links else (lambda _pledge_id: None)
        with self._pledge_locked(pledge_id) as (conn, pledge):
            subscription = pledge["stripe_subscription_id"]
            try:
                if action == "change_amount":
                    updated = pledges.change_amount(conn, self.outbox, make_link, pledge,
                                                    amount, actor)
                    if subscription and updated["amount"] != pledge["amount"]:
                        self.stripe.client.change_pledge_amount(
                            subscription_id=subscription, amount=amount)
                elif action == "pause":
                    updated = pledges.pause(conn, self.outbox, make_link, pledge, actor)
                    if subscription and updated is not pledge:
                        self.stripe.client.pause_pledge(subscription_id=subscription,
                                                        paused=True)
                elif action == "resume":
                    updated = pledges.resume(conn, self.outbox, make_link, pledge, actor)
                    if subscription and updated is not pledge:
                        self.stripe.client.pause_pledge(subscription_id=subscription,
                                                        paused=False)
                elif action == "cancel":
                    updated = pledges.cancel(conn, self.outbox, make_link, pledge, reason,
                                             actor)
                    if subscription and updated is not pledge:
                        self.stripe.client.cancel_subscription(subscription)
                else:
                    updated = pledge
            except pledges.TransitionRefused as exc:
                raise errors.Conflict(str(exc)) from None
            except StripeUnavailable:
                raise errors.Unavailable("the payment provider did not answer; try again") \
                    from None
            except StripeFailure as exc:
                raise errors.Conflict(f"Stripe refused the change: {str(exc)[:200]}") from None
            # Stripe is asked last, inside the transaction: if it refuses, our change and its
            # event are rolled back with it.
        if action != "view":
            self.log.info("pledge changed", pledge_id=pledge_id, action=action)
        return pledges.view(updated)

    def _update_card(self, pledge_id: str, action: str, setup_intent: str | None) -> dict:
        """The supporter's new card: a SetupIntent for Stripe.js to confirm, then that card made
        the pledge's, with any invoice the old card left unpaid paid again. The pledge becomes
        active again when Stripe's paid-invoice webhook says so."""
        with self._pledge_locked(pledge_id) as (_conn, pledge):
            try:
                pledges.check_card_updatable(pledge)
                if action == "start_card_update":
                    secret = self.stripe.client.start_card_update(
                        customer_id=pledge["stripe_customer_id"], pledge_id=str(pledge["id"]),
                        idempotency_key=f"card:{pledge['id']}:{uuid.uuid4()}")
                    return {**pledges.view(pledge), "setup_client_secret": secret}
                update = self.stripe.client.finish_card_update(
                    customer_id=pledge["stripe_customer_id"],
                    subscription_id=pledge["stripe_subscription_id"],
                    setup_intent_id=setup_intent, pledge_id=str(pledge["id"]))
            except pledges.TransitionRefused as exc:
                raise errors.Conflict(str(exc)) from None
            except CardNotSet as exc:
                raise errors.InvalidInput("the card update is not finished",
                                          {"setup_intent": [str(exc)]}) from None
            except CardDeclined as exc:
                raise errors.PaymentDeclined(
                    "the new card was declined", {"reason": exc.reason,
                                                  "pledge_id": str(pledge["id"])}) from None
            except StripeUnavailable:
                raise errors.Unavailable("the payment provider did not answer; try again") \
                    from None
            except StripeFailure as exc:
                raise errors.Conflict(f"Stripe refused the change: {str(exc)[:200]}") from None
        self.log.info("pledge card updated", pledge_id=pledge_id,
                      retried=len(update.retried_invoices))
        return {**pledges.view(pledge), "card_updated": True,
                "retried_invoices": len(update.retried_invoices)}

    @contextmanager
    def _pledge_locked(self, pledge_id: str):
        with self.db.transaction() as conn:
            pledge = pledges.load(conn, pledge_id=_uuid_or_404(pledge_id, "pledge"))
            if pledge is None:
                raise errors.NotFound("no such pledge")
            yield conn, pledge

    def _receipt_link(self) -> ledger.ReceiptLink | None:
        links = self.receipt_settings.links
        return links.gift_url if links is not None else None

    def _actor(self) -> str:
        """Who does a staff operation, as the ledger records it (`@serves` checked the
        role)."""
        return f"staff:{self.caller['subject']}"

    def _refused(self, exc: StripeFailure, **ids: str) -> errors.ServiceError:
        """Stripe refused the card payment's request: the person hears it in our words, the
        SDK's text (which may quote what they typed) goes to the log, masked."""
        if not getattr(exc, "invalid_request", False):  # our key or account, not their card
            self.log.error("payment provider refused our credentials", error=str(exc)[:300],
                           **ids)
            return errors.Unavailable("card payments are not possible right now; try later")
        self.log.warning("payment method refused by the payment provider", error=str(exc)[:300],
                         **ids)
        return errors.Unprocessable(
            "the payment method is not usable",
            {"payment_method": ["This payment method is not usable: check the card's details "
                                "or use another card."]})

    def _bounds(self) -> tuple[int, int]:
        return (int(self.config.get("PLEDGE_MIN_YEN", 500)),
                int(self.config.get("PLEDGE_MAX_YEN", 10_000_000)))

    def _in_bounds(self, data: dict, what: str, message: str) -> dict:
        """`data` once its amount is within the configured bounds of `what`."""
        min_yen, max_yen = self._bounds()
        if not min_yen <= data["amount"] <= max_yen:
            raise errors.InvalidInput(message, {
                "amount": [f"{what} is between {min_yen} and {max_yen} yen"]})
        return data

