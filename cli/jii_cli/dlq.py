"""`jii dlq list | show | replay | purge`: the dead-letter queue of a service (DESIGN §4.4).

A parked message keeps its original body (the event envelope) and properties, plus headers
saying which handler queue it failed on, the error, when, and after how many attempts.
Listing and showing never consume: messages are fetched unacknowledged and handed back when
the channel closes, which returns them to the queue in their original order.
"""

from __future__ import annotations

import json
import sys
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
    dead_letter_queue_name,
)

from jii_cli.broker import connect
from jii_cli.table import format_table
from jii_cli.workspace import DEPLOYABLES, CliError, check_services

DLQ_HEADERS = (QUEUE_HEADER, ERROR_HEADER, FAILED_AT_HEADER)


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

    def summary(self) -> list[Any]:
        lines = self.error.strip().splitlines()
        return [
            self.index, self.message_id or "-", self.event_type, self.handler_queue or "-",
            self.headers.get(FAILED_AT_HEADER, "-"), self.headers.get(ATTEMPT_HEADER, "-"),
            (lines[-1] if lines else "")[:120],
        ]


@contextmanager
def fetched(service: str, uri: str | None = None) -> Iterator[tuple[Any, list[Parked]]]:
    """Fetch every message now in the service's DLQ without acknowledging any.

    Yields (channel, messages). Whatever the caller has not acked goes back to the queue, in
    order, when the channel closes on leaving the block.
    """
    queue = dead_letter_queue_name(service)
    with connect(uri, confirms=True) as conn:
        channel = conn.channel()
        try:
            _, depth, _ = channel.queue_declare(queue, passive=True)
        except NotFound:
            # No failure has ever been parked for this service: an empty queue, not an error.
            yield conn.channel(), []
            return
        messages: list[Parked] = []
        # Fetch only what was there when we looked: messages parked meanwhile wait for next time.
        for index in range(1, depth + 1):
            message = channel.basic_get(queue, no_ack=False)
            if message is None:
                break
            messages.append(Parked(index, message.delivery_info["delivery_tag"], message))
        try:
            yield channel, messages
        finally:
            # Closing the channel requeues every unacked message at its old position.
            channel.close()


def select(messages: list[Parked], refs: list[str]) -> list[Parked]:
    """The messages named by index (as `list` numbers them) or message id; all must exist."""
    chosen: list[Parked] = []
    for ref in refs:
        if ref.isdigit():
            match = [m for m in messages if m.index == int(ref)]
        else:
            match = [m for m in messages if m.message_id == ref]
        if not match:
            raise CliError(f"no message {ref} in the dead-letter queue (see `jii dlq list`)")
        for message in match:
            if not any(message is already for already in chosen):
                chosen.append(message)
    return chosen


def list_queue(services: list[str]) -> int:
    headers = ["#", "message_id", "type", "handler queue", "failed at", "attempt", "error"]
    for position, service in enumerate(services):
        with fetched(service) as (_, messages):
            rows = [message.summary() for message in messages]
        if position:
            print()
        print(f"{dead_letter_queue_name(service)}: {len(rows)} message(s)")
        if rows:
            print(format_table(headers, rows))
    return 0


def show(service: str, ref: str) -> int:
    with fetched(service) as (_, messages):
        (message,) = select(messages, [ref])
        body = message.envelope
        if body is None:
            body = message.message.body.decode("utf-8", "replace")
        properties = {
            key: value for key, value in message.message.properties.items()
            if key != "application_headers"
        }
        print(json.dumps({
            "index": message.index,
            "message_id": message.message_id,
            "handler_queue": message.handler_queue,
            "failed_at": message.headers.get(FAILED_AT_HEADER),
            "attempt": message.headers.get(ATTEMPT_HEADER),
            "headers": {k: v for k, v in message.headers.items() if k != ERROR_HEADER},
            "properties": properties,
            "envelope": body,
        }, indent=2, ensure_ascii=False, default=str))
        print("\nerror:\n" + (message.error or "(none recorded)"))
    return 0


def replay_message(channel: Any, message: Parked, returned: list[str]) -> str:
    """Send one parked message back to the queue it failed on, confirmed; return that queue.

    `returned` collects the broker's returns on this channel (see `replay`).
    """
    target = message.handler_queue
    if not target:
        raise CliError(f"message {message.index} has no {QUEUE_HEADER} header: cannot replay")
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
        raise CliError(
            f"message {message.index}: queue {target} does not exist ({returned[0]}); "
            "left in the dead-letter queue"
        )
    channel.basic_ack(message.delivery_tag)
    return target


def replay(service: str, refs: list[str], replay_all: bool) -> int:
    if not refs and not replay_all:
        raise CliError("name the messages to replay (index or message id), or pass --all")
    with fetched(service) as (channel, messages):
        chosen = messages if replay_all else select(messages, refs)
        returned: list[str] = []
        # The return of an unroutable message arrives before its confirm, so it is seen here.
        channel.events["basic_return"].add(lambda exc, *rest: returned.append(str(exc)))
        for message in chosen:
            target = replay_message(channel, message, returned)
            print(f"replayed {message.message_id or '#' + str(message.index)} "
                  f"({message.event_type}) to {target}")
    print(f"{len(chosen)} message(s) replayed from {dead_letter_queue_name(service)}")
    return 0


def purge(service: str, yes: bool) -> int:
    queue = dead_letter_queue_name(service)
    if not yes:
        if not sys.stdin.isatty():
            raise CliError(f"refusing to purge {queue} without confirmation: pass --yes")
        answer = input(f"Delete every message in {queue}? This cannot be undone. [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("nothing purged")
            return 1
    with connect() as conn:
        channel = conn.channel()
        try:
            count = channel.queue_purge(queue)
        except NotFound:
            count = 0
    print(f"purged {count or 0} message(s) from {queue}")
    return 0


def run(args) -> int:
    if args.dlq_command == "list":
        return list_queue(check_services(args.services, DEPLOYABLES))
    (service,) = check_services([args.service], DEPLOYABLES)
    if args.dlq_command == "show":
        return show(service, args.ref)
    if args.dlq_command == "replay":
        return replay(service, args.refs, args.all)
    return purge(service, args.yes)
