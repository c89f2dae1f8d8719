import json
import time
import uuid
from pathlib import Path

import pytest
from kombu import Connection
from nameko.standalone.rpc import ServiceRpcProxy
from servicekit.db import connect
from servicekit.events import Envelope
from servicekit.events.relay import event_exchange, make_publisher
from servicekit.events.topology import ERROR_HEADER, QUEUE_HEADER, dead_letter_queue_name
from servicekit.testing import query, wait_until

from .kit_services import SinkService, SourceService

MIGRATIONS = Path(__file__).parent / "migrations"


@pytest.fixture
def dbs(make_database):
    return make_database("kit_source", MIGRATIONS), make_database("kit_sink", MIGRATIONS)


@pytest.fixture
def running(runner_factory, service_config, dbs):
    source_url, sink_url = dbs
    sink = runner_factory(service_config(sink_url), SinkService)
    sink.start()  # the sink first, so its queue exists before anything is published
    source = runner_factory(service_config(source_url), SourceService)
    source.start()
    return source, source_url, sink_url


def seen(url):
    return query(url, "SELECT n, event_id::text, correlation_id FROM seen ORDER BY n")


def test_committed_event_reaches_the_consumer_once_with_its_correlation_id(running, service_config):
    source, source_url, sink_url = running
    context = {"correlation_id": "req-1"}
    with ServiceRpcProxy("kit_source", service_config(), context_data=context) as rpc:
        event_id = rpc.emit(1)
    rows = wait_until(lambda: seen(sink_url), message="the tick to be recorded")
    assert rows == [{"n": 1, "event_id": event_id, "correlation_id": "req-1"}]
    published = query(source_url, "SELECT published_at FROM outbox")
    assert published[0]["published_at"] is not None


def test_event_written_in_a_rolled_back_transaction_is_never_published(running, service_config):
    source, source_url, sink_url = running
    with ServiceRpcProxy("kit_source", service_config()) as rpc:
        with pytest.raises(Exception, match="fails after writing"):
            rpc.emit_then_fail(7)
        rpc.emit(8)  # a later committed event proves the relay ran past the failed write
    wait_until(lambda: seen(sink_url), message="the committed tick")
    assert [row["n"] for row in seen(sink_url)] == [8]
    assert query(source_url, "SELECT count(*) AS n FROM outbox")[0]["n"] == 1
    assert query(source_url, "SELECT count(*) AS n FROM ticks")[0]["n"] == 1


def test_the_same_event_delivered_twice_has_one_effect(running, service_config):
    _, _, sink_url = running
    envelope = Envelope.new("kit_source", "tick", {"n": 5}, correlation_id="dup")
    publisher = make_publisher(service_config()["AMQP_URI"])
    for _ in range(3):
        publisher.publish(envelope.to_dict(), exchange=event_exchange("kit_source.events"),
                          routing_key="tick")
    wait_until(lambda: seen(sink_url), message="the tick")
    # give the two duplicates time to be (not) applied
    wait_until(lambda: _queue_empty(service_config()["AMQP_URI"]), message="queue drained")
    assert [row["n"] for row in seen(sink_url)] == [5]


def _queue_empty(uri):
    with Connection(uri) as conn:
        queue = "evt-kit_source-tick--kit_sink.record_tick"
        _, count, _ = conn.default_channel.queue_declare(queue=queue, passive=True)
        return count == 0


def test_failing_handler_is_retried_then_dead_lettered_while_others_flow(running, service_config):
    _, _, sink_url = running
    uri = service_config()["AMQP_URI"]
    with ServiceRpcProxy("kit_source", service_config()) as rpc:
        poison_id = rpc.emit(1, fail=True)
        rpc.emit(2)
        rpc.emit(3)
    # the good events are not held up behind the failing one
    wait_until(lambda: len(seen(sink_url)) == 2, message="the good ticks")
    dlq = dead_letter_queue_name("kit_sink")

    def parked():
        with Connection(uri) as conn:
            if not _count(conn, dlq):
                return None
            return conn.SimpleQueue(dlq).get(block=True, timeout=0.2)

    message = wait_until(parked, timeout=20, message="the poison event in the DLQ")
    assert message.payload["id"] == poison_id
    assert message.headers["x-jii-attempt"] == 3
    assert message.headers[QUEUE_HEADER] == "evt-kit_source-tick--kit_sink.record_tick"
    assert "cannot handle tick 1" in message.headers[ERROR_HEADER]
    assert [row["n"] for row in seen(sink_url)] == [2, 3]


def _count(conn, queue):
    try:
        _, count, _ = conn.default_channel.queue_declare(queue=queue, passive=True)
    except Exception:  # noqa: BLE001 - not declared yet
        return 0
    return count


