"""Reading the delivery log for staff: every message for one address or one event."""

from __future__ import annotations

from typing import Any

import psycopg


def entries(conn: psycopg.Connection, *, email: str | None = None, event_id: str | None = None,
            limit: int = 200) -> list[dict[str, Any]]:
    """Newest first; times as ISO 8601 UTC strings so the rows cross RPC and JSON as they are.

    A `deferred` row is a message SMTP has not accepted yet: `attempts` says how often it was
    tried, `error` the last reason, `last_attempt_at` when; the event's retries try it again.
    """
    where, param = (("lower(recipient) = lower(%s)", email) if email
                    else ("event_id = %s", event_id))
    rows = conn.execute(
        f"""
        SELECT event_id::text AS event_id, kind, recipient, locale, status, error, attempts,
               message_id, created_at, last_attempt_at
          FROM deliveries WHERE {where}
         ORDER BY created_at DESC, kind LIMIT %s
        """,
        (param, limit),
    ).fetchall()
    return [{**row, "created_at": row["created_at"].isoformat(),
             "last_attempt_at": row["last_attempt_at"].isoformat()} for row in rows]
