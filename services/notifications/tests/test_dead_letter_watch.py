"""The dead-letter queue watch: when a growing queue is news, on real PostgreSQL and RabbitMQ."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import eventlet
import pytest
from kombu import Connection, Producer, Queue
from nameko.testing.services import entrypoint_hook, entrypoint_waiter
from notifications import dead_letters
from notifications.dead_letters import Alerted, Decision, Watch, decide, observe, read_depths
from notifications.service import NotificationsService
from servicekit.db import connect
from servicekit.testing import free_port, query, wait_for_deliveries, wait_until

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"
DEFINITIONS = Path(__file__).resolve().parents[3] / "deploy" / "rabbitmq" / "definitions.json"
NOW = datetime(2026, 4, 22, 0, 0, tzinfo=UTC)


# -- the rule ------------------------------------------------------------------------------


def _alerted(depth: int, hours_ago: float = 1) -> Alerted:
    return Alerted(depth, NOW - timedelta(hours=hours_ago))


@pytest.mark.parametrize(("depth", "threshold", "last", "expected"), [
    (0, 1, None, Decision.QUIET),                    # empty, nothing outstanding
    (1, 1, None, Decision.ALERT),                    # the first parked event
    (4, 5, None, Decision.QUIET),                    # below a higher threshold
    (5, 5, None, Decision.ALERT),
    (3, 1, _alerted(3), Decision.QUIET),             # same depth: told already
    (5, 1, _alerted(3), Decision.QUIET),             # growing, but not doubled, within a day
    (6, 1, _alerted(3), Decision.ALERT),             # doubled
    (2, 1, _alerted(1, hours_ago=0.01), Decision.ALERT),  # 1 -> 2 is doubling too
    (4, 1, _alerted(3, hours_ago=24), Decision.ALERT),    # still growing a day later
    (3, 1, _alerted(3, hours_ago=48), Decision.QUIET),    # a day later, but not growing
    (2, 1, _alerted(3, hours_ago=48), Decision.LOWER),    # shrinking (being replayed)
    (5, 1, _alerted(10), Decision.LOWER),            # half replayed: growth counts from 5
    (0, 1, _alerted(3), Decision.CLEAR),             # drained: the next growth alerts again
    (4, 5, _alerted(8), Decision.CLEAR),             # below the threshold, not empty
])
def test_decide(depth: int, threshold: int, last: Alerted | None, expected: Decision) -> None:
    assert decide(depth, threshold, last, NOW) is expected


def test_config_reads_a_comma_list_or_a_list_and_refuses_a_zero_threshold() -> None:
    watch = Watch.from_config({"DLQ_WATCH_QUEUES": " a.dlq, b.dlq ,,a.dlq",
                               "DLQ_ALERT_THRESHOLD": "3"})
    assert (watch.queues, watch.threshold) == (("a.dlq", "b.dlq"), 3)
    assert Watch.from_config({"DLQ_WATCH_QUEUES": ["c.dlq"]}).queues == ("c.dlq",)
    assert Watch.from_config({}).queues == dead_letters.DEFAULT_QUEUES
    with pytest.raises(RuntimeError):
        Watch.from_config({"DLQ_ALERT_THRESHOLD": 0})


# -- the memory, on PostgreSQL -------------------------------------------------------------


@pytest.fixture
def database(make_database) -> str:
    return make_database("notifications", MIGRATIONS)


def test_the_memory_alerts_once_per_growth_and_forgets_when_drained(database) -> None:
    with connect(database) as conn:
        first = observe(conn, "x.dlq", 3, 1, NOW)
        assert first == {"queue": "x.dlq", "depth": 3, "previous_depth": 0, "threshold": 1,
                         "observed_at": NOW.isoformat()}
        assert observe(conn, "x.dlq", 3, 1, NOW + timedelta(minutes=1)) is None
        assert observe(conn, "x.dlq", 6, 1, NOW + timedelta(minutes=2))["previous_depth"] == 3
        assert observe(conn, "x.dlq", 0, 1, NOW + timedelta(minutes=3)) is None
        assert observe(conn, "x.dlq", 0, 1, NOW + timedelta(minutes=3, seconds=30)) is None
        # cleared: drained for two ticks
        assert observe(conn, "x.dlq", 1, 1, NOW + timedelta(minutes=4))["previous_depth"] == 0
        [row] = conn.execute("SELECT * FROM dead_letter_watch").fetchall()
    assert (row["alerted_depth"], row["observed_depth"]) == (1, 1)


def test_staff_looking_at_a_queue_for_a_tick_are_not_alerted_again(database) -> None:
    # `jii dlq show` holds the parked messages unacknowledged: one tick reads the queue empty.
    with connect(database) as conn:
        assert observe(conn, "x.dlq", 3, 1, NOW)
        assert observe(conn, "x.dlq", 0, 1, NOW + timedelta(minutes=1)) is None
        assert observe(conn, "x.dlq", 3, 1, NOW + timedelta(minutes=2)) is None  # not news
        # really drained: two empty ticks forget it, and the next growth is news again
        assert observe(conn, "x.dlq", 0, 1, NOW + timedelta(minutes=3)) is None
        assert observe(conn, "x.dlq", 0, 1, NOW + timedelta(minutes=4)) is None
        assert observe(conn, "x.dlq", 1, 1, NOW + timedelta(minutes=5))


def test_after_a_partial_replay_new_growth_is_measured_from_what_is_left(database) -> None:
    with connect(database) as conn:
        assert observe(conn, "x.dlq", 10, 1, NOW)
        assert observe(conn, "x.dlq", 4, 1, NOW + timedelta(minutes=1)) is None  # replaying
        # 8 is not news against the 10 first told, but it is twice what was left
        alert = observe(conn, "x.dlq", 8, 1, NOW + timedelta(minutes=2))
    assert alert and alert["previous_depth"] == 4


def test_two_instances_deciding_at_the_same_moment_alert_once(database) -> None:
    with connect(database) as first, connect(database) as second:
        assert observe(first, "x.dlq", 2, 1, NOW)  # its transaction is still open
        pending = eventlet.spawn(observe, second, "x.dlq", 2, 1, NOW)
        eventlet.sleep(0.3)
        assert not pending.dead, "the second waits for the first's row"
        first.commit()
        assert pending.wait() is None
        second.commit()


# -- reading depths from RabbitMQ ----------------------------------------------------------


def _park(config: dict, queue: str, count: int) -> None:
    """Put `count` messages in a dead-letter queue of the test's own (its private vhost)."""
    # Confirmed publishes: the broker has queued them before a depth is read.
    with Connection(config["AMQP_URI"], transport_options={"confirm_publish": True}) as conn:
        producer = Producer(conn.channel())
        declared = Queue(queue, durable=True, auto_delete=False)
        for i in range(count):
            producer.publish({"parked": i}, exchange="", routing_key=queue,
                             declare=[declared], serializer="json")


