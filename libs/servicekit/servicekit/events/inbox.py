"""The inbox: a consumer's record of the events it has applied (DESIGN §4.3).

Claim the event in the same transaction as the handler's effects: the claim and the effects
commit together or not at all, so a redelivered event is recognised and skipped. Two copies
arriving at once are serialised by the primary key; the second waits, then finds the first.
"""

from __future__ import annotations

import psycopg


def first_time(conn: psycopg.Connection, handler: str, event_id: str) -> bool:
    """Record that `handler` applies `event_id`; False when it already did."""
    cursor = conn.execute(
        "INSERT INTO inbox (handler, event_id) VALUES (%s, %s) ON CONFLICT DO NOTHING",
        (handler, event_id),
    )
    return cursor.rowcount == 1
