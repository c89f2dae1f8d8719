"""The notifications service consuming donations' events over the real broker into real SMTP."""

from pathlib import Path

import pytest
from kombu import Connection
from notifications.service import NotificationsService
from servicekit.events import Envelope
from servicekit.events.relay import event_exchange, make_publisher
from servicekit.events.topology import dead_letter_queue_name
from servicekit.testing import query, wait_until

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"


def payment_event(locale="ja", first=True, amount=3000, email="hanako@example.com"):
    return Envelope.new("donations", "payment_succeeded", {
        "supporter_id": "6f1c1d1e-0000-4000-8000-000000000001", "name": "山田 花子",
        "email": email, "locale": locale, "payment_id": "6f1c1d1e-0000-4000-8000-000000000002",
        "pledge_id": "6f1c1d1e-0000-4000-8000-000000000003", "source": "monthly",
        "first_of_pledge": first, "amount": amount, "currency": "jpy",
        "receipt_number": "R2026-000123", "paid_at": "2026-11-28T03:00:00+00:00",
    }, correlation_id="test")


@pytest.fixture
def notifications(runner_factory, service_config, make_database, smtp_sink):
    config = service_config(
        make_database("notifications", MIGRATIONS), SMTP_HOST="127.0.0.1",
        SMTP_PORT=smtp_sink.port, MAIL_FROM="info@j-ii.org", MAIL_FROM_NAME="JII",
    )
    runner = runner_factory(config, NotificationsService)
    runner.start()
    return config


def publish(config, envelope):
    make_publisher(config["AMQP_URI"]).publish(
        envelope.to_dict(), exchange=event_exchange("donations.events"),
        routing_key=envelope.type,
    )


def text_of(message):
    return message.get_body(("plain",)).get_content()


@pytest.mark.parametrize("locale, subject_word, amount_text", [
    ("ja", "JII", "3,000円"),
    ("en", "JII", "¥3,000"),
    ("ne", "JII", "३,००० येन"),
])
def test_first_pledge_payment_sends_one_welcome_in_the_supporters_language(
    notifications, smtp_sink, locale, subject_word, amount_text
):
    publish(notifications, payment_event(locale=locale))
    [message] = wait_until(smtp_sink.messages, message="the welcome e-mail")
    assert subject_word in message["Subject"]
    assert amount_text in text_of(message)
    assert "R2026-000123" in text_of(message)
    assert message["To"].addresses[0].addr_spec == "hanako@example.com"
    # The sink has the mail a moment before the service commits its log row.
    [delivery] = wait_until(lambda: query(notifications["DATABASE_URL"],
                                          "SELECT kind, status FROM deliveries"),
                            message="the delivery logged")
    assert delivery == {"kind": "pledge_welcome", "status": "sent"}


def test_redelivered_event_sends_one_email(notifications, smtp_sink):
    event = payment_event(first=False)
    for _ in range(3):
        publish(notifications, event)
    wait_until(smtp_sink.messages, message="the thank-you")
    wait_until(lambda: _drained(notifications), message="the queue to drain")
    assert len(smtp_sink.messages()) == 1
    assert query(notifications["DATABASE_URL"], "SELECT count(*) AS n FROM deliveries"
                 )[0]["n"] == 1


def _drained(config):
    with Connection(config["AMQP_URI"]) as conn:
        name = "evt-donations-payment_succeeded--notifications.thank_supporter"
        _, count, _ = conn.default_channel.queue_declare(queue=name, passive=True)
        return count == 0


def test_smtp_down_means_retries_then_dead_letter_nothing_sent_twice(
    runner_factory, service_config, make_database
):
    # nothing listens on this port: every attempt is a temporary failure
    from servicekit.testing import free_port

    config = service_config(make_database("notifications", MIGRATIONS),
                            SMTP_HOST="127.0.0.1", SMTP_PORT=free_port())
    runner = runner_factory(config, NotificationsService)
    runner.start()
    publish(config, payment_event())

    def parked():
        with Connection(config["AMQP_URI"]) as conn:
            try:
                _, count, _ = conn.default_channel.queue_declare(
                    queue=dead_letter_queue_name("notifications"), passive=True)
            except Exception:  # noqa: BLE001 - not created until the first park
                return False
            return count == 1

    wait_until(parked, timeout=20, message="the event parked after its retries")
    # Staff can see the message is stuck: tried once and then once per retry, never sent.
    [stuck] = query(config["DATABASE_URL"],
                    "SELECT status, attempts, error FROM deliveries")
    assert stuck == {"status": "deferred", "attempts": 4,
                     "error": "network error: ConnectionRefusedError"}
    assert query(config["DATABASE_URL"], "SELECT count(*) AS n FROM inbox")[0]["n"] == 0