def _queue_name() -> str:
    return f"test-{uuid.uuid4().hex[:10]}.dlq"


def test_depths_are_read_passively_and_a_missing_queue_holds_nothing(rabbit_config) -> None:
    parked, missing = _queue_name(), _queue_name()
    _park(rabbit_config, parked, 3)
    watch = Watch(amqp_uri=rabbit_config["AMQP_URI"], queues=(parked, missing))

    assert read_depths(watch) == {parked: 3, missing: 0}
    assert read_depths(watch)[parked] == 3, "nothing was consumed"


def test_the_deployed_notifications_user_may_read_every_services_depth(rabbit_config,
                                                                    rabbit_manager) -> None:
    # RabbitMQ checks no permission on a passive queue.declare: the least-privilege user of
    # the broker definitions reads the depth of queues it may not configure or write (it may
    # read them, for admins replaying them: test_dead_letter_replay).
    [allowed] = [entry for entry in json.loads(DEFINITIONS.read_text())["permissions"]
                 if entry["user"] == "notifications"]
    assert not any(re.match(allowed[kind], "donations.dlq") for kind in ("configure", "write"))
    _park(rabbit_config, "donations.dlq", 2)
    user, password = f"test-notifications-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    rabbit_manager._put("users", user, json={"password": password, "tags": ""})
    try:
        rabbit_manager.set_vhost_permissions(rabbit_config["vhost"], user, allowed["configure"],
                                             allowed["read"], allowed["write"])
        uri = urlsplit(rabbit_config["AMQP_URI"])
        as_notifications = urlunsplit(uri._replace(
            netloc=f"{user}:{password}@{uri.hostname}:{uri.port}"))
        watch = Watch(amqp_uri=as_notifications, queues=("donations.dlq", "gateway.dlq"))

        assert read_depths(watch) == {"donations.dlq": 2, "gateway.dlq": 0}
    finally:
        rabbit_manager._delete("users", user)