def test_malformed_event_is_parked_without_retries(running, service_config):
    _, _, sink_url = running
    uri = service_config()["AMQP_URI"]
    publisher = make_publisher(uri)
    bad = {"id": "not-a-uuid", "type": "tick", "data": {"n": "x"}}
    publisher.publish(bad, exchange=event_exchange("kit_source.events"), routing_key="tick")

    def parked():
        with Connection(uri) as conn:
            return _count(conn, dead_letter_queue_name("kit_sink")) == 1

    wait_until(parked, message="the malformed event in the DLQ")
    assert seen(sink_url) == []
    assert json.dumps(bad)  # the body is kept as sent; jii dlq show prints it


def test_parked_event_is_delivered_again_by_jii_dlq_replay_once_the_fault_is_fixed(
    running, service_config, monkeypatch
):
    from jii_cli.main import main as jii

    _, _, sink_url = running
    uri = service_config()["AMQP_URI"]
    with connect(sink_url, autocommit=True) as conn:
        conn.execute("INSERT INTO refuse (n) VALUES (4)")
    started = time.monotonic()
    with ServiceRpcProxy("kit_source", service_config()) as rpc:
        rpc.emit(4)
        rpc.emit(5)
    wait_until(lambda: [r["n"] for r in seen(sink_url)] == [5], message="the good tick")

    def parked():
        with Connection(uri) as conn:
            return _count(conn, dead_letter_queue_name("kit_sink")) == 1

    wait_until(parked, timeout=20, message="tick 4 parked")
    # retried after 100, 200 and 400 ms: the delays grow, so parking takes at least their sum
    assert time.monotonic() - started >= 0.7

    with connect(sink_url, autocommit=True) as conn:
        conn.execute("DELETE FROM refuse")
    monkeypatch.setenv("AMQP_URI", uri)
    from jii_cli import dlq

    # the kit's test service stands in for a real one
    monkeypatch.setattr(dlq, "DEPLOYABLES", (*dlq.DEPLOYABLES, "kit_sink"))
    assert jii(["dlq", "replay", "kit_sink", "--all"]) == 0
    wait_until(lambda: [r["n"] for r in seen(sink_url)] == [4, 5], message="the replayed tick")
    with Connection(uri) as conn:
        assert _count(conn, dead_letter_queue_name("kit_sink")) == 0


def test_event_nobody_is_bound_to_yet_is_kept_as_unrouted_not_lost(
    runner_factory, service_config, make_database
):
    # Only the source runs: the broker returns the mandatory message instead of dropping it.
    source_url = make_database("kit_source", MIGRATIONS)
    runner_factory(service_config(source_url), SourceService).start()
    with ServiceRpcProxy("kit_source", service_config()) as rpc:
        event_id = rpc.emit(9)

    def marked():
        rows = query(source_url, "SELECT event_id::text, unrouted, published_at FROM outbox")
        return rows if rows and rows[0]["published_at"] else None

    [row] = wait_until(marked, message="the relay to deal with the event")
    assert row["event_id"] == event_id and row["unrouted"] is True


def test_relay_batch_confirms_together_keeps_order_and_marks_only_the_unbound_type_unrouted(
    make_database, service_config
):
    # The relay publishes a whole batch before awaiting its confirms: an unroutable event in
    # the middle must be told apart from its neighbours by its own return, not by position.
    from kombu import Exchange, Queue
    from servicekit.events.relay import ConfirmedPublisher, publish_batch

    url = make_database("kit_source", MIGRATIONS)
    uri = service_config()["AMQP_URI"]
    queue = Queue("kit_batch_sink", exchange=Exchange("kit_source.events", type="topic",
                                                      durable=True),
                  routing_key="bound", durable=True, auto_delete=True)
    with connect(url) as conn:
        for n, key in enumerate(["bound", "bound", "nobody", "bound", "bound"]):
            event_id = str(uuid.uuid4())
            envelope = {"id": event_id, "type": key, "correlation_id": f"c{n}", "data": {}}
            conn.execute("INSERT INTO outbox (event_id, exchange, routing_key, envelope)"
                         " VALUES (%s, 'kit_source.events', %s, %s)",
                         (event_id, key, json.dumps(envelope)))
    publisher = ConfirmedPublisher(uri)
    with Connection(uri) as broker:
        bound = queue(broker.channel())
        bound.declare()
        try:
            with connect(url) as conn:
                result = publish_batch(conn, publisher)
            received = []
            while (message := bound.get(no_ack=True)) is not None:
                received.append(message.payload["correlation_id"])
        finally:
            publisher.close()
            bound.delete()
    assert (result.published, result.unrouted, result.failed) == (4, 1, False)
    assert received == ["c0", "c1", "c3", "c4"]
    rows = query(url, "SELECT routing_key, unrouted, published_at IS NOT NULL AS done"
                      " FROM outbox ORDER BY id")
    assert [(r["routing_key"], r["unrouted"], r["done"]) for r in rows] == [
        ("bound", False, True), ("bound", False, True), ("nobody", True, True),
        ("bound", False, True), ("bound", False, True)]
