"""A service told to stop while its consumers are still starting stops (servicekit.stopping)."""

from __future__ import annotations

import eventlet
from nameko.events import event_handler
from nameko.messaging import QueueConsumer
from servicekit.rpc import rpc
from servicekit.testing import wait_until


class ManyConsumers:
    name = "many_consumers"

    @rpc
    def ping(self) -> str:
        return "pong"

    @event_handler("elsewhere", "one_thing")
    def one(self, payload) -> None:
        pass

    @event_handler("elsewhere", "another_thing")
    def another(self, payload) -> None:
        pass


def test_a_service_stopped_before_its_consumers_are_ready_stops_cleanly(
        container_factory, rabbit_config):
    container = container_factory(ManyConsumers, rabbit_config)
    [consumer] = [ext for ext in container.extensions if isinstance(ext, QueueConsumer)]
    starting = eventlet.spawn(container.start)
    # The consumer's thread is running, and has not yet declared every queue.
    wait_until(lambda: consumer._gt is not None, interval=0, message="the consumer starting")
    assert not consumer._consumers_ready.ready()

    with eventlet.Timeout(20):
        container.stop()  # three providers unregister while the consumer is not ready
    starting.wait()
    assert consumer._gt.dead  # its connection closed, nothing left running
