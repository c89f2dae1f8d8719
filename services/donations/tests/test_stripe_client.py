"""The Stripe adapter against localstripe (a stateful Stripe emulator) through the real stripe SDK.

localstripe runs as a subprocess on a free loopback port and posts signed webhooks to a small
HTTP receiver started here.
"""

from __future__ import annotations

import json
import os
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import stripe
from donations.stripe_client import (
    MONTHLY_PLAN_ID,
    BadSignature,
    CardDeclined,
    StripeClient,
    StripeUnavailable,
    WebhookEvent,
    construct_webhook_event,
    invoice_subscription_id,
)
from servicekit.devtools.localstripe_server import (
    TEST_API_KEY,
    create_card_payment_method,
    start_localstripe,
    stop,
)
from servicekit.testing import Delivery, HttpCapture, free_port

WEBHOOK_SECRET = "whsec_test_jii_donations"
VISA = "4242424242424242"
DECLINED_ON_ATTACH = "4000000000000002"  # localstripe refuses it when attached to a customer
DECLINED_ON_CHARGE = "4000000000000341"  # attaches fine, every charge is refused
NEEDS_3DS = "4000002760003184"
PICKLE = "/tmp/localstripe.pickle"


class WebhookReceiver(HttpCapture):
    """Catches localstripe's webhooks and verifies them with the test secret."""

    def verified_events(self) -> list[tuple[Delivery, WebhookEvent]]:
        with self._lock:
            deliveries = list(self.deliveries)
        return [(d, construct_webhook_event(d.body, d.signature, WEBHOOK_SECRET))
                for d in deliveries]

    def wait_for(
        self, predicate: Callable[[WebhookEvent], bool], count: int = 1, timeout: float = 15.0
    ) -> list[tuple[Delivery, WebhookEvent]]:
        deadline = time.monotonic() + timeout
        while True:
            found = [(d, e) for d, e in self.verified_events() if predicate(e)]
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.1)


@pytest.fixture(scope="module")
def pickle_state() -> tuple[bool, float | None]:
    exists = os.path.exists(PICKLE)
    return exists, os.path.getmtime(PICKLE) if exists else None


@pytest.fixture(scope="module")
def receiver() -> Iterator[WebhookReceiver]:
    r = WebhookReceiver()
    yield r
    r.close()


@pytest.fixture(scope="module")
def localstripe(
    receiver: WebhookReceiver, pickle_state: tuple[bool, float | None], tmp_path_factory: Any
) -> Iterator[tuple[str, int]]:
    port = free_port()
    log = open(tmp_path_factory.mktemp("localstripe") / "localstripe.log", "wb")
    proc = start_localstripe(port, receiver.url, WEBHOOK_SECRET, log=log)
    try:
        yield f"http://127.0.0.1:{port}", port
    finally:
        stop(proc)
        log.close()


@pytest.fixture(scope="module")
def api_base(localstripe: tuple[str, int]) -> str:
    return localstripe[0]


@pytest.fixture(scope="module")
def client(api_base: str) -> StripeClient:
    return StripeClient(TEST_API_KEY, api_base=api_base)


@pytest.fixture(scope="module")
def sdk(api_base: str) -> stripe.StripeClient:
    """Plain SDK client, to inspect what the adapter created."""
    return stripe.StripeClient(TEST_API_KEY, base_addresses={"api": api_base})


@pytest.fixture(scope="module")
def pledge(client: StripeClient, api_base: str) -> tuple[Any, str]:
    pm = create_card_payment_method(api_base, VISA)
    result = client.create_pledge_subscription(
        email="donor@example.org",
        name="Test Donor",
        locale="ja",
        payment_method=pm,
        amount=3000,
        pledge_id="pledge-3000",
        idempotency_key="pledge-3000-create",
    )
    return result, pm


def _pledge(client: StripeClient, api_base: str, card: str, pledge_id: str) -> Any:
    return client.create_pledge_subscription(
        email="donor@example.org",
        name="Test Donor",
        locale="en",
        payment_method=create_card_payment_method(api_base, card),
        amount=3000,
        pledge_id=pledge_id,
        idempotency_key=f"{pledge_id}-create",
    )


def test_monthly_plan_is_one_yen_a_month_and_created_once(
    client: StripeClient, sdk: stripe.StripeClient
) -> None:
    assert client.ensure_monthly_plan() == MONTHLY_PLAN_ID
    assert client.ensure_monthly_plan() == MONTHLY_PLAN_ID
    plan = sdk.v1.plans.retrieve(MONTHLY_PLAN_ID)
    assert (plan.amount, plan.currency, plan.interval) == (1, "jpy", "month")
    plans = sdk.v1.plans.list({"limit": 100}).data
    assert [p.id for p in plans].count(MONTHLY_PLAN_ID) == 1


