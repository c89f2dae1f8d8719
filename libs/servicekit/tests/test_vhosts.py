"""A test vhost is handed out again only empty: its queues, exchanges and the test's pooled
connections gone. One that keeps a connection or holds a policy is deleted instead, and the
consumers still attached when it is given back are cancelled at once, as deleting it would.
The vhosts of a test process killed before it could delete them are deleted by the next."""

from __future__ import annotations

import subprocess
from urllib.parse import urlparse

import amqp
import pytest
from nameko.testing import rabbit
from servicekit import vhosts
from servicekit.vhosts import VhostPool


@pytest.fixture
def pool(request):
    manager = rabbit.Client(request.config.getoption("RABBIT_API_URI"))
    username = urlparse(request.config.getoption("RABBIT_AMQP_URI")).username
    # no wait for connections to show (one test sets the real one)
    made = VhostPool(manager, username, settle_seconds=0)
    yield made
    made.close()
    assert not set(vhost_names(manager)) & made.made


def vhost_names(manager) -> list[str]:
    return [vhost["name"] for vhost in manager.get_all_vhosts()]


def connect(request, vhost: str) -> amqp.Connection:
    address = urlparse(request.config.getoption("RABBIT_AMQP_URI"))
    connection = amqp.Connection(f"{address.hostname}:{address.port or 5672}",
                                 userid=address.username, password=address.password,
                                 virtual_host=vhost)
    connection.connect()
    return connection


def use(pool: VhostPool) -> str:
    """Take a vhost and give it back at once; wait until it is emptied or deleted."""
    with pool.get() as vhost:
        pass
    pool.wait()
    return vhost


def test_a_vhost_given_back_is_emptied_and_handed_out_again(request, pool):
    with pool.get() as vhost:
        connection = connect(request, vhost)
        channel = connection.channel()
        channel.exchange_declare("donations.events", "topic", durable=True, auto_delete=False)
        channel.queue_declare("evt-donations-payment_succeeded--notifications", durable=True,
                              auto_delete=False)
        channel.queue_bind("evt-donations-payment_succeeded--notifications",
                           "donations.events", "payment_succeeded")
        channel.basic_publish(amqp.Message(b"{}"), "donations.events", "payment_succeeded")
        connection.close()
    pool.wait()

    with pool.get() as again:
        assert again == vhost
        assert pool.manager.get_queues(vhost) == []
        assert sorted(e["name"] for e in pool.manager.get_exchanges(vhost)
                      if not e["name"].startswith("amq.")) == [""]
    pool.wait()
    assert (len(pool.made), pool.reused) == (1, 1)


def test_a_consumer_still_attached_is_cancelled_when_its_vhost_is_given_back(request, pool):
    cancelled = []
    with pool.get() as vhost:
        connection = connect(request, vhost)
        channel = connection.channel()
        channel.queue_declare("rpc-donations", durable=True, auto_delete=False)
        channel.basic_consume("rpc-donations", callback=lambda message: None,
                              on_cancel=cancelled.append)
    connection.drain_events(timeout=5)  # the broker's basic.cancel
    assert cancelled
    connection.close()
    pool.wait()
    assert pool.clean.qsize() == 1


def test_a_vhost_that_keeps_a_connection_is_deleted_not_handed_out(request, pool):
    pool.settle_seconds = VhostPool(None, "").settle_seconds  # the API shows it within 5 s
    with pool.get() as vhost:
        connection = connect(request, vhost)
    pool.wait()
    connection.collect()  # the broker closed it with the vhost

    assert vhost not in vhost_names(pool.manager)
    with pool.get() as other:
        assert other != vhost


def test_a_vhost_with_a_policy_is_deleted_not_handed_out(pool):
    with pool.get() as vhost:
        pool.manager._put("policies", vhost, "ha", json={
            "pattern": ".*", "definition": {"message-ttl": 1000}, "apply-to": "queues"})
    pool.wait()

    assert vhost not in vhost_names(pool.manager)
    assert use(pool) != vhost


def test_the_vhosts_of_a_killed_test_process_are_deleted_and_a_live_ones_kept(pool):
    dead = subprocess.Popen(["true"])
    dead.wait()
    abandoned = vhosts._owner_prefix(dead.pid) + "0123456789ab"
    with pool.get() as live:
        pool.manager.create_vhost(abandoned)
        pool.remove_abandoned()

        names = vhost_names(pool.manager)
        assert abandoned not in names
        assert live in names


def test_a_vhost_the_management_api_fails_to_empty_is_deleted_not_handed_out(pool, monkeypatch):
    with pool.get() as vhost:
        pool.manager.create_queue(vhost, "rpc-donations", durable=True)

        def refuse(*args, **kwargs):
            raise OSError("the management API went away")

        monkeypatch.setattr(pool.manager, "get_queues", refuse)
    pool.wait()
    monkeypatch.undo()

    assert vhost not in vhost_names(pool.manager)
    assert pool.clean.empty()
