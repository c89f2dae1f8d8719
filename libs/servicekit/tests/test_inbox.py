"""The inbox every `consume_event` handler gets without asking: a duplicate never reaches the
handler, and a handler that fails leaves nothing behind, so its redelivery runs it again."""

from pathlib import Path

import psycopg
import pytest
from nameko.testing.services import entrypoint_hook, entrypoint_waiter
from servicekit.db import Database
from servicekit.events import Envelope, consume_event
from servicekit.events.relay import event_exchange, make_publisher
from servicekit.testing import finished_deliveries, query

from . import kit_services  # noqa: F401 - registers the kit_source tick contract

MIGRATIONS = Path(__file__).parent / "migrations"
CALLS: list[int] = []
REFUSED: set[int] = set()


class ForgetfulSink:
    """A handler that does nothing about duplicates itself."""

    name = "forgetful_sink"
    db = Database()

    @consume_event("kit_source", "tick")
    def record_tick(self, event: Envelope, conn: psycopg.Connection) -> None:
        CALLS.append(event.data["n"])
        conn.execute("INSERT INTO seen (event_id, n) VALUES (%s, %s)",
                     (event.id, event.data["n"]))
        if event.data["n"] in REFUSED:
            raise RuntimeError("refused after writing")


class SinkWithoutDatabase:
    name = "sink_without_database"

    @consume_event("kit_source", "tick")
    def record_tick(self, event: Envelope, conn: psycopg.Connection) -> None:
        pass


@pytest.fixture
def sink(container_factory, service_config, make_database):
    CALLS.clear()
    REFUSED.clear()
    # A retry later than the tests take to look at what a failed attempt left behind.
    config = service_config(make_database("kit_sink", MIGRATIONS), EVENT_RETRY_DELAYS_MS=[400])
    container = container_factory(ForgetfulSink, config)
    container.start()
    return container, config


def _publish(config: dict, envelope: Envelope) -> None:
    make_publisher(config["AMQP_URI"]).publish(
        envelope.to_dict(), exchange=event_exchange("kit_source.events"), routing_key="tick")


def _after(count: int, results: list):
    def callback(worker_ctx, result, exc_info) -> bool:
        results.append(exc_info)
        return len(results) == count

    return callback


def _rows(config: dict) -> tuple[list[dict], list[dict]]:
    url = config["DATABASE_URL"]
    return (query(url, "SELECT handler, event_id::text FROM inbox"),
            query(url, "SELECT n FROM seen"))


def test_a_duplicate_delivery_runs_the_handler_once(sink) -> None:
    container, config = sink
    event = Envelope.new("kit_source", "tick", {"n": 5})

    results: list = []
    with entrypoint_waiter(container, "record_tick", callback=_after(2, results)):
        _publish(config, event)
        _publish(config, event)

    assert results == [None, None], "both copies acknowledged as handled"
    assert CALLS == [5]
    assert _rows(config) == ([{"handler": "record_tick", "event_id": event.id}], [{"n": 5}])
    assert finished_deliveries(container, "kit_source", "tick") == 2

    with entrypoint_hook(container, "record_tick") as handle:
        handle(event)  # a third copy, straight into the entrypoint
    assert CALLS == [5]
    assert len(_rows(config)[1]) == 1


def test_a_handler_that_raises_leaves_no_inbox_row_so_the_redelivery_runs_it(sink) -> None:
    container, config = sink
    event = Envelope.new("kit_source", "tick", {"n": 7})
    REFUSED.add(7)
    at_failure: list = []

    def failed_then_handled(worker_ctx, result, exc_info) -> bool:
        if exc_info is not None:
            # The retry is scheduled but not due yet: what the failed attempt left behind.
            at_failure.append(_rows(config))
            REFUSED.clear()
        return exc_info is None

    with entrypoint_waiter(container, "record_tick", callback=failed_then_handled):
        _publish(config, event)

    assert at_failure == [([], [])], "neither the inbox row nor the handler's write"
    assert CALLS == [7, 7]
    assert _rows(config) == ([{"handler": "record_tick", "event_id": event.id}], [{"n": 7}])
    [consumer] = container.entrypoints
    assert consumer.outcomes == {"retried": 1, "handled": 1}


def test_a_handler_kept_in_an_inbox_needs_the_services_database(
    container_factory, service_config
) -> None:
    container = container_factory(SinkWithoutDatabase, service_config())
    with pytest.raises(TypeError, match="needs `db = Database"):
        container.start()
