"""The donations service through its real entrypoints, with localstripe and PostgreSQL."""

import json

import eventlet
import pytest
from donations.service import DonationsService
from nameko.standalone.rpc import ServiceRpcProxy
from nameko.testing.services import entrypoint_hook
from servicekit import errors
from servicekit.devtools.localstripe_server import create_card_payment_method
from servicekit.testing import query, wait_until

VISA = "4242424242424242"


@pytest.fixture
def donations(container_factory, donations_config):
    container = container_factory(DonationsService, donations_config)
    container.start()
    return container


def pledge_request(api_base, **overrides):
    request = {
        "amount": 3000, "email": "hanako@example.com", "name": "山田 花子", "locale": "ja-JP",
        "payment_method": create_card_payment_method(api_base, VISA),
    }
    request.update(overrides)
    return request


def invoice_paid_delivery(capture, subscription_id):
    def find():
        for delivery in capture.deliveries:
            event = json.loads(delivery.body)
            if (event["type"] == "invoice.payment_succeeded"
                    and event["data"]["object"].get("subscription") == subscription_id):
                return delivery
        return None

    return wait_until(find, message="localstripe's invoice.payment_succeeded webhook")


def test_pledge_is_pending_until_the_paid_invoice_webhook_then_active_with_a_receipt(
    donations, donations_config, webhook_capture
):
    db = donations_config["DATABASE_URL"]
    with entrypoint_hook(donations, "create_pledge") as create_pledge:
        response = create_pledge(pledge_request(donations_config["STRIPE_API_BASE"]))
    assert response["status"] == "pending"
    [pledge] = query(db, "SELECT status, amount, stripe_subscription_id FROM pledges")
    assert (pledge["status"], pledge["amount"]) == ("pending", 3000)

    delivery = invoice_paid_delivery(webhook_capture, pledge["stripe_subscription_id"])
    with entrypoint_hook(donations, "handle_stripe_webhook") as handle:
        assert handle(delivery.body.decode(), delivery.signature)["duplicate"] is False

    assert query(db, "SELECT status FROM pledges")[0]["status"] == "active"
    [payment] = query(db, "SELECT amount, source, receipt_number FROM payments")
    assert payment["amount"] == 3000 and payment["source"] == "monthly"
    assert payment["receipt_number"].endswith("-000001")
    events = query(db, "SELECT routing_key, envelope FROM outbox ORDER BY id")
    assert [e["routing_key"] for e in events] == ["pledge_started", "payment_succeeded"]
    paid = events[1]["envelope"]["data"]
    assert paid["first_of_pledge"] is True and paid["locale"] == "ja"
    assert paid["receipt_number"] == payment["receipt_number"]


def test_one_webhook_delivered_five_times_two_at_once_has_one_effect(
    donations, donations_config, webhook_capture
):
    db = donations_config["DATABASE_URL"]
    with entrypoint_hook(donations, "create_pledge") as create_pledge:
        create_pledge(pledge_request(donations_config["STRIPE_API_BASE"]))
    subscription = query(db, "SELECT stripe_subscription_id FROM pledges")[0]
    delivery = invoice_paid_delivery(webhook_capture, subscription["stripe_subscription_id"])
    body, signature = delivery.body.decode(), delivery.signature

    def deliver(_):
        # each delivery over its own RPC connection, as two gateway workers would
        with ServiceRpcProxy("donations", donations_config) as rpc:
            return rpc.handle_stripe_webhook(body, signature)

    concurrent = list(eventlet.GreenPool().imap(deliver, range(2)))
    sequential = [deliver(n) for n in range(3)]
    outcomes = [r["duplicate"] for r in concurrent + sequential]
    assert outcomes.count(False) == 1 and outcomes.count(True) == 4
    assert query(db, "SELECT count(*) AS n FROM payments")[0]["n"] == 1
    assert query(db, "SELECT count(*) AS n FROM outbox WHERE routing_key = 'payment_succeeded'"
                 )[0]["n"] == 1


def test_webhook_with_a_bad_signature_is_refused_and_records_nothing(
    donations, donations_config, webhook_capture
):
    db = donations_config["DATABASE_URL"]
    with entrypoint_hook(donations, "create_pledge") as create_pledge:
        create_pledge(pledge_request(donations_config["STRIPE_API_BASE"]))
    subscription = query(db, "SELECT stripe_subscription_id FROM pledges")[0]
    delivery = invoice_paid_delivery(webhook_capture, subscription["stripe_subscription_id"])
    tampered = delivery.body.decode().replace('"amount_paid": 3000', '"amount_paid": 30000')
    with entrypoint_hook(donations, "handle_stripe_webhook") as handle:
        with pytest.raises(errors.BadSignature):
            handle(tampered, delivery.signature)
        with pytest.raises(errors.BadSignature):
            handle(delivery.body.decode(), "t=1,v1=deadbeef")
    assert query(db, "SELECT count(*) AS n FROM payments")[0]["n"] == 0
    assert query(db, "SELECT count(*) AS n FROM stripe_events")[0]["n"] == 0
    assert query(db, "SELECT status FROM pledges")[0]["status"] == "pending"


@pytest.mark.parametrize("overrides, field", [
    ({"amount": -3000}, "amount"),
    ({"amount": 0}, "amount"),
    ({"amount": 3000.5}, "amount"),
    ({"amount": "3000"}, "amount"),
    ({"amount": 10_000_001}, "amount"),
    ({"email": "not-an-email"}, "email"),
    ({"locale": "xx"}, "locale"),
    ({"name": ""}, "name"),
    ({"payment_method": "card_123"}, "payment_method"),
    ({"currency": "usd"}, "currency"),
])
def test_malformed_pledge_is_refused_with_field_errors_and_changes_nothing(
    donations, donations_config, overrides, field
):
    request = {"amount": 3000, "email": "a@example.com", "name": "A", "locale": "en",
               "payment_method": "pm_123"}
    request.update(overrides)
    with entrypoint_hook(donations, "create_pledge") as create_pledge:
        with pytest.raises(errors.InvalidInput) as raised:
            create_pledge(request)
    assert field in raised.value.details
    assert query(donations_config["DATABASE_URL"], "SELECT count(*) AS n FROM pledges"
                 )[0]["n"] == 0


def test_declined_card_is_refused_and_the_pledge_canceled(donations, donations_config):
    api_base = donations_config["STRIPE_API_BASE"]
    with entrypoint_hook(donations, "create_pledge") as create_pledge:
        with pytest.raises(errors.PaymentDeclined) as raised:
            create_pledge(pledge_request(api_base, payment_method=create_card_payment_method(
                api_base, "4000000000000002")))
    assert raised.value.details["reason"]
    [pledge] = query(donations_config["DATABASE_URL"], "SELECT status FROM pledges")
    assert pledge["status"] == "canceled"
    assert query(donations_config["DATABASE_URL"], "SELECT count(*) AS n FROM outbox"
                 )[0]["n"] == 0