def test_a_broker_outage_is_an_error_the_caller_can_wait_out() -> None:
    watch = Watch(amqp_uri=f"amqp://guest:guest@127.0.0.1:{free_port()}//", queues=("a.dlq",))
    with pytest.raises(dead_letters.BrokerUnavailable):
        read_depths(watch, timeout=1)


# -- the service: timer -> outbox -> its own event -> staff e-mail -------------------------


@pytest.fixture
def watching(container_factory, service_config, make_database, smtp_sink):
    """The service watching one fresh queue of its own; the timer ticks only when told to."""

    def start(**extra) -> tuple:
        queue = _queue_name()
        config = service_config(
            make_database("notifications", MIGRATIONS), SMTP_HOST="127.0.0.1",
            SMTP_PORT=smtp_sink.port, MAIL_FROM="info@j-ii.org", STAFF_ALERT_EMAIL="staff@j-ii.org",
            **{"DLQ_WATCH_QUEUES": queue, "DLQ_ALERT_THRESHOLD": 1, "DLQ_WATCH_SECONDS": 3600,
               **extra})
        container = container_factory(NotificationsService, config)
        container.start()
        return container, config, queue

    return start


def _alerts(config: dict) -> list[dict]:
    return query(config["DATABASE_URL"],
                 "SELECT envelope FROM outbox WHERE routing_key = 'dead_letters_growing'")


def test_a_growing_queue_alerts_staff_once_through_the_outbox(watching, smtp_sink) -> None:
    container, config, queue = watching()
    _park(config, queue, 2)

    with entrypoint_hook(container, "watch_dead_letters") as tick:
        assert tick() == [queue]
        assert tick() == [], "the same depth a tick later is not news"

    [alert] = _alerts(config)
    assert alert["envelope"]["source"] == "notifications"
    assert alert["envelope"]["data"]["depth"] == 2
    [mail] = wait_until(smtp_sink.messages, message="the staff alert")
    assert mail["To"].addresses[0].addr_spec == "staff@j-ii.org"
    assert mail["Content-Language"] == "ja" and queue in mail["Subject"]
    body = mail.get_body(("plain",)).get_content()
    assert f"jii dlq list {queue.removesuffix('.dlq')}" in body and "2 件" in body
    wait_for_deliveries(container, "notifications", "dead_letters_growing", 1)
    assert len(smtp_sink.messages()) == 1

    _park(config, queue, 2)  # doubled
    with entrypoint_hook(container, "watch_dead_letters") as tick:
        assert tick() == [queue]
    wait_until(lambda: len(smtp_sink.messages()) == 2, message="the second alert")
    assert len(_alerts(config)) == 2


def test_an_unreachable_broker_skips_a_tick_and_the_next_one_alerts(watching, smtp_sink,
                                                                   monkeypatch) -> None:
    container, config, queue = watching()
    _park(config, queue, 1)

    def broker_down(watch, timeout=5.0):
        raise dead_letters.BrokerUnavailable("ConnectionRefusedError: [Errno 111]")

    with monkeypatch.context() as patch:
        patch.setattr(dead_letters, "read_depths", broker_down)
        with entrypoint_hook(container, "watch_dead_letters") as tick:
            assert tick() == []
    assert _alerts(config) == []
    assert query(config["DATABASE_URL"], "SELECT * FROM dead_letter_watch") == []

    with entrypoint_hook(container, "watch_dead_letters") as tick:
        assert tick() == [queue]
    wait_until(smtp_sink.messages, message="the staff alert")


def test_the_timer_ticks_by_itself_and_mails_once_per_growth(watching, smtp_sink) -> None:
    container, config, queue = watching(DLQ_WATCH_SECONDS=0.2)
    _park(config, queue, 1)

    wait_until(smtp_sink.messages, message="the staff alert")
    ticks: list = []
    with entrypoint_waiter(container, "watch_dead_letters",  # more ticks at the same depth
                           callback=lambda _, result, __: ticks.append(result) or len(ticks) == 3):
        pass
    assert ticks == [[], [], []], "the same depth is not news again"
    wait_for_deliveries(container, "notifications", "dead_letters_growing", 1)
    assert len(smtp_sink.messages()) == 1
    assert len(_alerts(config)) == 1
    [state] = query(config["DATABASE_URL"], "SELECT * FROM dead_letter_watch")
    assert (state["queue"], state["alerted_depth"], state["observed_depth"]) == (queue, 1, 1)
