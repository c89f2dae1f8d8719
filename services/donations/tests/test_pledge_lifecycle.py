"""Every Stripe webhook type moves the ledger and the pledge as it should and emits the right
event. Events localstripe never sends are built from the real objects read back from it and
signed with the webhook secret, then posted through the real entrypoint."""

import time
from datetime import UTC, datetime

import eventlet
from contracts import validate_data
from donations_testkit import (
    STAFF,
    WEBHOOK_SECRET,
    active_pledge,
    call,
    card,
    deliver,
    event_types,
    events,
    plain,
    sdk,
    signed,
    stripe_event,
    wait_delivery,
)
from nameko.standalone.rpc import ServiceRpcProxy
from servicekit.testing import query


def invoice_of(config, pledge) -> dict:
    client = sdk(config["STRIPE_API_BASE"])
    [invoice] = client.v1.invoices.list({"subscription": pledge["stripe_subscription_id"]}).data
    return plain(invoice)


def next_invoice(invoice: dict, **changes) -> dict:
    """The following month's invoice of the same subscription (localstripe has no clock)."""
    return {**invoice, "id": invoice["id"] + f"_m{int(time.time() * 1000)}",
            "created": int(time.time()), "status_transitions": {}, **changes}


def pledge_status(config, pledge):
    return query(config["DATABASE_URL"], "SELECT status FROM pledges WHERE id = %s",
                 (pledge["id"],))[0]["status"]


def test_failed_invoice_makes_an_active_pledge_past_due_then_the_next_paid_one_active_again(
    donations, donations_config, webhook_capture
):
    db = donations_config["DATABASE_URL"]
    pledge = active_pledge(donations, donations_config, webhook_capture)
    invoice = invoice_of(donations_config, pledge)
    failed = next_invoice(invoice, status="open", paid=False, amount_paid=0,
                          payment_intent={"id": "pi_failed", "last_payment_error": {
                              "code": "card_declined", "decline_code": "insufficient_funds"}})
    deliver(donations, *signed(stripe_event("invoice.payment_failed", failed), WEBHOOK_SECRET))
    assert pledge_status(donations_config, pledge) == "past_due"
    [past_due] = events(db, "pledge_past_due")
    assert past_due["failure_reason"] == "insufficient_funds"
    [payment_failed] = events(db, "payment_failed")
    assert payment_failed["update_card_url"].startswith("https://jii.example/pledge?token=")
    assert (payment_failed["email"], payment_failed["locale"]) == ("hanako@example.com", "ja")

    paid = next_invoice(invoice)
    deliver(donations, *signed(stripe_event("invoice.paid", paid), WEBHOOK_SECRET))
    assert pledge_status(donations_config, pledge) == "active"
    [recovered] = events(db, "pledge_changed")
    assert recovered["change"] == "recovered"
    assert query(db, "SELECT count(*) AS n FROM payments")[0]["n"] == 2
    assert event_types(db)[-2:] == ["pledge_changed", "payment_succeeded"]


def test_subscription_deleted_before_invoice_paid_ends_canceled_with_the_payment_recorded(
    donations, donations_config, webhook_capture
):
    db = donations_config["DATABASE_URL"]
    api_base = donations_config["STRIPE_API_BASE"]
    created = call(donations, "create_pledge", {
        "amount": 3000, "email": "a@example.com", "name": "Aiko", "locale": "en",
        "payment_method": card(api_base)})
    [pledge] = query(db, "SELECT * FROM pledges WHERE id = %s", (created["id"],))
    sub_id = pledge["stripe_subscription_id"]
    paid = wait_delivery(webhook_capture, "invoice.payment_succeeded",
                         lambda o: o["subscription"] == sub_id)
    sdk(api_base).v1.subscriptions.cancel(sub_id)  # localstripe sends the deleted event
    deleted = wait_delivery(webhook_capture, "customer.subscription.deleted",
                            lambda o: o["id"] == sub_id)

    deliver(donations, *deleted)
    deliver(donations, *paid)
    assert pledge_status(donations_config, pledge) == "canceled"
    [payment] = query(db, "SELECT amount, source FROM payments")
    assert (payment["amount"], payment["source"]) == (3000, "monthly")
    assert event_types(db) == ["pledge_canceled", "payment_succeeded"]
    assert events(db, "payment_succeeded")[0]["first_of_pledge"] is False


