"""End to end through events: what programs' impact ledger counts in a month is what partners
read in that month's update, money raised included (programs and notifications both running,
fed donations' and programs' events on the bus)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from servicekit.events import Envelope
from servicekit.events.relay import event_exchange, make_publisher
from servicekit.testing import wait_until

PARTNER = {"supporter_id": str(uuid.uuid4()), "pledge_id": str(uuid.uuid4()),
           "name": "Emily Carter", "email": "emily@example.org", "locale": "en"}


@pytest.fixture
def bus(platform_factory) -> dict[str, Any]:
    started = platform_factory("notifications", "programs", overrides={
        "notifications": {"MAIL_FROM": "info@j-ii.org"},
        "programs": {"IMPACT_TICK_SECONDS": 0.3, "IMPACT_UPDATE_INTERVAL_SECONDS": 0}})
    return started.configs["notifications"]


def publish(config: dict[str, Any], source: str, event_type: str, data: dict[str, Any]) -> None:
    event = Envelope.new(source, event_type, data, correlation_id="e2e")
    make_publisher(config["AMQP_URI"]).publish(
        event.to_dict(), exchange=event_exchange(event.exchange), routing_key=event.type)


def payment(amount: int, source: str, paid_at: str) -> dict[str, Any]:
    return {**{k: PARTNER[k] for k in ("supporter_id", "name", "email", "locale")},
            "payment_id": str(uuid.uuid4()), "pledge_id": None, "source": source,
            "first_of_pledge": False, "amount": amount, "currency": "jpy",
            "receipt_number": f"R2026-{uuid.uuid4().int % 10**6:06d}", "paid_at": paid_at}


def consultation_opened(email: str, at: str) -> dict[str, Any]:
    return {"consultation_id": str(uuid.uuid4()), "topic": "housing", "language": "ne",
            "urgency": "normal", "occurred_at": at,
            "resident": {"name": "Sita Gurung", "email": email, "locale": "ne"}}


def test_a_partners_april_update_carries_aprils_real_figures_and_the_yen_raised(
        bus, smtp_sink):
    publish(bus, "donations", "pledge_started", {
        **PARTNER, "amount": 3000, "currency": "jpy", "started_at": "2026-03-01T00:00:00+00:00"})
    # April (Tokyo): two gifts and two residents helped.
    publish(bus, "donations", "payment_succeeded",
            payment(3000, "monthly", "2026-04-01T00:00:00+00:00"))
    publish(bus, "donations", "payment_succeeded",
            payment(50000, "bank_transfer", "2026-04-20T05:00:00+00:00"))
    publish(bus, "programs", "consultation_opened",
            consultation_opened("sita@example.net", "2026-04-03T00:30:00+00:00"))
    publish(bus, "programs", "consultation_opened",
            consultation_opened("ram@example.net", "2026-04-10T00:30:00+00:00"))
    # The residents hear that their consultations arrived; the partner is thanked twice.
    wait_until(lambda: len([m for m in smtp_sink.messages()
                            if PARTNER["email"] in str(m["To"])]) == 2,
               message="the two thank-yous")
    # Something in May: April is over, so partners hear about it.
    publish(bus, "donations", "payment_succeeded",
            payment(3000, "monthly", "2026-05-01T00:00:00+00:00"))

    [update] = wait_until(lambda: [m for m in smtp_sink.messages()
                                   if "April 2026" in str(m["Subject"])],
                          timeout=30, message="April's impact update")
    text = update.get_body(("plain",)).get_content()
    assert "Foreign residents supported: 2" in text
    assert "Donations received: ¥53,000" in text  # raised in April, every source
    assert "So far in 2026:\n  ¥53,000 received in donations" in text.replace("\r\n", "\n")
    html = update.get_body(("html",)).get_content()
    assert "¥53,000" in html