def test_pledge_of_3000_yen_creates_active_subscription_paid_by_the_card(
    pledge: tuple[Any, str], sdk: stripe.StripeClient
) -> None:
    result, pm = pledge
    assert result.subscription_status == "active"
    assert result.invoice_status == "paid"
    assert result.payment.succeeded and not result.payment.requires_action
    assert result.payment.client_secret is None

    sub = sdk.v1.subscriptions.retrieve(result.subscription_id)
    assert sub.customer == result.customer_id
    assert sub.metadata.to_dict() == {"pledge_id": "pledge-3000"}
    assert sub.to_dict()["quantity"] == 3000
    assert sub.to_dict()["plan"]["id"] == MONTHLY_PLAN_ID

    customer = sdk.v1.customers.retrieve(result.customer_id)
    assert customer.invoice_settings.default_payment_method == pm
    assert customer.preferred_locales == ["ja"]
    assert sdk.v1.payment_methods.retrieve(pm).customer == result.customer_id

    invoice = sdk.v1.invoices.retrieve(result.invoice_id).to_dict()
    assert (invoice["amount_paid"], invoice["currency"]) == (3000, "jpy")
    intent = sdk.v1.payment_intents.retrieve(result.payment.payment_intent_id)
    assert (intent.amount, intent.currency, intent.status) == (3000, "jpy", "succeeded")


def test_pledge_webhooks_arrive_signed_and_carry_the_ledger_fields(
    pledge: tuple[Any, str], receiver: WebhookReceiver
) -> None:
    result, _ = pledge

    def about_pledge(e: WebhookEvent) -> bool:
        o = e.object
        return result.customer_id in (o.get("id"), o.get("customer"))

    expected = {
        "customer.created",
        "customer.subscription.created",
        "invoice.created",
        "payment_intent.succeeded",
        "invoice.payment_succeeded",
    }
    events = {e.type: e for _, e in receiver.wait_for(about_pledge, count=len(expected))}
    assert set(events) == expected
    assert "invoice.paid" not in events  # localstripe only sends invoice.payment_succeeded

    paid = events["invoice.payment_succeeded"].object
    assert paid["id"] == result.invoice_id
    assert (paid["amount_paid"], paid["currency"], paid["status"]) == (3000, "jpy", "paid")
    assert invoice_subscription_id(paid) == result.subscription_id
    assert paid["payment_intent"] == result.payment.payment_intent_id

    succeeded = events["payment_intent.succeeded"].object
    assert succeeded["invoice"] == result.invoice_id
    assert (succeeded["amount"], succeeded["currency"]) == (3000, "jpy")

    created = events["customer.subscription.created"].object
    assert created["id"] == result.subscription_id
    assert created["metadata"] == {"pledge_id": "pledge-3000"}
    for event in events.values():
        assert event.id.startswith("evt_") and event.created > 1_500_000_000


def test_webhook_with_wrong_secret_tampered_body_or_no_signature_is_rejected(
    pledge: tuple[Any, str], receiver: WebhookReceiver
) -> None:
    result, _ = pledge
    [(delivery, event)] = receiver.wait_for(
        lambda e: e.type == "invoice.payment_succeeded" and e.object["id"] == result.invoice_id
    )
    assert construct_webhook_event(delivery.body, delivery.signature, WEBHOOK_SECRET) == event

    with pytest.raises(BadSignature):
        construct_webhook_event(delivery.body, delivery.signature, "whsec_wrong")
    tampered = delivery.body.replace(b'"amount_paid": 3000', b'"amount_paid": 30000')
    assert tampered != delivery.body
    with pytest.raises(BadSignature):
        construct_webhook_event(tampered, delivery.signature, WEBHOOK_SECRET)
    with pytest.raises(BadSignature):
        construct_webhook_event(delivery.body, None, WEBHOOK_SECRET)
    with pytest.raises(BadSignature):
        construct_webhook_event(delivery.body, delivery.signature, WEBHOOK_SECRET, tolerance=-1)


def test_card_refused_when_attached_raises_card_declined_with_reason(
    client: StripeClient, api_base: str
) -> None:
    with pytest.raises(CardDeclined) as info:
        _pledge(client, api_base, DECLINED_ON_ATTACH, "pledge-declined-attach")
    assert info.value.reason == "card_declined"
    assert info.value.message == "Your card was declined."
    assert info.value.subscription_id is None


def test_card_refused_on_first_charge_raises_card_declined_and_leaves_subscription_incomplete(
    client: StripeClient, api_base: str, sdk: stripe.StripeClient
) -> None:
    with pytest.raises(CardDeclined) as info:
        _pledge(client, api_base, DECLINED_ON_CHARGE, "pledge-declined-charge")
    assert info.value.reason == "card_declined"
    assert info.value.subscription_id is not None
    assert sdk.v1.subscriptions.retrieve(info.value.subscription_id).status == "incomplete"
    intent = sdk.v1.payment_intents.retrieve(info.value.payment_intent_id)
    assert intent.status == "requires_payment_method"


