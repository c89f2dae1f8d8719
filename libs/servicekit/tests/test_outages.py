"""A database or broker away for a while is a 503 the caller may retry, never a dead process,
a 500 or a dead-lettered event (DESIGN §9)."""

import uuid

import eventlet
import psycopg
import pytest
from amqp.exceptions import NotFound
from kombu import Connection, Exchange, Producer
from nameko.standalone.rpc import ClusterRpcProxy
from servicekit import errors, health
from servicekit.db import Database, connect
from servicekit.events import Envelope, consume_event
from servicekit.events.relay import event_exchange, make_publisher
from servicekit.events.topology import dead_letter_queue
from servicekit.rpc import rpc
from servicekit.testing import wait_until

from . import kit_services  # noqa: F401 - registers the kit_source tick contract

HELD = {"started": eventlet.Event(), "release": eventlet.Event()}


class HeldReplyService:
    name = "held_reply"

    @rpc
    def held(self) -> str:
        if not HELD["started"].ready():
            HELD["started"].send()
        HELD["release"].wait()
        return "done"

    @rpc
    def echo(self, value: str) -> str:
        return value


class PoolService(health.Ping):
    name = "pool_outage"
    db = Database(max_size=3)


FLAKY = {"failures_left": 0, "handled": []}


class FlakyDatabaseSink:
    name = "flaky_sink"

    # No database, hence no inbox: the outage is one the handler pretends.
    @consume_event("kit_source", "tick", inbox=False)
    def record_tick(self, event: Envelope) -> None:
        if FLAKY["failures_left"] > 0:
            FLAKY["failures_left"] -= 1
            raise psycopg.OperationalError("server closed the connection unexpectedly")
        FLAKY["handled"].append(event.data["n"])


def send_rpc_request(uri: str, service: str, method: str) -> None:
    """An RPC request as Nameko's proxies send it, its reply going to a queue nobody reads."""
    with Connection(uri) as conn:
        Producer(conn.default_channel).publish(
            {"args": [], "kwargs": {}}, exchange=Exchange("nameko-rpc", type="topic",
                                                          durable=True, auto_delete=True),
            routing_key=f"{service}.{method}", serializer="json",
            reply_to=f"rpc.reply-test-{uuid.uuid4().hex}", correlation_id=uuid.uuid4().hex)


@pytest.mark.slow
def test_a_reply_the_broker_cannot_take_is_dropped_and_the_service_serves_on_once_it_returns(
    private_rabbit, container_factory, service_config
):
    config = service_config(AMQP_URI=private_rabbit.uri)
    container = container_factory(HeldReplyService, config)
    container.start()
    HELD["started"], HELD["release"] = eventlet.Event(), eventlet.Event()
    send_rpc_request(private_rabbit.uri, "held_reply", "held")
    HELD["started"].wait()

    private_rabbit.stop_app()  # the worker now finishes with nowhere to send its reply
    HELD["release"].send()
    wait_until(lambda: not container._worker_threads, timeout=30, message="the worker to end")
    assert not container._died.ready(), "the container died of an undeliverable reply"

    private_rabbit.start_app()
    with ClusterRpcProxy(config, timeout=60) as proxy:
        assert proxy.held_reply.echo("still here") == "still here"
    assert not container._died.ready()
    container.stop()  # while its private broker still runs


@pytest.mark.slow
def test_a_stopped_database_answers_unavailable_and_the_pool_reconnects_when_it_returns(
    private_postgres, container_factory, service_config
):
    config = service_config(f"{private_postgres.url}/postgres", DB_POOL_TIMEOUT_SECONDS=2)
    container = container_factory(PoolService, config)
    container.start()
    with ClusterRpcProxy(config, timeout=30) as proxy:
        assert proxy.pool_outage.ping()["ok"]
        private_postgres.stop()  # `fast`: every pooled connection is cut
        for _ in range(3):  # each dead pooled connection, then the unreachable server
            with pytest.raises(errors.Unavailable):
                proxy.pool_outage.ping()
        private_postgres.start()
        wait_until(lambda: connect(f"{private_postgres.url}/postgres").close() or True)
        assert proxy.pool_outage.ping()["ok"]
    assert not container._died.ready()
    container.stop()  # while its private database still runs


def test_an_event_failing_on_a_database_outage_is_retried_beyond_its_attempts_not_parked(
    container_factory, service_config
):
    config = service_config()
    FLAKY["failures_left"], FLAKY["handled"] = 6, []  # twice the three retries allowed
    container_factory(FlakyDatabaseSink, config).start()
    envelope = Envelope.new("kit_source", "tick", {"n": 7}, correlation_id="outage")
    make_publisher(config["AMQP_URI"]).publish(
        envelope.to_dict(), exchange=event_exchange("kit_source.events"), routing_key="tick")

    wait_until(lambda: FLAKY["handled"] == [7], timeout=30, message="the event after the outage")
    with Connection(config["AMQP_URI"]) as conn:
        with pytest.raises(NotFound):  # the dead-letter queue is declared by a first parking
            conn.default_channel.queue_declare(dead_letter_queue("flaky_sink").name,
                                               passive=True)
