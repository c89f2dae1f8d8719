"""Staff finding a supporter: by name, e-mail, a receipt number (a payment's, or a tax
receipt's with its suffix) or a bank reference — what a dispute alert or a bank statement
gives them to start from."""

from __future__ import annotations

from typing import Any

import psycopg

from donations import ledger

MAX_RESULTS = 20
PAYMENTS_PER_SUPPORTER = 10


def contains_pattern(text: str) -> str:
    """A LIKE pattern matching `text` literally anywhere in a value."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def find(conn: psycopg.Connection, q: str) -> list[dict[str, Any]]:
    """Supporters matching `q`, each with the payments that matched (or their latest)."""
    q = " ".join(q.split())
    like = contains_pattern(q)
    # A receipt number is matched exactly (R2026-000123 must not find R2026-0001234); names,
    # e-mails and references by substring, case-insensitively.
    number = q.upper()
    base_number = number.rsplit("-", 1)[0] if number.count("-") == 2 else number
    matches = conn.execute(
        """
        SELECT s.id AS supporter_id, 'name' AS matched_by, NULL::uuid AS payment_id
          FROM supporters s WHERE s.name ILIKE %(like)s
        UNION ALL
        SELECT s.id, 'email', NULL FROM supporters s WHERE s.email ILIKE %(like)s
        UNION ALL
        SELECT p.supporter_id, 'receipt_number', p.id FROM payments p
         WHERE p.receipt_number = %(number)s OR p.receipt_number = %(base)s
        UNION ALL
        SELECT r.supporter_id, 'receipt_number', r.payment_id FROM receipts r
         WHERE r.number = %(number)s
        UNION ALL
        SELECT p.supporter_id, 'reference', p.id FROM payments p
         WHERE p.reference ILIKE %(like)s
        """,
        {"like": like, "number": number, "base": base_number}).fetchall()
    found: dict[str, dict[str, Any]] = {}
    for row in matches:
        entry = found.setdefault(str(row["supporter_id"]), {"matched_by": [], "payments": []})
        if row["matched_by"] not in entry["matched_by"]:
            entry["matched_by"].append(row["matched_by"])
        if row["payment_id"] and str(row["payment_id"]) not in entry["payments"]:
            entry["payments"].append(str(row["payment_id"]))
    results = []
    for supporter_id, entry in list(found.items())[:MAX_RESULTS]:
        results.append(_supporter(conn, supporter_id, entry))
    return results


def _supporter(conn: psycopg.Connection, supporter_id: str,
               entry: dict[str, Any]) -> dict[str, Any]:
    row = conn.execute(
        "SELECT * FROM supporters WHERE id = %s", (supporter_id,)).fetchone()
    where, params = ("p.id = ANY(%s)", [entry["payments"]]) if entry["payments"] else (
        "p.supporter_id = %s", [supporter_id])
    payments = conn.execute(
        f"SELECT p.id, p.source, p.amount, p.refunded_amount, p.receipt_number, p.paid_at,"
        f" p.reference, p.voided_at, r.number AS tax_receipt FROM payments p"
        f" LEFT JOIN receipts r ON r.payment_id = p.id AND r.voided_at IS NULL"
        f" WHERE {where} ORDER BY p.paid_at DESC LIMIT {PAYMENTS_PER_SUPPORTER}",
        params).fetchall()
    return {
        "supporter_id": str(row["id"]), "name": row["name"], "email": row["email"],
        "locale": row["locale"], "postal_address": ledger.postal_address(row),
        "donor_kind": row["donor_kind"], "anonymized": row["anonymized_at"] is not None,
        "matched_by": entry["matched_by"],
        "payments": [{
            "id": str(p["id"]), "source": p["source"], "amount": p["amount"],
            "refunded_amount": p["refunded_amount"], "receipt_number": p["receipt_number"],
            "paid_at": p["paid_at"].isoformat(), "reference": p["reference"],
            "voided": p["voided_at"] is not None, "tax_receipt": p["tax_receipt"],
        } for p in payments],
    }
