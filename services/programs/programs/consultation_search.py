"""Staff search of consultations: filters, newest first, keyset pages with an opaque cursor.

The list is for finding a case, not reading it: no summary, no resident e-mail, and never case
notes (this module does not touch that table); the case itself is one click away
(`consultations.view`). Pages are cut by keyset on (opened_at, id), not OFFSET, so a case
opened while staff page through neither repeats a row nor skips one, and a deep page costs
the same as the first (indexes in migration 0002).
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from datetime import date, datetime, time, timedelta
from typing import Any

import psycopg

from programs.impact import TOKYO

# Filters that compare one column for equality: query key → column.
EQUALS = {"status": "c.status", "topic": "c.topic", "urgency": "c.urgency",
          "expert_id": "c.expert_id", "language": "c.language"}


class BadCursor(ValueError):
    """The `after` value is not a cursor this service made."""


def encode_cursor(opened_at: datetime, case_id: str) -> str:
    raw = json.dumps([opened_at.isoformat(), case_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        opened_at, case_id = json.loads(raw)
        moment = datetime.fromisoformat(opened_at)
        case_id = str(uuid.UUID(case_id))
    except (binascii.Error, ValueError, TypeError, AttributeError, UnicodeDecodeError):
        raise BadCursor("Not a valid cursor.") from None
    if moment.tzinfo is None:
        raise BadCursor("Not a valid cursor.")
    return moment, case_id


def _tokyo_midnight(day: date) -> datetime:
    # Staff pick days as they live them: a Tokyo calendar day, as in donations' reports.
    return datetime.combine(day, time(), tzinfo=TOKYO)


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
    if filters.get("opened_from") is not None:
        where.append("c.opened_at >= %s")
        params.append(_tokyo_midnight(filters["opened_from"]))
    if filters.get("opened_to") is not None and filters["opened_to"] < date.max:
        where.append("c.opened_at < %s")  # the whole of the last day
        params.append(_tokyo_midnight(filters["opened_to"] + timedelta(days=1)))
    if after is not None:
        where.append("(c.opened_at, c.id) < (%s, %s)")
        params.extend(after)
    # Only the constant fragments above are joined into the text; values travel as parameters.
    rows = conn.execute(
        f"""SELECT c.id, c.status, c.topic, c.language, c.urgency, c.resident_name,
                   c.opened_at, c.updated_at, c.ended_at, e.id AS expert_id,
                   e.name AS expert_name
            FROM consultations c LEFT JOIN experts e ON e.id = c.expert_id
            {"WHERE " + " AND ".join(where) if where else ""}
            ORDER BY c.opened_at DESC, c.id DESC
            LIMIT %s""",
        (*params, limit + 1),
    ).fetchall()
    page = rows[:limit]
    more = len(rows) > limit
    return {
        "consultations": [_summary(row) for row in page],
        "next": encode_cursor(page[-1]["opened_at"], str(page[-1]["id"])) if more else None,
    }


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
