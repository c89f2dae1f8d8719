"""A service told to stop while its consumers are still starting stops (servicekit.stopping)."""

from __future__ import annotations

import eventlet
import eventlet.event
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


def test_a_service_whose_consumers_become_ready_midway_through_its_stop_stops(
        container_factory, rabbit_config):
    container = container_factory(ManyConsumers, rabbit_config)
    [consumer] = [ext for ext in container.extensions if isinstance(ext, QueueConsumer)]
    [ping] = [ext for ext in container.entrypoints if ext.method_name == "ping"]
    # The consumers' readiness is held back, and the RPC entrypoint's stop waits for it: the
    # event handlers unregister while the consumer is starting, the RPC one once it is ready.
    held, reached = eventlet.event.Event(), eventlet.event.Event()
    ready = consumer.on_consume_ready

    def held_back(*args, **kwargs):
        reached.send()
        held.wait()
        ready(*args, **kwargs)

    consumer.on_consume_ready = held_back
    stop_ping = ping.stop

    def stop_ping_once_ready():
        consumer._consumers_ready.wait()
        stop_ping()

    ping.stop = stop_ping_once_ready
    starting = eventlet.spawn(container.start)
    reached.wait()
    stopping = eventlet.spawn(container.stop)
    wait_until(consumer._last_provider_unregistered.ready, interval=0.01,
               message="the event handlers unregistered while starting")
    held.send()

    with eventlet.Timeout(20):
        stopping.wait()
    starting.wait()
    assert consumer._gt.dead
