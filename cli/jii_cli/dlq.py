"""`jii dlq list | show | replay | purge`: the dead-letter queue of a service (DESIGN §4.4).

Looking and replaying are `servicekit.events.parked`'s (the staff console replays through the
notifications service with the same code): listing and showing never consume.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from amqp.exceptions import NotFound
from servicekit.events import parked
from servicekit.events.parked import Parked
from servicekit.events.topology import (
    ATTEMPT_HEADER,
    ERROR_HEADER,
    FAILED_AT_HEADER,
    dead_letter_queue_name,
)

from jii_cli.broker import connect
from jii_cli.table import format_table
from jii_cli.workspace import DEPLOYABLES, CliError, check_services


@contextmanager
def fetched(service: str, uri: str | None = None) -> Iterator[tuple[Any, list[Parked]]]:
    """Every message now in the service's DLQ, fetched without acknowledging any (see
    `servicekit.events.parked.fetched`)."""
    with connect(uri, confirms=True) as conn, parked.fetched(
            conn, dead_letter_queue_name(service)) as (channel, messages, _):
        yield channel, messages


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


def replay(service: str, refs: list[str], replay_all: bool) -> int:
    if not refs and not replay_all:
        raise CliError("name the messages to replay (index or message id), or pass --all")
    with fetched(service) as (channel, messages):
        chosen = messages if replay_all else select(messages, refs)
        try:
            for message, target in parked.replay(channel, chosen):
                print(f"replayed {message.message_id or '#' + str(message.index)} "
                      f"({message.event_type}) to {target}")
        except parked.ReplayRefused as exc:
            raise CliError(str(exc)) from None
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
