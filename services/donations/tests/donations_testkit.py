"""Helpers for the donations tests: Stripe events signed as Stripe signs them, localstripe's
objects read back through the SDK, and short-cuts through the service's real entrypoints."""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request
import uuid
from typing import Any

import stripe
from nameko.testing.services import entrypoint_hook
from servicekit.devtools.localstripe_server import (
    TEST_API_KEY,
    create_card_payment_method,
    stripe_signature,
)
from servicekit.testing import query, wait_until

VISA = "4242424242424242"
DECLINED_ON_CHARGE = "4000000000000341"
NEEDS_3DS = "4000002760003184"
STAFF = {"staff_subject": "aiko@jii.example", "staff_role": "staff"}
ADMIN = {"staff_subject": "kenji@jii.example", "staff_role": "admin"}
LINK_SECRET = "test-pledge-link-secret-0123456789abcdef"
WEBHOOK_SECRET = "whsec_test_donations_service"


sign = stripe_signature


def stripe_event(event_type: str, obj: dict[str, Any], *, created: int | None = None,
                 event_id: str | None = None) -> dict[str, Any]:
    return {"id": event_id or f"evt_test_{uuid.uuid4().hex[:20]}", "object": "event",
            "api_version": "2017-08-15", "created": created or int(time.time()),
            "type": event_type, "data": {"object": obj}}


def signed(event: dict[str, Any], secret: str) -> tuple[str, str]:
    body = json.dumps(event)
    return body, sign(body, secret)


def sdk(api_base: str) -> stripe.StripeClient:
    return stripe.StripeClient(TEST_API_KEY, base_addresses={"api": api_base})


def plain(obj: Any) -> dict[str, Any]:
    return obj.to_dict(recursive=True)


def deliveries_of(capture, event_type: str, match) -> list[tuple[str, str]]:
    found = []
    for delivery in list(capture.deliveries):
        event = json.loads(delivery.body)
        if event["type"] == event_type and match(event["data"]["object"]):
            found.append((delivery.body.decode(), delivery.signature))
    return found


def wait_delivery(capture, event_type: str, match) -> tuple[str, str]:
    return wait_until(lambda: (deliveries_of(capture, event_type, match) or [None])[0],
                      message=f"localstripe's {event_type} webhook")


def card(api_base: str, number: str = VISA) -> str:
    return create_card_payment_method(api_base, number)


def call(container, method: str, *args: Any, context: dict | None = None) -> Any:
    with entrypoint_hook(container, method, context_data=context) as hook:
        return hook(*args)


def deliver(container, body: str, signature: str) -> dict:
    return call(container, "handle_stripe_webhook", body, signature)


def events(db: str, *types: str) -> list[dict]:
    rows = query(db, "SELECT routing_key, envelope FROM outbox ORDER BY id")
    return [dict(r["envelope"]["data"], _type=r["routing_key"]) for r in rows
            if not types or r["routing_key"] in types]


def event_types(db: str) -> list[str]:
    return [r["routing_key"] for r in query(db, "SELECT routing_key FROM outbox ORDER BY id")]


def authenticate_3ds(api_base: str, payment_intent_id: str, client_secret: str) -> None:
    """What Stripe.js does in the browser once the cardholder passes 3-D Secure."""
    body = urllib.parse.urlencode({"client_secret": client_secret, "success": "true",
                                   "key": "pk_test_x"}).encode()
    with urllib.request.urlopen(
            f"{api_base}/v1/payment_intents/{payment_intent_id}/_authenticate", data=body,
            timeout=5) as resp:
        assert json.load(resp)["status"] == "succeeded"


def active_pledge(container, config, capture, amount: int = 3000, **overrides) -> dict:
    """A pledge made through create_pledge and activated by localstripe's own paid-invoice
    webhook; returns its row joined with the subscription id."""
    api_base = config["STRIPE_API_BASE"]
    request = {"amount": amount, "email": "hanako@example.com", "name": "山田 花子",
               "locale": "ja", "payment_method": card(api_base)}
    request.update(overrides)
    created = call(container, "create_pledge", request)
    [pledge] = query(config["DATABASE_URL"], "SELECT * FROM pledges WHERE id = %s",
                     (created["id"],))
    body, signature = wait_delivery(
        capture, "invoice.payment_succeeded",
        lambda o: o.get("subscription") == pledge["stripe_subscription_id"])
    deliver(container, body, signature)
    [pledge] = query(config["DATABASE_URL"], "SELECT * FROM pledges WHERE id = %s",
                     (created["id"],))
    assert pledge["status"] == "active"
    return pledge
