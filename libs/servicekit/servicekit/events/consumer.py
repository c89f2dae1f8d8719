"""`@consume_event`: Nameko's event handler made safe to fail.

Nameko acknowledges (and so loses) an event whose handler raised. This entrypoint validates
the envelope against its contract, hands the handler an `Envelope`, and on failure
republishes the message to a delay queue (growing delays), parking it in the service's
dead-letter queue once the retries are spent. The original is acknowledged only after the
copy is confirmed by the broker, so a failure is never lost; duplicates that this may cause
are absorbed by the handler's inbox (see `servicekit.events.inbox`). A failure caused by an
outage (`servicekit.errors.is_outage`: the database or broker away) is retried without
spending an attempt, so an outage never parks an event.

The inbox is kept for every handler by default: `consume_event` runs it in a transaction that
claims the event first and hands it the connection. A handler that cannot work in one
transaction opts out by name (`inbox=False`) and keeps its own record.
"""

from __future__ import annotations

import traceback
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import structlog
from contracts import ContractError
from nameko.events import SERVICE_POOL, EventHandler

import servicekit.discovery  # noqa: F401 - Nameko finds extensions in __dict__s alone
import servicekit.settling  # noqa: F401 - a lost connection while settling is not fatal
from servicekit.config import amqp_uri, retry_delays_ms
from servicekit.db import Database
from servicekit.errors import is_outage
from servicekit.events.envelope import Envelope
from servicekit.events.inbox import INBOX_NAME, in_inbox
from servicekit.events.relay import make_publisher
from servicekit.events.topology import (
    ATTEMPT_HEADER,
    ERROR_HEADER,
    FAILED_AT_HEADER,
    QUEUE_HEADER,
    dead_letter_queue,
    retry_queue,
)

log = structlog.get_logger("servicekit.consumer")


class PermanentFailure(Exception):
    """Raise from a handler when retrying cannot help: the event goes straight to the DLQ."""


