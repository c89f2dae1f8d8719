"""Staff search of consultations: filters, newest first, keyset pages with an opaque cursor.

The list is for finding a case, not reading it: no summary, no resident e-mail, and never case
notes (this module does not touch that table); the case itself is one click away
(`consultations.view`). Pages are cut by keyset on (opened_at, id), not OFFSET, so a case
opened while staff page through neither repeats a row nor skips one, and a deep page costs
the same as the first (indexes in migration 0002).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg
from servicekit import paging
from servicekit.tokyo import tokyo_day_bounds

# Filters that compare one column for equality: query key → column.
EQUALS = {"status": "c.status", "topic": "c.topic", "urgency": "c.urgency",
          "expert_id": "c.expert_id", "language": "c.language"}


def search(conn: psycopg.Connection, filters: dict[str, Any], limit: int,
           after: tuple[datetime, str] | None) -> dict[str, Any]:
    """One page of cases matching every filter given, newest first, and the next page's cursor
    (None on the last page)."""
    where: list[str] = []
    params: list[Any] = []
    for key, column in EQUALS.items():
        if filters.get(key) is not None:
            where.append(f"{column} = %s")
            params.append(str(filters[key]))
    # Staff pick days as they live them: Tokyo calendar days, as in donations' reports.
    if filters.get("opened_from") is not None:
        where.append("c.opened_at >= %s")
        params.append(tokyo_day_bounds(filters["opened_from"], filters["opened_from"])[0])
    if filters.get("opened_to") is not None:
        where.append("c.opened_at < %s")  # the whole of the last day
        params.append(tokyo_day_bounds(filters["opened_to"], filters["opened_to"])[1])
    # Only the constant fragments above are joined into the text; values travel as parameters.
    page, cursor = paging.fetch(
        conn,
        "c.id, c.status, c.topic, c.language, c.urgency, c.resident_name, c.opened_at,"
        " c.updated_at, c.ended_at, e.id AS expert_id, e.name AS expert_name",
        "consultations c LEFT JOIN experts e ON e.id = c.expert_id",
        "c.opened_at", "c.id", where, params, limit, after)
    return {"consultations": [_summary(row) for row in page], "next": cursor}


def _summary(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(row["id"]), "status": row["status"], "topic": row["topic"],
        "language": row["language"], "urgency": row["urgency"],
        "resident_name": row["resident_name"],
        "expert": ({"id": str(row["expert_id"]), "name": row["expert_name"]}
                   if row["expert_id"] else None),
        "opened_at": row["opened_at"].isoformat(),
        "updated_at": row["updated_at"].isoformat(),
        "ended_at": row["ended_at"].isoformat() if row["ended_at"] else None,
    }
