"""`jii events tail`: print every event published by the services, live, one JSON line each."""

from __future__ import annotations

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
    """Print events until `count` have been seen or `timeout` seconds pass; returns how many."""
    sources = sources or list(SERVICES)
    keys = types or ["#"]
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
                f"for {', '.join(keys)} (Ctrl-C to stop)",
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


def run(args) -> int:
    unknown = [s for s in args.sources or [] if s not in SERVICES]
    if unknown:
        raise CliError(f"unknown source {', '.join(unknown)} (known: {', '.join(SERVICES)})")
    try:
        seen = tail(args.types, args.sources, args.count, args.timeout)
    except KeyboardInterrupt:
        return 0
    if args.count is not None and seen < args.count:
        print(f"timed out after {seen} of {args.count} event(s)", file=sys.stderr)
        return 1
    return 0