class ReliableEventHandler(EventHandler):
    """The entrypoint `consume_event` registers. `outcomes` counts how each delivery was
    settled: "handled" (acknowledged after the handler returned), "retried", "parked" and
    "requeued", so that whoever runs the service (its tests) can tell when a copy is done."""

    def __init__(self, source_service: str, event_type: str, inbox: bool = True, **kwargs):
        super().__init__(
            source_service, event_type, handler_type=SERVICE_POOL, reliable_delivery=True,
            requeue_on_error=False, **kwargs,
        )
        self.inbox = inbox
        self.outcomes: Counter[str] = Counter()

    def setup(self) -> None:
        super().setup()
        if self.inbox:
            self.check_inbox()
        self.setup_failure_paths()

    def check_inbox(self) -> None:
        """Refuse to start a handler that would run without its inbox."""
        service = self.container.service_cls
        where = f"{service.__name__}.{self.method_name}"
        if not hasattr(getattr(service, self.method_name), INBOX_NAME):
            raise TypeError(f"{where} is not wrapped in its inbox: decorate it with "
                            "consume_event, or pass inbox=False and say why")
        if not isinstance(getattr(service, "db", None), Database):
            raise TypeError(f"{where} keeps its inbox in the service's database: the service "
                            "needs `db = Database()`")

    def setup_failure_paths(self) -> None:
        """The delays and the dead-letter queue a failed event goes to, and their publisher."""
        config = self.container.config
        self.delays = retry_delays_ms(config)
        self.publisher = make_publisher(amqp_uri(config))
        self.publisher.mandatory = False  # the queues are declared with the publish
        self.dlq = dead_letter_queue(self.container.service_name)

    def received(self, body, message) -> Envelope | None:
        """The message's envelope, checked against its contract; None once a malformed
        message is parked (poison: no retry can make it valid)."""
        try:
            return Envelope.from_message(body)
        except ContractError as exc:
            self._park(body, message, f"ContractError: {exc} {exc.messages}")
            return None

    def handle_message(self, body, message) -> None:
        envelope = self.received(body, message)
        if envelope is None:
            return
        context_data = self.unpack_message_headers(message)
        context_data["correlation_id"] = envelope.correlation_id
        context_data["event_id"] = envelope.id
        handle_result = lambda worker_ctx, result=None, exc_info=None: self.handle_result(  # noqa: E731
            message, worker_ctx, result, exc_info
        )
        from nameko.exceptions import ContainerBeingKilled

        try:
            self.container.spawn_worker(
                self, (envelope,), {}, context_data=context_data, handle_result=handle_result
            )
        except ContainerBeingKilled:
            self.queue_consumer.requeue_message(message)
            self.outcomes["requeued"] += 1

    def handle_result(self, message, worker_ctx, result=None, exc_info=None):
        if exc_info is None:
            self.queue_consumer.ack_message(message)
            self.outcomes["handled"] += 1
            return result, exc_info
        error = "".join(traceback.format_exception_only(exc_info[0], exc_info[1])).strip()
        attempt = int((message.headers or {}).get(ATTEMPT_HEADER, 0))
        try:
            if is_outage(exc_info[1]):
                # The database or broker is away, not the event at fault: wait and try again
                # without spending one of its attempts, however long the outage lasts.
                self._retry(message, attempt, error, counted=False)
            elif isinstance(exc_info[1], PermanentFailure) or attempt >= len(self.delays):
                self._park(message.payload, message, error, attempt)
            else:
                self._retry(message, attempt, error)
        except Exception:  # noqa: BLE001 - the broker is away: hand the message back instead
            log.warning("could not schedule retry; requeueing", queue=self.queue.name)
            self.queue_consumer.requeue_message(message)
            self.outcomes["requeued"] += 1
        return result, exc_info

    def _retry(self, message, attempt: int, error: str, counted: bool = True) -> None:
        step = min(attempt, len(self.delays) - 1)
        queue = retry_queue(self.queue.name, step, self.delays[step])
        headers = dict(message.headers or {})
        headers[ATTEMPT_HEADER] = attempt + 1 if counted else attempt
        log.warning(
            "event handler failed; retrying", queue=self.queue.name, attempt=attempt + 1,
            delay_ms=self.delays[step], counted=counted, error=error.splitlines()[-1][:200],
        )
        self.publisher.publish(
            message.payload, exchange="", routing_key=queue.name, declare=[queue],
            headers=headers, message_id=message.properties.get("message_id"),
        )
        self.queue_consumer.ack_message(message)
        self.outcomes["retried"] += 1

    def _park(self, body, message, error: str, attempt: int | None = None) -> None:
        headers = dict(message.headers or {})
        headers.update({
            QUEUE_HEADER: self.queue.name,
            ERROR_HEADER: error[-2000:],
            FAILED_AT_HEADER: datetime.now(UTC).isoformat(),
        })
        if attempt is not None:
            headers[ATTEMPT_HEADER] = attempt
        log.error("event parked in dead-letter queue", queue=self.queue.name, dlq=self.dlq.name,
                  error=error.splitlines()[-1][:200] if error else "")
        self.publisher.publish(
            body, exchange="", routing_key=self.dlq.name, declare=[self.dlq], headers=headers,
        )
        self.queue_consumer.ack_message(message)
        self.outcomes["parked"] += 1


def consume_event(source_service: str, event_type: str, *, inbox: bool = True,
                  **kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Handle `source_service`'s `event_type` events, exactly once each.

    The handler is `handler(self, event, conn)`: it runs inside one transaction of the
    service's `db` that has already recorded the event in the inbox, so its writes on `conn`
    and that record commit together; a redelivered event is acknowledged without calling it.

    `inbox=False` is for a handler that cannot do its work in one transaction (e-mail sent
    between two, a batch of events at once): it is called as `handler(self, event)` and must
    recognise a redelivered event itself. Say beside it why.
    """

    def register(method: Callable[..., Any]) -> Callable[..., Any]:
        handler = in_inbox(method) if inbox else method
        return ReliableEventHandler.decorator(
            source_service, event_type, inbox=inbox, **kwargs)(handler)

    return register
