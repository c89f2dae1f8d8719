"""End to end through the gateway: a monthly pledge travels from HTTP through Stripe
(localstripe), its signed webhook, the donations ledger, RabbitMQ and the notifications
service to exactly one e-mail on a real SMTP server."""

import json

import pytest
import requests
from servicekit.devtools.localstripe_server import create_card_payment_method
from servicekit.testing import HttpCapture, query, wait_until

WEBHOOK_SECRET = "whsec_test_end_to_end"
VISA = "4242424242424242"


@pytest.fixture
def webhooks_to():
    """Where localstripe sends its webhooks: the gateway itself unless a test overrides it."""
    return None


@pytest.fixture
def platform(platform_factory, webhooks_to):
    started = platform_factory("notifications", "donations", "gateway", webhooks_to=webhooks_to,
                               secrets={"STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET})
    return {"url": started.url, "stripe": started.stripe,
            "donations_db": started.database("donations"),
            "notifications_db": started.database("notifications")}


@pytest.fixture
def log_lines(platform):
    """Every log line the platform writes from now on, formatted as in production."""
    import io
    import logging

    from servicekit.logging import json_handler

    stream = io.StringIO()
    handler = json_handler(stream)
    handler.jii_json = False  # a service starting later must not replace this capture
    logging.getLogger().addHandler(handler)
    yield lambda: stream.getvalue().splitlines()
    logging.getLogger().removeHandler(handler)


def all_published(db_url):
    return query(db_url, "SELECT count(*) AS n FROM outbox WHERE published_at IS NULL"
                 )[0]["n"] == 0


@pytest.mark.parametrize("locale, expected_amount, expected_words", [
    ("ja", "3,000円", "ありがとう"),
    ("en", "¥3,000", "Thank you"),
])
def test_monthly_pledge_ends_in_exactly_one_email_in_the_supporters_language(
    platform, smtp_sink, log_lines, locale, expected_amount, expected_words
):
    pledge = {
        "amount": 3000, "email": "supporter@example.com", "name": "Aiko Tanaka",
        "locale": locale,
        "payment_method": create_card_payment_method(platform["stripe"], VISA),
    }
    response = requests.post(f"{platform['url']}/api/pledges", json=pledge, timeout=30,
                             headers={"X-Request-ID": f"e2e-{locale}"})
    assert response.status_code == 201, response.text
    assert response.headers["X-Request-ID"] == f"e2e-{locale}"
    assert response.json()["status"] == "pending"

    [message] = wait_until(smtp_sink.messages, timeout=30, message="the welcome e-mail")
    text = message.get_body(("plain",)).get_content()
    assert expected_amount in text
    assert expected_words in text
    [payment] = query(platform["donations_db"], "SELECT receipt_number FROM payments")
    assert payment["receipt_number"] in text
    assert query(platform["donations_db"], "SELECT status FROM pledges")[0]["status"] == "active"

    # Everything has been published and consumed, and still there is only the one e-mail.
    wait_until(lambda: all_published(platform["donations_db"]), message="outbox drained")
    events = query(platform["donations_db"],
                   "SELECT routing_key, envelope->>'correlation_id' AS cid FROM outbox ORDER BY id")
    assert [e["routing_key"] for e in events] == ["pledge_started", "payment_succeeded"]
    wait_until(lambda: query(platform["notifications_db"], "SELECT 1 FROM inbox"),
               message="the event recorded in the notifications inbox")
    assert len(smtp_sink.messages()) == 1

    # Request ids follow the work across services into every log line: the pledge's own, and
    # the paid-invoice webhook's from the gateway through donations' event to notifications.
    # The inbox row commits just before notifications writes its line: wait for the line.
    wait_until(lambda: any('"thank-you handled"' in line for line in log_lines()),
               message="notifications' thank-you line")
    lines = log_lines()
    records = [json.loads(line) for line in lines]
    created = next(r for r in records if r["event"] == "pledge created")
    assert created["correlation_id"] == f"e2e-{locale}"
    paid = next(r for r in records if r.get("type") == "invoice.payment_succeeded")
    thanked = next(r for r in records if r["event"] == "thank-you handled")
    assert thanked["correlation_id"] == paid["correlation_id"]
    assert thanked["service"] == "notifications" and thanked["event_id"]
    assert not [line for line in lines if "supporter@example.com" in line or "Aiko" in line]


def test_webhook_with_a_bad_signature_gets_400_and_records_nothing(platform):
    body = '{"id": "evt_forged", "type": "invoice.payment_succeeded", "data": {"object": {}}}'
    response = requests.post(
        f"{platform['url']}/api/webhooks/stripe", data=body, timeout=10,
        headers={"Stripe-Signature": "t=1700000000,v1=00ff", "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert query(platform["donations_db"], "SELECT count(*) AS n FROM stripe_events"
                 )[0]["n"] == 0


def test_malformed_pledge_gets_400_problem_with_field_errors_and_creates_nothing(platform):
    response = requests.post(f"{platform['url']}/api/pledges", timeout=10, json={
        "amount": -5, "email": "nope", "name": "", "locale": "xx", "payment_method": 7,
    })
    assert response.status_code == 400
    assert response.headers["Content-Type"].startswith("application/problem+json")
    problem = response.json()
    assert {"amount", "email", "locale", "payment_method"} <= set(problem["errors"])
    assert query(platform["donations_db"], "SELECT count(*) AS n FROM pledges")[0]["n"] == 0


def test_unknown_route_gets_404_problem(platform):
    response = requests.get(f"{platform['url']}/api/no-such-thing", timeout=10)
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert response.json()["status"] == 404


class TestOneWebhookDeliveredFiveTimes:
    @pytest.fixture
    def capture(self):
        capture = HttpCapture()
        yield capture
        capture.close()

    @pytest.fixture
    def webhooks_to(self, capture):
        return capture.url

    def test_gives_one_payment_one_event_and_one_email(self, platform, capture, smtp_sink):
        pledge = {"amount": 5000, "email": "supporter@example.com", "name": "Bishnu",
                  "locale": "ne",
                  "payment_method": create_card_payment_method(platform["stripe"], VISA)}
        response = requests.post(f"{platform['url']}/api/pledges", json=pledge, timeout=30)
        assert response.status_code == 201, response.text

        def paid_invoice():
            return next((d for d in capture.deliveries
                         if json.loads(d.body)["type"] == "invoice.payment_succeeded"), None)

        delivery = wait_until(paid_invoice, message="localstripe's signed webhook")

        def deliver(_):
            return requests.post(f"{platform['url']}/api/webhooks/stripe", data=delivery.body,
                                 headers={"Stripe-Signature": delivery.signature,
                                          "Content-Type": "application/json"}, timeout=30)

        import eventlet

        concurrent = list(eventlet.GreenPool().imap(deliver, range(2)))
        sequential = [deliver(n) for n in range(3)]
        assert [r.status_code for r in concurrent + sequential] == [200] * 5

        wait_until(smtp_sink.messages, timeout=30, message="the welcome e-mail")
        wait_until(lambda: all_published(platform["donations_db"]), message="outbox drained")
        wait_until(lambda: query(platform["notifications_db"], "SELECT 1 FROM inbox"),
                   message="the notifications inbox")
        assert query(platform["donations_db"], "SELECT count(*) AS n FROM payments")[0]["n"] == 1
        assert query(platform["donations_db"], "SELECT count(*) AS n FROM outbox"
                     " WHERE routing_key = 'payment_succeeded'")[0]["n"] == 1
        assert len(smtp_sink.messages()) == 1
