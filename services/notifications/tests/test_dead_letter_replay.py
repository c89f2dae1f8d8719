"""Admins looking into the dead-letter queues and replaying them through the service (what the
staff console calls), on real RabbitMQ; other callers are refused."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from kombu import Connection, Queue
from nameko.testing.services import entrypoint_hook
from notifications.service import NotificationsService
from servicekit import errors
from servicekit.testing import park_dead_letter

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"
DEFINITIONS = Path(__file__).resolve().parents[3] / "deploy" / "rabbitmq" / "definitions.json"
ADMIN = {"staff_subject": "admin-1", "staff_role": "admin"}
HANDLER = "evt-donations-payment_succeeded--programs.count_gift"
ALL = {"all": True}
ERROR = "Traceback (most recent call last):\n  ...\nKeyError: 'designation'"


def envelope() -> dict:
    event_id = str(uuid.uuid4())
    return {"id": event_id, "type": "payment_succeeded", "version": 1, "source": "donations",
            "occurred_at": "2026-11-01T00:00:00+00:00", "correlation_id": event_id,
            "data": {"amount": 3000}}


@pytest.fixture
def notifications(container_factory, service_config, make_database, rabbit_config):
    def start(**extra) -> tuple:
        config = service_config(make_database("notifications", MIGRATIONS),
                                SMTP_HOST="127.0.0.1", SMTP_PORT=1, DLQ_WATCH_SECONDS=3600,
                                **extra)
        container = container_factory(NotificationsService, config)
        container.start()
        with Connection(rabbit_config["AMQP_URI"]) as conn:  # as the broker's admin
            Queue(HANDLER, durable=True)(conn.channel()).declare()
        return container, config

    return start


def call(container, method: str, *args, context: dict | None = ADMIN):
    with entrypoint_hook(container, method, context_data=context) as hook:
        return hook(*args)


def depth(uri: str, queue: str) -> int:
    with Connection(uri) as conn:
        return conn.channel().queue_declare(queue, passive=True).message_count


def test_an_admin_sees_the_queues_peeks_without_consuming_and_replays_the_first_n(
        notifications) -> None:
    container, config = notifications()
    uri = config["AMQP_URI"]
    bodies = [envelope() for _ in range(3)]
    ids = [park_dead_letter(uri, "donations", body, ERROR, HANDLER) for body in bodies]

    queues = {q["queue"]: q for q in call(container, "dead_letter_queues")["queues"]}
    assert queues["donations.dlq"] == {"service": "donations", "queue": "donations.dlq",
                                       "depth": 3}
    assert queues["gateway.dlq"]["depth"] == 0  # never parked anything: empty, not an error

    peeked = call(container, "dead_letters", "donations", {"limit": 2})
    assert (peeked["depth"], [m["message_id"] for m in peeked["messages"]]) == (3, ids[:2])
    first = peeked["messages"][0]
    assert (first["type"], first["handler_queue"], first["attempt"]) == (
        "payment_succeeded", HANDLER, 4)
    assert first["envelope"] == bodies[0] and first["error"].endswith("KeyError: 'designation'")
    assert depth(uri, "donations.dlq") == 3, "looking consumed nothing"

    replayed = call(container, "replay_dead_letters", "donations", {"count": 2})
    assert [r["message_id"] for r in replayed["replayed"]] == ids[:2]
    assert replayed["left"] == 1
    assert depth(uri, HANDLER) == 2 and depth(uri, "donations.dlq") == 1
    with Connection(uri) as conn:
        message = conn.channel().basic_get(HANDLER, no_ack=True)
    assert json.loads(message.body) == bodies[0]
    assert message.properties["application_headers"]["x-jii-attempt"] == 0

    assert call(container, "replay_dead_letters", "donations", ALL)["left"] == 0  # all of them
    assert depth(uri, "donations.dlq") == 0


def test_a_message_whose_queue_is_gone_stays_parked_and_is_a_conflict(notifications) -> None:
    container, config = notifications()
    park_dead_letter(config["AMQP_URI"], "matching", envelope(), ERROR, "gone-queue")
    with pytest.raises(errors.Conflict):
        call(container, "replay_dead_letters", "matching", ALL)
    assert depth(config["AMQP_URI"], "matching.dlq") == 1


@pytest.mark.parametrize("method, args, refused", [
    ("dead_letters", ("billing", {}), errors.NotFound),
    ("replay_dead_letters", ("billing", ALL), errors.NotFound),
    ("dead_letters", ("donations", {"limit": 0}), errors.InvalidInput),
    ("replay_dead_letters", ("donations", {"count": True}), errors.InvalidInput),
    ("replay_dead_letters", ("donations", {"count": 1001}), errors.InvalidInput),
    ("replay_dead_letters", ("donations", {"count": 1, "all": True}), errors.InvalidInput),
    ("replay_dead_letters", ("donations", {}), errors.InvalidInput),
])
def test_unknown_queues_and_bad_counts_are_refused(notifications, method, args,
                                                   refused) -> None:
    container, _ = notifications()
    with pytest.raises(refused):
        call(container, method, *args)


@pytest.mark.parametrize("context", [None, {"staff_subject": "s", "staff_role": "staff"},
                                     {"staff_subject": "c", "staff_role": "consultant"}])
def test_only_admins_reach_the_queues(notifications, context) -> None:
    container, config = notifications()
    park_dead_letter(config["AMQP_URI"], "donations", envelope(), ERROR, HANDLER)
    for method, args in (("dead_letter_queues", ()), ("dead_letters", ("donations", {})),
                         ("replay_dead_letters", ("donations", ALL))):
        with pytest.raises(errors.Forbidden):
            call(container, method, *args, context=context)
    assert depth(config["AMQP_URI"], "donations.dlq") == 1


def test_the_deployed_notifications_user_may_peek_and_replay_every_services_queue(
        notifications, rabbit_config, rabbit_manager) -> None:
    [allowed] = [entry for entry in json.loads(DEFINITIONS.read_text())["permissions"]
                 if entry["user"] == "notifications"]
    user, password = f"test-notifications-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    rabbit_manager._put("users", user, json={"password": password, "tags": ""})
    try:
        rabbit_manager.set_vhost_permissions(rabbit_config["vhost"], user, allowed["configure"],
                                             allowed["read"], allowed["write"])
        uri = urlsplit(rabbit_config["AMQP_URI"])
        as_notifications = urlunsplit(uri._replace(
            netloc=f"{user}:{password}@{uri.hostname}:{uri.port}"))
        container, config = notifications(AMQP_URI=as_notifications)
        for service in ("donations", "gateway"):
            park_dead_letter(rabbit_config["AMQP_URI"], service, envelope(), ERROR, HANDLER)
            assert len(call(container, "dead_letters", service, {})["messages"]) == 1
            assert call(container, "replay_dead_letters", service, ALL)["left"] == 0
        assert depth(rabbit_config["AMQP_URI"], HANDLER) == 2
    finally:
        rabbit_manager._delete("users", user)