def test_subscription_updated_applies_stripes_amount_and_status_but_never_an_older_snapshot(
    donations, donations_config, webhook_capture
):
    db = donations_config["DATABASE_URL"]
    pledge = active_pledge(donations, donations_config, webhook_capture)
    sub = plain(sdk(donations_config["STRIPE_API_BASE"]).v1.subscriptions.retrieve(
        pledge["stripe_subscription_id"]))
    now = int(time.time())
    newer = {**sub, "status": "past_due", "quantity": 5000}
    newer["items"]["data"][0]["quantity"] = 5000
    older = {**sub, "status": "active"}
    deliver(donations, *signed(stripe_event("customer.subscription.updated", newer,
                                            created=now + 10), WEBHOOK_SECRET))
    deliver(donations, *signed(stripe_event("customer.subscription.updated", older,
                                            created=now), WEBHOOK_SECRET))
    [row] = query(db, "SELECT status, amount FROM pledges")
    assert (row["status"], row["amount"]) == ("past_due", 5000)
    changed = events(db, "pledge_changed")
    assert [(c["change"], c["previous_amount"], c["amount"]) for c in changed] == [
        ("amount", 3000, 5000)]
    assert len(events(db, "pledge_past_due")) == 1


def test_charge_refunded_from_stripe_enters_the_refund_once_and_emits_payment_refunded(
    donations, donations_config, webhook_capture
):
    db = donations_config["DATABASE_URL"]
    api_base = donations_config["STRIPE_API_BASE"]
    pledge = active_pledge(donations, donations_config, webhook_capture)
    [payment] = query(db, "SELECT * FROM payments")
    client = sdk(api_base)
    # A refund made in Stripe's dashboard; localstripe sends no charge.refunded, so the event
    # is built from the real charge and refund.
    refund = plain(client.v1.refunds.create({"payment_intent":
                                             payment["stripe_payment_intent_id"],
                                             "amount": 1000}))
    charge = plain(client.v1.charges.retrieve(refund["charge"]))
    charge.update(refunded=False, amount_refunded=1000,
                  refunds={"object": "list", "data": [refund]})
    body, signature = signed(stripe_event("charge.refunded", charge), WEBHOOK_SECRET)
    deliver(donations, body, signature)
    deliver(donations, *signed(stripe_event("charge.refunded", charge), WEBHOOK_SECRET))
    assert query(db, "SELECT refunded_amount FROM payments")[0]["refunded_amount"] == 1000
    [refunded] = events(db, "payment_refunded")
    assert (refunded["amount"], refunded["refunded_total"], refunded["fully_refunded"]) == (
        1000, 1000, False)
    assert refunded["receipt_number"] == payment["receipt_number"]
    assert pledge_status(donations_config, pledge) == "active"


def test_dispute_created_flags_the_payment_and_emits_payment_disputed_once(
    donations, donations_config, webhook_capture
):
    db = donations_config["DATABASE_URL"]
    active_pledge(donations, donations_config, webhook_capture)
    [payment] = query(db, "SELECT * FROM payments")
    opened, due_by = int(time.time()) - 60, int(time.time()) + 7 * 86400
    dispute = {"id": "dp_test_1", "object": "dispute", "amount": 3000, "currency": "jpy",
               "payment_intent": payment["stripe_payment_intent_id"], "reason": "fraudulent",
               "status": "needs_response", "created": opened,
               "evidence_details": {"due_by": due_by, "has_evidence": False}}
    first = signed(stripe_event("charge.dispute.created", dispute), WEBHOOK_SECRET)
    deliver(donations, *first)
    [row] = query(db, "SELECT disputed_at, dispute_reason FROM payments")
    assert row["disputed_at"] == datetime.fromtimestamp(opened, UTC)
    assert row["dispute_reason"] == "fraudulent"
    [disputed] = events(db, "payment_disputed")
    validate_data("donations", "payment_disputed", 1, {
        k: v for k, v in disputed.items() if k != "_type"})
    assert disputed == {
        "_type": "payment_disputed", "payment_id": str(payment["id"]),
        "receipt_number": payment["receipt_number"], "source": "monthly", "amount": 3000,
        "currency": "jpy", "dispute_id": "dp_test_1", "reason": "fraudulent",
        "disputed_at": datetime.fromtimestamp(opened, UTC).isoformat(),
        "evidence_due_by": datetime.fromtimestamp(due_by, UTC).isoformat()}

    # Stripe sends the same event again, then a second dispute about the same payment (with
    # no evidence deadline): the payment stays flagged once and staff are alerted once.
    assert deliver(donations, *first)["duplicate"] is True
    second = {**dispute, "id": "dp_test_2", "reason": "duplicate", "created": opened + 30}
    del second["evidence_details"]
    deliver(donations, *signed(stripe_event("charge.dispute.created", second), WEBHOOK_SECRET))
    assert len(events(db, "payment_disputed")) == 1
    [row] = query(db, "SELECT disputed_at, dispute_id FROM payments")
    assert (row["disputed_at"], row["dispute_id"]) == (
        datetime.fromtimestamp(opened, UTC), "dp_test_2")


