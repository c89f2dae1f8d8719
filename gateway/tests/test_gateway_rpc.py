"""The gateway's dealings with the services: timeouts, readiness and the Stripe webhook."""

from __future__ import annotations

import time

import eventlet
import pytest
import requests
from gateway.service import GatewayService
from gateway_fakes import FakeDonations, FakeMatching, FakeNotifications, FakePrograms
from kombu.message import Message

VALID = {"amount": 3000, "email": "hanako@example.org", "name": "Yamada Hanako",
         "locale": "en-us", "payment_method": "pm_card_visa"}


def assert_unavailable(response: requests.Response) -> dict:
    assert response.status_code == 503, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    assert int(response.headers["Retry-After"]) > 0
    return response.json()


def test_service_never_started_is_503_at_once(gateway):
    started = time.monotonic()
    response = requests.post(f"{gateway}/api/pledges", json=VALID, timeout=10)

    assert_unavailable(response)
    assert time.monotonic() - started < 1  # refused by the broker: no queue to deliver to


def test_service_gone_is_503_after_the_rpc_timeout_and_the_call_is_not_replayed(
        gateway, donations, calls, start_service):
    donations.stop()  # its durable queue stays behind: the request is queued, nobody answers

    started = time.monotonic()
    response = requests.post(f"{gateway}/api/pledges", json=VALID, timeout=10,
                             headers={"X-Request-ID": "while-down"})

    assert_unavailable(response)
    assert 0.9 < time.monotonic() - started < 5  # RPC_TIMEOUT_SECONDS is 1 in these tests

    # The client was told to retry; the queued request expired with the timeout, so a service
    # coming back must not create the pledge behind its back.
    start_service(FakeDonations)
    eventlet.sleep(0.5)
    assert calls.of("create_pledge") == []

    again = requests.post(f"{gateway}/api/pledges", json=VALID, timeout=10)
    assert again.status_code == 201


def test_webhook_body_reaches_the_service_byte_for_byte(gateway, donations, calls):
    text = ('\ufeff{"id": "evt_1",\r\n\t"note":   "寄付 ありがとう ✓ naïve \u2028 \\u00e9",'
            '\n"emoji": "🙏", "nul": "\\u0000"}  \n\n\t ')
    raw = text.encode("utf-8")

    response = requests.post(f"{gateway}/api/webhooks/stripe", data=raw, timeout=10,
                             headers={"Content-Type": "application/json",
                                      "Stripe-Signature": "t=1,v1=abc"})

    assert response.status_code == 200
    assert response.json() == {"received": True}
    [((body, signature), _)] = calls.of("handle_stripe_webhook")
    assert body.encode("utf-8") == raw
    assert signature == "t=1,v1=abc"


def test_a_reply_acknowledged_as_the_broker_drops_still_answers_and_the_gateway_lives(
        gateway, gateway_container, donations, calls, monkeypatch):
    # The broker going away between a reply's arrival and its acknowledgement used to kill the
    # gateway's container (a socket error in a container thread), and so the whole process.
    acknowledge = Message.ack
    failed = []

    def acknowledge_on_a_reset_connection(message, multiple=False) -> None:
        # a reply has no reply_to (requests to the fake service, in this process too, do)
        if not failed and "reply_to" not in message.properties:
            failed.append(message.properties.get("correlation_id"))
            raise ConnectionResetError(104, "Connection reset by peer")
        acknowledge(message, multiple)

    monkeypatch.setattr(Message, "ack", acknowledge_on_a_reset_connection)
    webhook = {"data": b"{}", "timeout": 10, "headers": {"Stripe-Signature": "t=1,v1=abc"}}

    first = requests.post(f"{gateway}/api/webhooks/stripe", **webhook)
    second = requests.post(f"{gateway}/api/webhooks/stripe", **webhook)

    assert failed and failed[0]  # the failing acknowledgement was a reply's
    assert (first.status_code, second.status_code) == (200, 200)
    assert len(calls.of("handle_stripe_webhook")) == 2
    assert not gateway_container._died.ready()


def test_webhook_accepts_bodies_larger_than_public_forms(gateway, donations, calls):
    raw = ('{"padding": "' + "x" * 6000 + '"}').encode()  # over MAX_BODY_BYTES, under webhook's

    response = requests.post(f"{gateway}/api/webhooks/stripe", data=raw, timeout=10,
                             headers={"Stripe-Signature": "t=1,v1=abc"})

    assert response.status_code == 200
    assert len(calls.of("handle_stripe_webhook")) == 1


def test_webhook_without_signature_is_400(gateway, donations, calls):
    response = requests.post(f"{gateway}/api/webhooks/stripe", data=b"{}", timeout=10,
                             headers={"Content-Type": "application/json"})

    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["header"] == "Stripe-Signature"
    assert calls.of("handle_stripe_webhook") == []


def test_webhook_with_bad_signature_is_400(gateway, donations):
    response = requests.post(f"{gateway}/api/webhooks/stripe", data=b"{}", timeout=10,
                             headers={"Stripe-Signature": "bad"})

    assert response.status_code == 400
    assert response.json()["type"] == "/problems/bad-signature"


def test_webhook_body_that_is_not_utf8_is_400(gateway, donations, calls):
    response = requests.post(f"{gateway}/api/webhooks/stripe", data=b"\xff\xfe", timeout=10,
                             headers={"Stripe-Signature": "t=1,v1=abc"})

    assert response.status_code == 400
    assert calls.of("handle_stripe_webhook") == []


def test_readyz_lists_the_services_that_did_not_answer(gateway, donations):
    started = time.monotonic()
    response = requests.get(f"{gateway}/readyz", timeout=10)

    problem = assert_unavailable_problem(response)
    assert problem["unavailable"] == ["matching", "notifications", "programs"]
    assert problem["services"]["donations"] == "ok"
    assert time.monotonic() - started < 2


def test_readyz_waits_no_longer_than_its_timeout_for_a_hung_service(
        gateway, start_service):
    for service in (FakeDonations, FakeMatching, FakePrograms):
        start_service(service)
    start_service(FakeNotifications).stop()  # queue left behind, nobody consuming

    started = time.monotonic()
    response = requests.get(f"{gateway}/readyz", timeout=10)

    problem = assert_unavailable_problem(response)
    assert problem["services"]["notifications"] == "timeout"
    assert problem["unavailable"] == ["notifications"]
    assert time.monotonic() - started < 2  # READY_TIMEOUT_SECONDS is 0.5 in these tests


@pytest.fixture
def patient_gateway(container_factory, gateway_config) -> str:
    """A gateway whose readiness check waits as long as a loaded machine may need: the usual
    half second is for the tests that time it."""
    config = {**gateway_config, "READY_TIMEOUT_SECONDS": 5}
    container_factory(GatewayService, config).start()
    return "http://" + config["WEB_SERVER_ADDRESS"]


def test_readyz_is_200_when_every_service_answers(patient_gateway, start_service):
    for service in (FakeDonations, FakeMatching, FakePrograms, FakeNotifications):
        start_service(service)

    response = requests.get(f"{patient_gateway}/readyz", timeout=10)

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "services": {
        "donations": "ok", "matching": "ok", "programs": "ok", "notifications": "ok"}}


def assert_unavailable_problem(response: requests.Response) -> dict:
    assert response.status_code == 503, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    return response.json()
