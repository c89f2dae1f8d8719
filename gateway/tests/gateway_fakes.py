"""Test doubles for the services behind the gateway: real Nameko services on the test's vhost.

They answer the gateway's RPC calls with canned values or servicekit errors and record what
reached them (arguments and the correlation id in their worker context). The real services are
tested in their own packages.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg
from kombu.exceptions import OperationalError as KombuOperationalError
from nameko.extensions import DependencyProvider
from psycopg_pool import PoolTimeout
from servicekit import errors
from servicekit.rpc import rpc

# What the fake donations service does, keyed by the payment_method of the pledge.
FAILURES: dict[str, Callable[[], Exception]] = {
    "pm_declined": lambda: errors.PaymentDeclined("Your card was declined.",
                                                  {"reason": "insufficient_funds"}),
    "pm_too_small": lambda: errors.InvalidInput(
        "The pledge breaks a rule.", {"amount": ["The minimum monthly pledge is ¥500."]}),
    "pm_unusable": lambda: errors.Unprocessable(
        "the payment method is not usable",
        {"payment_method": ["This payment method is not usable."]}),
    "pm_conflict": lambda: errors.Conflict("A pledge is already active for this address."),
    "pm_not_found": lambda: errors.NotFound("No such tier."),
    "pm_forbidden": lambda: errors.Forbidden("Not allowed."),
    "pm_unavailable": lambda: errors.Unavailable("Stripe did not answer."),
    "pm_boom": lambda: RuntimeError("connection to postgresql://admin:hunter2@db failed"),
    # Dependency outages inside the service, as psycopg, its pool and kombu raise them.
    "pm_db_unreachable": lambda: psycopg.OperationalError(
        "connection failed: connection to server at 127.0.0.1, port 5432 failed"),
    "pm_db_dropped": lambda: psycopg.OperationalError(
        "consuming input failed: server closed the connection unexpectedly"),
    "pm_db_pool_timeout": lambda: PoolTimeout("couldn't get a connection after 5.00 sec"),
    "pm_broker_down": lambda: KombuOperationalError("[Errno 111] ECONNREFUSED"),
}


class WorkerContext(DependencyProvider):
    def get_dependency(self, worker_ctx):
        return worker_ctx


class Calls:
    """What reached a fake service: (method, args, correlation_id) in arrival order."""

    def __init__(self) -> None:
        self.items: list[tuple[str, tuple, str | None]] = []

    def record(self, ctx, method: str, *args: Any) -> None:
        self.items.append((method, args, ctx.data.get("correlation_id")))

    def of(self, method: str) -> list[tuple[tuple, str | None]]:
        return [(args, cid) for name, args, cid in self.items if name == method]


CALLS = Calls()


class FakeDonations:
    name = "donations"
    ctx = WorkerContext()

    @rpc
    def create_pledge(self, body: dict) -> dict:
        CALLS.record(self.ctx, "create_pledge", body)
        failure = FAILURES.get(body["payment_method"])
        if failure:
            raise failure()
        return {"id": "7b0c6d1e-3f7a-4d5e-9a51-0c2f4e8b9d10", "status": "pending",
                "client_secret": None if body["payment_method"] == "pm_no_3ds"
                else "pi_1_secret_2",
                "internal_note": "never shown to the public"}

    @rpc
    def handle_stripe_webhook(self, raw_body: str, signature: str) -> None:
        CALLS.record(self.ctx, "handle_stripe_webhook", raw_body, signature)
        if signature == "bad":
            raise errors.BadSignature("The signature does not match the body.")

    @rpc
    def ping(self) -> str:
        return "pong"


def _pinged(service_name: str) -> type:
    """A service that only answers pings, for readiness."""

    def ping(self) -> str:
        return "pong"

    return type(f"Fake{service_name.title()}", (), {"name": service_name, "ping": rpc(ping)})


FakeMatching = _pinged("matching")
FakePrograms = _pinged("programs")


class FakeNotifications:
    """Unsubscribes any token but those ending in `.forged`, which it did not sign."""

    name = "notifications"
    ctx = WorkerContext()

    @rpc
    def unsubscribe(self, token: str) -> dict:
        CALLS.record(self.ctx, "unsubscribe", token)
        if token.endswith(".forged"):
            raise errors.BadSignature("the unsubscribe link is not valid")
        return {"unsubscribed": True, "list": "impact_update"}

    @rpc
    def ping(self) -> str:
        return "pong"
