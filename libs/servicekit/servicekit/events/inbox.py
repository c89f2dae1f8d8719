"""The inbox: a consumer's record of the events it has applied (DESIGN §4.3).

Claim the event in the same transaction as the handler's effects: the claim and the effects
commit together or not at all, so a redelivered event is recognised and skipped. Two copies
arriving at once are serialised by the primary key; the second waits, then finds the first.

`consume_event` does this for every handler unless it says `inbox=False` (see `in_inbox`):
the handler is given the transaction's connection, and never sees a redelivered event.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import psycopg
import structlog

log = structlog.get_logger("servicekit.inbox")

# The attribute a handler wrapped by `in_inbox` carries: the inbox name it claims events under.
INBOX_NAME = "servicekit_inbox"


def first_time(conn: psycopg.Connection, handler: str, event_id: str) -> bool:
    """Record that `handler` applies `event_id`; False when it already did."""
    cursor = conn.execute(
        "INSERT INTO inbox (handler, event_id) VALUES (%s, %s) ON CONFLICT DO NOTHING",
        (handler, event_id),
    )
    return cursor.rowcount == 1


def in_inbox(method: Callable[..., Any]) -> Callable[..., Any]:
    """`method(self, event, conn)` run inside one transaction of the service's `db` that first
    claims the event under the method's name: a redelivered event returns without calling it,
    and a handler that raises leaves no claim, so the next delivery runs it again."""
    name = method.__name__

    @functools.wraps(method)
    def handle(self: Any, event: Any) -> Any:
        with self.db.transaction() as conn:
            if not first_time(conn, name, event.id):
                log.info("event already handled; skipped", handler=name, event_id=event.id)
                return None
            return method(self, event, conn)

    setattr(handle, INBOX_NAME, name)
    return handle
