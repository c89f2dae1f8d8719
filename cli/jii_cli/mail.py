"""`jii mail log (--email E | --event ID)`: what notifications sent to a person or for an event.

Read from the notifications database directly, as `jii outbox status` reads each service's, so
operators can answer "did they get it?" even when the services are down. The query mirrors
`notifications.delivery_log` (the CLI does not depend on the service's package). A `deferred`
row is a message SMTP has not accepted yet: still being retried, or parked with its event in
`notifications.dlq` once the retries ran out; `attempts` and `error` say how often and why.
An `unknown` row is an attempt cut short (the service killed mid-send): the relay may have it,
so it is not retried; look its `message_id` up in the relay's log.
"""

from __future__ import annotations

import json
import uuid

from servicekit.config import database_url
from servicekit.db import connect

from jii_cli.table import format_table
from jii_cli.workspace import CliError, service_config

COLUMNS = ("created_at", "status", "attempts", "last_attempt_at", "kind", "recipient", "locale",
           "event_id", "error", "message_id")


def log_entries(url: str, email: str | None, event_id: str | None,
                limit: int = 200, unknown: bool = False) -> list[dict]:
    if unknown:
        where, param = "status = %s", "unknown"
    else:
        where, param = (("lower(recipient) = lower(%s)", email) if email
                        else ("event_id = %s", event_id))
    with connect(url, connect_timeout=5) as conn:
        rows = conn.execute(
            f"""SELECT created_at, status, attempts, last_attempt_at, kind, recipient, locale,
                       event_id::text AS event_id, error, message_id
                  FROM deliveries WHERE {where}
                 ORDER BY created_at DESC, kind LIMIT %s""",
            (param, limit),
        ).fetchall()
    return [{**row, "created_at": row["created_at"].isoformat(timespec="seconds"),
             "last_attempt_at": row["last_attempt_at"].isoformat(timespec="seconds")}
            for row in rows]


def run(args) -> int:
    if args.event:
        try:
            uuid.UUID(args.event)
        except ValueError:
            raise CliError(f"not an event id: {args.event}") from None
    rows = log_entries(database_url(service_config("notifications")), args.email, args.event,
                       args.limit, unknown=args.unknown)
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
    elif not rows:
        print("no deliveries")
    else:
        # format_table blanks only None: an attempt count of 0 (suppressed, never tried) shows.
        print(format_table(COLUMNS, [[row[c] for c in COLUMNS] for row in rows]))
    return 0