def test_a_dispute_without_deadline_or_date_is_announced_with_no_deadline_and_now(
    donations, donations_config, webhook_capture
):
    db = donations_config["DATABASE_URL"]
    active_pledge(donations, donations_config, webhook_capture)
    [payment] = query(db, "SELECT * FROM payments")
    dispute = {"id": "dp_test_3", "object": "dispute", "amount": 1000, "currency": "jpy",
               "payment_intent": payment["stripe_payment_intent_id"], "reason": "general"}
    before = datetime.now(UTC)
    deliver(donations, *signed(stripe_event("charge.dispute.created", dispute), WEBHOOK_SECRET))
    [disputed] = events(db, "payment_disputed")
    assert disputed["evidence_due_by"] is None and disputed["amount"] == 1000
    assert datetime.fromisoformat(disputed["disputed_at"]) >= before.replace(microsecond=0)


def test_an_invoice_in_another_currency_is_not_entered(
    donations, donations_config, webhook_capture
):
    db = donations_config["DATABASE_URL"]
    pledge = active_pledge(donations, donations_config, webhook_capture)
    usd = next_invoice(invoice_of(donations_config, pledge), currency="usd")
    event = stripe_event("invoice.paid", usd)
    deliver(donations, *signed(event, WEBHOOK_SECRET))
    assert query(db, "SELECT count(*) AS n FROM payments")[0]["n"] == 1
    assert query(db, "SELECT note FROM stripe_events WHERE event_id = %s",
                 (event["id"],))[0]["note"] == "ignored: currency usd"


def test_two_copies_of_a_built_event_at_the_same_moment_have_one_effect(
    donations, donations_config, webhook_capture
):
    db = donations_config["DATABASE_URL"]
    pledge = active_pledge(donations, donations_config, webhook_capture)
    body, signature = signed(stripe_event("invoice.paid", next_invoice(
        invoice_of(donations_config, pledge))), WEBHOOK_SECRET)

    def send(_):
        with ServiceRpcProxy("donations", donations_config) as rpc:
            return rpc.handle_stripe_webhook(body, signature)["duplicate"]

    outcomes = list(eventlet.GreenPool().imap(send, range(2)))
    assert sorted(outcomes) == [False, True]
    assert query(db, "SELECT count(*) AS n FROM payments")[0]["n"] == 2


def test_staff_cancel_ends_the_subscription_with_a_reason_and_the_deleted_echo_is_harmless(
    donations, donations_config, webhook_capture
):
    db = donations_config["DATABASE_URL"]
    pledge = active_pledge(donations, donations_config, webhook_capture)
    view = call(donations, "cancel_pledge_by_staff", str(pledge["id"]),
                {"reason": "asked by phone"}, context=STAFF)
    assert view["status"] == "canceled"
    sub = sdk(donations_config["STRIPE_API_BASE"]).v1.subscriptions.retrieve(
        pledge["stripe_subscription_id"])
    assert sub.status == "canceled"
    echo = wait_delivery(webhook_capture, "customer.subscription.deleted",
                         lambda o: o["id"] == pledge["stripe_subscription_id"])
    deliver(donations, *echo)
    [canceled] = events(db, "pledge_canceled")
    assert (canceled["reason"], canceled["actor"]) == ("asked by phone",
                                                      "staff:aiko@jii.example")
    [row] = query(db, "SELECT cancel_reason, canceled_by FROM pledges")
    assert row["cancel_reason"] == "asked by phone"


def test_a_payment_on_new_years_eve_evening_utc_gets_a_receipt_of_the_new_tokyo_year(
    donations, donations_config, webhook_capture
):
    # Receipts back a Japanese tax deduction: their year is the calendar year in Tokyo.
    db = donations_config["DATABASE_URL"]
    pledge = active_pledge(donations, donations_config, webhook_capture)
    new_year_in_tokyo = int(datetime(2026, 12, 31, 15, 30, tzinfo=UTC).timestamp())
    paid = next_invoice(invoice_of(donations_config, pledge),
                        status_transitions={"paid_at": new_year_in_tokyo})
    deliver(donations, *signed(stripe_event("invoice.paid", paid), WEBHOOK_SECRET))
    [receipt] = query(db, "SELECT receipt_number FROM payments WHERE paid_at = %s",
                      (datetime(2026, 12, 31, 15, 30, tzinfo=UTC),))
    assert receipt["receipt_number"].startswith("R2027-")
    statement = call(donations, "annual_statement", str(pledge["supporter_id"]), 2027, {},
                     context=STAFF)
    assert [p["paid_on"] for p in statement["payments"]] == ["2027-01-01"]
