"""What staff read of the ledger: payments with filters and paging, and one supporter with
their pledges and payments (what the console opens from a search or a live event)."""

from __future__ import annotations

from datetime import date
from typing import Any

import psycopg
from servicekit.tokyo import tokyo_day_bounds

from donations import ledger

# voided_at is read beside the ledger's columns: a voided payment is listed, and marked.
COLUMNS = f"{ledger.PAYMENT_COLUMNS}, voided_at"
PAYMENTS_OF_A_SUPPORTER = 100


def _listed(row: dict) -> dict[str, Any]:
    return {**ledger.payment_fields(row), "voided": row["voided_at"] is not None}


def list_payments(conn: psycopg.Connection, query: dict[str, Any]) -> dict[str, Any]:
    """Payments newest first, filtered by source, supporter and paid date (Tokyo calendar
    days, inclusive), `limit` of them from `offset`, with how many match in all."""
    where, params = ["TRUE"], []
    if query.get("source"):
        where.append("source = %s")
        params.append(query["source"])
    if query.get("supporter_id"):
        where.append("supporter_id = %s")
        params.append(str(query["supporter_id"]))
    if query.get("from_") or query.get("to"):
        # An open end is the widest date tokyo_day_bounds takes.
        start, end = tokyo_day_bounds(query.get("from_") or date.min,
                                      query.get("to") or date.max)
        where.append("paid_at >= %s AND paid_at < %s")
        params += [start, end]
    clause = " AND ".join(where)
    total = conn.execute(f"SELECT count(*) AS n FROM payments WHERE {clause}",
                         params).fetchone()["n"]
    rows = conn.execute(
        f"SELECT {COLUMNS} FROM payments WHERE {clause}"
        " ORDER BY paid_at DESC, id LIMIT %s OFFSET %s",
        [*params, query["limit"], query["offset"]]).fetchall()
    return {"payments": [_listed(row) for row in rows], "total": total,
            "limit": query["limit"], "offset": query["offset"]}


def supporter_detail(conn: psycopg.Connection, supporter_id: str) -> dict[str, Any] | None:
    """A supporter, their pledges and their latest payments; None when there is none."""
    row = conn.execute("SELECT * FROM supporters WHERE id = %s", (supporter_id,)).fetchone()
    if row is None:
        return None
    pledges = conn.execute(
        "SELECT id, amount, status, created_at, started_at, canceled_at, cancel_reason"
        " FROM pledges WHERE supporter_id = %s ORDER BY created_at DESC",
        (supporter_id,)).fetchall()
    payments = conn.execute(
        f"SELECT {COLUMNS} FROM payments WHERE supporter_id = %s"
        " ORDER BY paid_at DESC, id LIMIT %s", (supporter_id, PAYMENTS_OF_A_SUPPORTER)).fetchall()
    return {
        "supporter_id": str(row["id"]), "name": row["name"], "email": row["email"],
        "locale": row["locale"], "donor_kind": row["donor_kind"],
        "postal_address": ledger.postal_address(row),
        "anonymized": row["anonymized_at"] is not None,
        "pledges": [{
            "id": str(p["id"]), "amount": p["amount"], "status": p["status"],
            "created_at": p["created_at"].isoformat(),
            "started_at": _iso(p["started_at"]), "canceled_at": _iso(p["canceled_at"]),
            "cancel_reason": p["cancel_reason"],
        } for p in pledges],
        "payments": [_listed(p) for p in payments],
    }


def payment(conn: psycopg.Connection, payment_id: str) -> dict[str, Any] | None:
    row = conn.execute(f"SELECT {COLUMNS} FROM payments WHERE id = %s",
                       (payment_id,)).fetchone()
    return _listed(row) if row else None


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None
