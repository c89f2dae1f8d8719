"""`jii events tail`: print every event published by the services, live, one JSON line each."""

from __future__ import annotations

import fnmatch
import json
import sys
import time
import uuid
from typing import Any

from kombu import Consumer, Queue
from servicekit.events import exchange_for
from servicekit.events.relay import event_exchange

from jii_cli.broker import connect
from jii_cli.workspace import SERVICES, CliError


def tail(
    types: list[str] | None = None,
    sources: list[str] | None = None,
    count: int | None = None,
    timeout: float | None = None,
    uri: str | None = None,
) -> int:
    """Print events until `count` have been seen or `timeout` seconds pass; returns how many.

    `types` are shell-style globs (`payment_*`); exact names are bound on the broker, and a glob
    binds everything and is matched here, since a topic pattern cannot say "begins with".
    """
    sources = sources or list(SERVICES)
    globbed = any(is_glob(t) for t in types or [])
    keys = ["#"] if not types or globbed else types
    with connect(uri) as conn:
        channel = conn.channel()
        # Exclusive and auto-delete: the queue is ours alone and goes away with this process, so
        # tailing never leaves a growing queue behind on the broker.
        queue = Queue(
            f"jii-cli.tail.{uuid.uuid4().hex[:12]}", exclusive=True, auto_delete=True,
            durable=False, channel=channel,
        )
        queue.declare()
        for source in sources:
            # Declared with the services' own arguments (idempotent): binding works before any
            # service has started, and never fails with PRECONDITION_FAILED.
            exchange = event_exchange(exchange_for(source))
            exchange(channel).declare()
            for key in keys:
                queue.bind_to(exchange=exchange.name, routing_key=key)

        seen = 0

        def on_message(body: Any, message) -> None:
            nonlocal seen
            if globbed and not matches(message.delivery_info.get("routing_key", ""), types):
                message.ack()
                return
            if isinstance(body, bytes | str):
                try:
                    body = json.loads(body)
                except ValueError:
                    body = {"undecodable_body": body if isinstance(body, str) else repr(body)}
            print(json.dumps(body, ensure_ascii=False, sort_keys=True), flush=True)
            message.ack()
            seen += 1

        consumer = Consumer(
            channel, queues=[queue], callbacks=[on_message],
            accept=["json", "text/plain", "application/data"],
        )
        with consumer:
            print(
                f"tailing {', '.join(exchange_for(s) for s in sources)} "
                f"for {', '.join(types or ['every type'])} (Ctrl-C to stop)",
                file=sys.stderr, flush=True,
            )
            deadline = None if timeout is None else time.monotonic() + timeout
            while count is None or seen < count:
                wait = 1.0 if deadline is None else deadline - time.monotonic()
                if wait <= 0:
                    break
                try:
                    conn.drain_events(timeout=min(wait, 1.0))
                except TimeoutError:
                    continue
    return seen


def is_glob(pattern: str) -> bool:
    return any(char in pattern for char in "*?[")


def matches(name: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)


def chosen_sources(patterns: list[str] | None) -> list[str] | None:
    """The services the --source names or globs pick; a pattern picking none is an error."""
    if not patterns:
        return None
    unknown = [p for p in patterns if not any(fnmatch.fnmatchcase(s, p) for s in SERVICES)]
    if unknown:
        raise CliError(f"unknown source {', '.join(unknown)} (known: {', '.join(SERVICES)})")
    return [s for s in SERVICES if matches(s, patterns)]


def run(args) -> int:
    sources = chosen_sources(args.sources)
    try:
        seen = tail(args.types, sources, args.count, args.timeout)
    except KeyboardInterrupt:
        return 0
    if args.count is not None and seen < args.count:
        print(f"timed out after {seen} of {args.count} event(s)", file=sys.stderr)
        return 1
    return 0
