"""A service stopped while its consumers are still starting must stop, not hang.

Nameko's QueueConsumer, asked to unregister a provider before every consumer is ready, signals
"last provider gone" at once, and does so again for each further provider: the second signal
raises (eventlet refuses to send an event twice), the container's stop fails half-way, and the
process outlives its SIGTERM grace until it is killed. A service with many event handlers
(notifications) can answer its first RPC before its last queue is declared, so a SIGTERM soon
after start found this. Here the signal is given once; the rest is Nameko's own behaviour.
Imported by `servicekit.rpc`, which every service uses.
"""

from __future__ import annotations

from nameko.messaging import QueueConsumer

_unregister = QueueConsumer.unregister_provider


def _unregister_provider(self: QueueConsumer, provider: object) -> None:
    if not self._consumers_ready.ready():
        if not self._last_provider_unregistered.ready():
            self._last_provider_unregistered.send()
        return
    _unregister(self, provider)


QueueConsumer.unregister_provider = _unregister_provider
