"""A message acknowledged or requeued on a connection the broker has just dropped must not kill
its service.

Nameko's QueueConsumer settles every message its consumers receive (RPC requests, RPC
replies, events) from the consumer's worker thread, and catches only amqp's own
`ConnectionError`. A socket error (`ConnectionResetError`, `BrokenPipeError`) went through,
the thread died with it and the container killed itself: a broker restart as a reply reached
the gateway took the whole gateway down. Here an outage while settling is logged instead; the
broker has already taken the message back and delivers it again, to consumers that are
idempotent. Any other error is Nameko's as before. Imported by `servicekit.rpc` and
`servicekit.events.consumer`, so every service and the gateway have it.
"""

from __future__ import annotations

from collections.abc import Callable

import structlog
from nameko.messaging import QueueConsumer

from servicekit.errors import is_outage

log = structlog.get_logger("servicekit.settling")

_ack = QueueConsumer.ack_message
_requeue = QueueConsumer.requeue_message


def _settled(action: Callable, consumer: QueueConsumer, message) -> None:
    try:
        action(consumer, message)
    except Exception as exc:  # noqa: BLE001 - only outages are expected here
        if not is_outage(exc) and not isinstance(exc, OSError):
            raise
        log.warning("message not settled: broker connection lost", error=str(exc)[:200])


def _ack_message(self: QueueConsumer, message) -> None:
    _settled(_ack, self, message)


def _requeue_message(self: QueueConsumer, message) -> None:
    _settled(_requeue, self, message)


QueueConsumer.ack_message = _ack_message
QueueConsumer.requeue_message = _requeue_message