def test_card_needing_3d_secure_returns_client_secret_then_pays_once_authenticated(
    client: StripeClient, api_base: str, sdk: stripe.StripeClient, receiver: WebhookReceiver
) -> None:
    result = _pledge(client, api_base, NEEDS_3DS, "pledge-3ds")
    assert result.subscription_status == "incomplete"
    assert result.invoice_status == "open"
    assert result.payment.requires_action
    pi_id = result.payment.payment_intent_id
    assert result.payment.client_secret.startswith(f"{pi_id}_secret_")

    # What Stripe.js does in the browser; localstripe's hook for a passed 3-D Secure challenge.
    body = urllib.parse.urlencode({
        "client_secret": result.payment.client_secret, "success": "true", "key": "pk_test_x",
    }).encode()
    with urllib.request.urlopen(
        f"{api_base}/v1/payment_intents/{pi_id}/_authenticate", data=body, timeout=5
    ) as resp:
        assert json.load(resp)["status"] == "succeeded"

    [(_, paid)] = receiver.wait_for(
        lambda e: e.type == "invoice.payment_succeeded" and e.object["id"] == result.invoice_id
    )
    assert paid.object["amount_paid"] == 3000
    assert sdk.v1.subscriptions.retrieve(result.subscription_id).status == "active"


def test_one_time_payment_succeeds_and_sends_payment_intent_succeeded(
    client: StripeClient, api_base: str, receiver: WebhookReceiver
) -> None:
    outcome = client.create_one_time_payment(
        payment_method=create_card_payment_method(api_base, VISA),
        amount=5000,
        donation_id="donation-5000",
        idempotency_key="donation-5000-create",
    )
    assert outcome.succeeded and outcome.client_secret is None
    [(_, event)] = receiver.wait_for(
        lambda e: e.type == "payment_intent.succeeded"
        and e.object["id"] == outcome.payment_intent_id
    )
    o = event.object
    assert (o["amount"], o["currency"], o["metadata"]) == (
        5000, "jpy", {"donation_id": "donation-5000"}
    )
    assert o["latest_charge"]["payment_intent"] == outcome.payment_intent_id


def test_one_time_payment_refused_raises_card_declined_and_sends_payment_failed(
    client: StripeClient, api_base: str, receiver: WebhookReceiver
) -> None:
    with pytest.raises(CardDeclined) as info:
        client.create_one_time_payment(
            payment_method=create_card_payment_method(api_base, DECLINED_ON_CHARGE),
            amount=5000,
            donation_id="donation-declined",
            idempotency_key="donation-declined-create",
        )
    assert info.value.reason == "card_declined"
    failed = receiver.wait_for(
        lambda e: e.type == "payment_intent.payment_failed"
        and e.object["metadata"] == {"donation_id": "donation-declined"}
    )
    assert len(failed) == 1
    assert failed[0][1].object["last_payment_error"]["code"] == "card_declined"


def test_one_time_payment_needing_3d_secure_returns_client_secret(
    client: StripeClient, api_base: str
) -> None:
    outcome = client.create_one_time_payment(
        payment_method=create_card_payment_method(api_base, NEEDS_3DS),
        amount=5000,
        donation_id="donation-3ds",
        idempotency_key="donation-3ds-create",
    )
    assert outcome.requires_action
    assert outcome.client_secret.startswith(f"{outcome.payment_intent_id}_secret_")


def test_unreachable_stripe_raises_stripe_unavailable() -> None:
    down = StripeClient(
        TEST_API_KEY, api_base=f"http://127.0.0.1:{free_port()}", max_network_retries=0
    )
    with pytest.raises(StripeUnavailable):
        down.ensure_monthly_plan()


def test_localstripe_listens_on_loopback_only_and_never_touches_the_shared_pickle(
    localstripe: tuple[str, int], pledge: tuple[Any, str], pickle_state: tuple[bool, float | None]
) -> None:
    _, port = localstripe
    listening = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for line in f.readlines()[1:]:
                local, state = line.split()[1], line.split()[3]
                addr, hex_port = local.split(":")
                if state == "0A" and int(hex_port, 16) == port:  # 0A = LISTEN
                    listening.add(addr)
    assert listening == {"0100007F"}  # 127.0.0.1 only, no [::] or 0.0.0.0
    exists, mtime = pickle_state
    assert os.path.exists(PICKLE) == exists
    if exists:
        assert os.path.getmtime(PICKLE) == mtime
