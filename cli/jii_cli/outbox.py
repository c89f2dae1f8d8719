"""`jii outbox status`: each service's outbox backlog (DESIGN §4.2), read from its database."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

import psycopg
from servicekit.config import database_url
from servicekit.db import connect
from servicekit.events import outbox_status
from servicekit.migrations import database_name

from jii_cli.table import format_table
from jii_cli.workspace import check_services, service_config


def service_status(service: str) -> dict[str, Any]:
    """One row of the report; an unreachable or unmigrated database is a row with an error."""
    url = database_url(service_config(service))
    row: dict[str, Any] = {"service": service, "database": database_name(url)}
    try:
        with connect(url, connect_timeout=5) as conn:
            status = outbox_status(conn)
    except psycopg.errors.UndefinedTable:
        row["error"] = "no outbox table: run `jii migrate`"
        return row
    except psycopg.OperationalError as exc:
        row["error"] = str(exc).strip().splitlines()[0]
        return row
    for key, value in status.items():
        if isinstance(value, Decimal):
            value = round(float(value), 3)
        elif isinstance(value, datetime):
            value = value.isoformat()
        row[key] = value
    return row


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 120:
        return f"{seconds:.1f}s"
    if seconds < 7200:
        return f"{seconds / 60:.1f}m"
    return f"{seconds / 3600:.1f}h"


def run(args) -> int:
    rows = [service_status(service) for service in check_services(args.services)]
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(format_table(
            ["service", "pending", "oldest pending", "unrouted", "published", "last published"],
            [
                [row["service"], "error: " + row["error"], "", "", "", ""] if "error" in row else [
                    row["service"], row["pending"], _age(row["oldest_pending_seconds"]),
                    row["unrouted"], row["published"], row["last_published_at"] or "-",
                ]
                for row in rows
            ],
        ))
    return 1 if any("error" in row for row in rows) else 0
