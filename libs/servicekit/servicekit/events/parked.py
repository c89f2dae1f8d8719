"""Messages parked in a dead-letter queue (DESIGN §4.4): looked at without consuming them, and
replayed to the handler queue they failed on. `jii dlq` and the notifications service (for
the staff console) both work through this module.

A parked message keeps its original body (the event envelope) and properties, plus headers
saying which handler queue it failed on, the error, when, and after how many attempts.
Looking never consumes: messages are fetched unacknowledged and handed back when the channel
closes, which returns them to the queue in their original order.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from amqp import Message
from amqp.exceptions import NotFound

from servicekit.events.topology import (
    ATTEMPT_HEADER,
    ERROR_HEADER,
    FAILED_AT_HEADER,
    QUEUE_HEADER,
)

DLQ_HEADERS = (QUEUE_HEADER, ERROR_HEADER, FAILED_AT_HEADER)


class ReplayRefused(Exception):
    """A parked message could not be replayed; it stays in the dead-letter queue."""


@dataclass
class Parked:
    """One message in a dead-letter queue, as fetched (still unacknowledged)."""

    index: int
    delivery_tag: int
    message: Message

    @property
    def headers(self) -> dict[str, Any]:
        return dict(self.message.properties.get("application_headers") or {})

    @property
    def message_id(self) -> str:
        return self.message.properties.get("message_id") or ""

    @property
    def envelope(self) -> Any:
        body = self.message.body
        try:
            return json.loads(body.decode() if isinstance(body, bytes) else body)
        except (ValueError, UnicodeDecodeError):
            return None

    @property
    def event_type(self) -> str:
        envelope = self.envelope
        return str(envelope.get("type", "?")) if isinstance(envelope, dict) else "?"

    @property
    def handler_queue(self) -> str:
        return str(self.headers.get(QUEUE_HEADER, ""))

    @property
    def error(self) -> str:
        return str(self.headers.get(ERROR_HEADER, ""))

    @property
    def last_error_line(self) -> str:
        lines = self.error.strip().splitlines()
        return (lines[-1] if lines else "")[:120]

    def summary(self) -> list[Any]:
        return [
            self.index, self.message_id or "-", self.event_type, self.handler_queue or "-",
            self.headers.get(FAILED_AT_HEADER, "-"), self.headers.get(ATTEMPT_HEADER, "-"),
            self.last_error_line,
        ]


@contextmanager
def fetched(connection: Any, queue: str,
            limit: int | None = None) -> Iterator[tuple[Any, list[Parked], int]]:
    """Fetch the messages now in `queue` (the first `limit` of them) without acknowledging any.

    `connection` is an open kombu connection (with confirm_publish to replay). Yields
    (channel, messages, depth). Whatever the caller has not acked goes back to the queue, in
    order, when the channel closes on leaving the block.
    """
    channel = connection.channel()
    try:
        _, depth, _ = channel.queue_declare(queue, passive=True)
    except NotFound:
        # No failure has ever been parked for this service: an empty queue, not an error.
        yield connection.channel(), [], 0
        return
    messages: list[Parked] = []
    # Fetch only what was there when we looked: messages parked meanwhile wait for next time.
    for index in range(1, min(depth, limit if limit is not None else depth) + 1):
        message = channel.basic_get(queue, no_ack=False)
        if message is None:
            break
        messages.append(Parked(index, message.delivery_info["delivery_tag"], message))
    try:
        yield channel, messages, depth
    finally:
        # Closing the channel requeues every unacked message at its old position.
        channel.close()


def replay(channel: Any, chosen: list[Parked]) -> Iterator[tuple[Parked, str]]:
    """Send each message back to the queue it failed on, confirmed, and acknowledge it out of
    the dead-letter queue; yields (message, queue) as each is done. ReplayRefused stops at
    the first that cannot go (it, and those after it, stay parked)."""
    returned: list[str] = []
    # The return of an unroutable message arrives before its confirm, so it is seen here.
    channel.events["basic_return"].add(lambda exc, *rest: returned.append(str(exc)))
    for message in chosen:
        yield message, _replay_one(channel, message, returned)


def _replay_one(channel: Any, message: Parked, returned: list[str]) -> str:
    target = message.handler_queue
    if not target:
        raise ReplayRefused(f"message {message.index} has no {QUEUE_HEADER} header: "
                            "cannot replay")
    headers = {k: v for k, v in message.headers.items() if k not in DLQ_HEADERS}
    # A fresh start: the handler gets its full set of retries again.
    headers[ATTEMPT_HEADER] = 0
    properties = dict(message.message.properties)
    properties["application_headers"] = headers
    returned.clear()
    # mandatory + confirms: the broker says so if the queue is gone, rather than dropping it.
    channel.basic_publish(
        Message(message.message.body, **properties), exchange="", routing_key=target,
        mandatory=True,
    )
    if returned:
        raise ReplayRefused(
            f"message {message.index}: queue {target} does not exist ({returned[0]}); "
            "left in the dead-letter queue"
        )
    channel.basic_ack(message.delivery_tag)
    return target
