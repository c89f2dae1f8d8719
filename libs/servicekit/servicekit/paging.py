"""Keyset pages for staff lists: newest first, cut on (timestamp, id), with an opaque cursor.

OFFSET would repeat or skip rows when new ones arrive while staff page through; a keyset on
(timestamp, id) does neither for rows added at the top (a new application, case or request),
and a deep page costs what the first does, given an index on (timestamp DESC, id DESC). The
cursor is the last row's key, base64url-encoded JSON: opaque to clients, checked on the way
back in.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from datetime import datetime
from typing import Any

import psycopg

DEFAULT_LIMIT = 50


class BadCursor(ValueError):
    """The `after` value is not a cursor this service made."""


def encode_cursor(moment: datetime, row_id: Any) -> str:
    raw = json.dumps([moment.isoformat(), str(row_id)], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        moment, row_id = json.loads(raw)
        moment = datetime.fromisoformat(moment)
        row_id = str(uuid.UUID(row_id))
    except (binascii.Error, ValueError, TypeError, AttributeError, UnicodeDecodeError):
        raise BadCursor("Not a valid cursor.") from None
    if moment.tzinfo is None:
        raise BadCursor("Not a valid cursor.")
    return moment, row_id


def fetch(conn: psycopg.Connection, columns: str, source: str, key: str, row_id: str,
          where: list[str], params: list[Any], limit: int,
          after: tuple[datetime, str] | None) -> tuple[list[dict[str, Any]], str | None]:
    """One page of `SELECT columns FROM source WHERE where...`, newest `key` first, and the
    cursor of the next page (None on the last).

    `columns`, `source`, `key`, `row_id` and `where` must be constant SQL text of the caller's
    own: every value travels in `params`.
    """
    clauses = list(where)
    values = list(params)
    if after is not None:
        clauses.append(f"({key}, {row_id}) < (%s, %s)")
        values.extend(after)
    rows = conn.execute(
        f"""SELECT {columns}, {key} AS page_key, {row_id} AS page_id
            FROM {source}
            {"WHERE " + " AND ".join(clauses) if clauses else ""}
            ORDER BY {key} DESC, {row_id} DESC
            LIMIT %s""",
        (*values, limit + 1),
    ).fetchall()
    page = rows[:limit]
    cursor = (encode_cursor(page[-1]["page_key"], page[-1]["page_id"])
              if len(rows) > limit else None)
    return page, cursor
