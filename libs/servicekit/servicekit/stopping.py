"""A service stopped while its consumers are still starting must stop, not hang.

Nameko's QueueConsumer, asked to unregister a provider before every consumer is ready, signals
"last provider gone" at once, and does so again for each further provider: the second signal
raises (eventlet refuses to send an event twice), the container's stop fails half-way, and the
process outlives its SIGTERM grace until it is killed. A service with many event handlers
(notifications) can answer its first RPC before its last queue is declared, so a SIGTERM soon
after start found this. Here the signal is given once.

A provider unregistered that way is never cancelled, and its consumer stays: if the consumers
become ready before the last entrypoint stops (that one then takes Nameko's usual path), the
consumer thread waits for consumers that nobody will remove, and the stop hangs the same way.
So a consumer that dropped providers while starting is told to stop once the entrypoints have.
The rest is Nameko's own behaviour. Imported by `servicekit.rpc`, which every service uses.
"""

from __future__ import annotations

from nameko.messaging import QueueConsumer

_unregister = QueueConsumer.unregister_provider
_stop = QueueConsumer.stop


def _unregister_provider(self: QueueConsumer, provider: object) -> None:
    if not self._consumers_ready.ready():
        self._dropped_while_starting = True
        if not self._last_provider_unregistered.ready():
            self._last_provider_unregistered.send()
        return
    _unregister(self, provider)


def _stop_queue_consumer(self: QueueConsumer) -> None:
    # Stopped after every entrypoint: nothing will unregister the dropped providers now.
    if self._consumers_ready.ready() and getattr(self, "_dropped_while_starting", False):
        self.should_stop = True
    _stop(self)


QueueConsumer.unregister_provider = _unregister_provider
QueueConsumer.stop = _stop_queue_consumer
