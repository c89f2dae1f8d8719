"""Erasing a supporter: name, e-mail and postal address go from every table of the service,
amounts stay."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import psycopg
from servicekit import domain
from servicekit.events.outbox import OutboxWriter

ERASED_NAME = "(erased)"
ERASED_EMAIL = "erased@invalid.invalid"


class StillInUse(domain.Conflict):
    """The supporter cannot be erased yet; the message says why (a 409 to the caller)."""


def supporter_for_erasure(conn: psycopg.Connection, supporter_id: str) -> dict | None:
    """The supporter, locked for erasure on `conn`'s transaction (None if there is none).

    Their payments are locked first, and without claiming their keys: issuing a receipt locks
    a payment and then checks the supporter's key, and an annual receipt locks the supporter
    and then checks its payments' keys. Taking the supporter first would deadlock with the one,
    claiming the payments' keys with the other.
    """
    conn.execute("SELECT id FROM payments WHERE supporter_id = %s ORDER BY id"
                 " FOR NO KEY UPDATE", (supporter_id,))
    return conn.execute("SELECT * FROM supporters WHERE id = %s FOR UPDATE",
                        (supporter_id,)).fetchone()


def pledge_erased(conn: psycopg.Connection, pledge_id: str) -> bool:
    """Whether the pledge's supporter has been anonymised (their links must open nothing)."""
    row = conn.execute(
        "SELECT s.anonymized_at FROM pledges p JOIN supporters s ON s.id = p.supporter_id"
        " WHERE p.id = %s", (pledge_id,)).fetchone()
    return row is not None and row["anonymized_at"] is not None


def check_erasable(conn: psycopg.Connection, supporter_id: str) -> None:
    live = conn.execute(
        "SELECT count(*) AS n FROM pledges WHERE supporter_id = %s AND status <> 'canceled'",
        (supporter_id,)).fetchone()["n"]
    if live:
        raise StillInUse("the supporter still has a pledge; cancel it first")
    pending = conn.execute(
        "SELECT count(*) AS n FROM outbox WHERE published_at IS NULL"
        " AND envelope->'data'->>'supporter_id' = %s", (supporter_id,)).fetchone()["n"]
    if pending:
        # Those events still need the address to reach the supporter (a receipt, say).
        raise StillInUse("messages to the supporter are still being sent; try again shortly")
    unnumbered = conn.execute(
        "SELECT count(*) AS n FROM payments WHERE supporter_id = %s AND receipt_number IS NULL",
        (supporter_id,)).fetchone()["n"]
    if unnumbered:
        # Their thank-you is written with the receipt number, from the name and e-mail.
        raise StillInUse("a payment's receipt number is still being given; try again shortly")


def anonymise(conn: psycopg.Connection, outbox: OutboxWriter, supporter: dict) -> dict:
    """Erase on `conn`'s transaction; returns the `supporter_anonymized` event data."""
    supporter_id = str(supporter["id"])
    check_erasable(conn, supporter_id)
    email = supporter["email"] or ""
    conn.execute(
        "UPDATE supporters SET name = NULL, email = NULL, stripe_customer_id = NULL,"
        " postal_code = NULL, prefecture = NULL, city = NULL, address_line1 = NULL,"
        " address_line2 = NULL, anonymized_at = now() WHERE id = %s", (supporter_id,))
    # Free-text fields staff may have typed the payer's name into.
    conn.execute("UPDATE payments SET reference = NULL WHERE supporter_id = %s", (supporter_id,))
    conn.execute(
        "UPDATE pledges SET cancel_reason = '(erased)' WHERE supporter_id = %s"
        " AND cancel_reason IS NOT NULL", (supporter_id,))
    # Published events are history the broker has delivered; their copies here are redacted
    # (a donor's cancel reason is free text too).
    conn.execute(
        """
        UPDATE outbox SET envelope = jsonb_set(jsonb_set(envelope,
               '{data,name}', to_jsonb(%s::text)), '{data,email}', to_jsonb(%s::text))
        WHERE published_at IS NOT NULL AND envelope->'data'->>'supporter_id' = %s
        """,
        (ERASED_NAME, ERASED_EMAIL, supporter_id))
    conn.execute(
        "UPDATE outbox SET envelope = jsonb_set(envelope, '{data,reason}', '\"(erased)\"')"
        " WHERE envelope->'data'->>'supporter_id' = %s AND envelope->'data' ? 'reason'",
        (supporter_id,))
    # The self-service links in them carry live tokens: they go too.
    conn.execute(
        "UPDATE outbox SET envelope = jsonb_set(envelope, '{data}', (envelope->'data')"
        " - 'manage_url' - 'update_card_url') WHERE envelope->'data'->>'supporter_id' = %s",
        (supporter_id,))
    data = {
        "supporter_id": supporter_id,
        "email_sha256": hashlib.sha256(email.strip().lower().encode()).hexdigest(),
        "anonymized_at": datetime.now(UTC).isoformat(),
    }
    outbox.add(conn, "supporter_anonymized", data)
    return data
