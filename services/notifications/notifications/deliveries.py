"""Sending each message exactly once: the delivery log, the suppression list and opt-outs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import psycopg

from notifications.mailer import (
    Mailer,
    MailSession,
    PermanentDeliveryError,
    TemporaryDeliveryError,
    delivery_key,
)
from notifications.partners import erased_delivery_key
from notifications.render import render

# Bulk mail (newsletters) honours bounces and opt-outs. Everything else is mail a person needs
# whatever their bounce history (receipts, pairing offers, card problems) and is never
# suppressed. A new kind is transactional unless it is listed here.
BULK = frozenset({"impact_update"})


def is_transactional(kind: str) -> bool:
    return kind not in BULK


@dataclass(frozen=True)
class Outgoing:
    """One message to one person, built from an event by `notifications.messages`."""

    kind: str
    to_addr: str
    to_name: str | None
    locale: str | None
    context: Mapping[str, Any]
    headers: Mapping[str, str] = field(default_factory=dict)


def _suppression_reason(conn: psycopg.Connection, kind: str, to_addr: str) -> str | None:
    if is_transactional(kind):
        return None
    if conn.execute("SELECT 1 FROM unsubscribes WHERE recipient = lower(%s) AND list = %s",
                    (to_addr, kind)).fetchone():
        return "unsubscribed"
    row = conn.execute("SELECT reason FROM suppressions WHERE recipient = lower(%s)",
                       (to_addr,)).fetchone()
    return f"bounced earlier: {row['reason']}"[:500] if row else None


def send_once(conn: psycopg.Connection, mailer: Mailer | MailSession, *, event_id: str,
              message: Outgoing) -> str:
    """Render and send one message unless the log shows it was already settled.

    Returns the status recorded: sent, failed (permanent SMTP failure; the address is then
    suppressed for bulk mail), suppressed, or duplicate (nothing done). A temporary failure is
    logged on `conn` as deferred (attempt count and last error) and then raised: the caller
    commits `conn` so staff can see the message waiting, and the event is retried later. Only a
    deferred row is ever tried again, and its retry settles that same row.
    """
    key = delivery_key(event_id, message.kind, message.to_addr)
    # Two copies of one event handled at the same moment must not both send: the second waits
    # here until the first commits its log row, then sees it.
    conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (key,))
    logged = conn.execute(
        # Locked: an erasure committing while we talk to SMTP waits, rather than renaming a
        # row that our log write would then re-create under the plain address.
        "SELECT status FROM deliveries WHERE delivery_key IN (%s, %s) FOR UPDATE",
        (key, erased_delivery_key(event_id, message.kind, message.to_addr))).fetchone()
    if logged and logged["status"] != "deferred":
        return "duplicate"
    rendered = render(message.kind, message.locale, message.context)
    email = mailer.build_message(rendered, to_addr=message.to_addr, to_name=message.to_name,
                                 delivery_key=key, extra_headers=message.headers)
    row = {"key": key, "event_id": event_id, "kind": message.kind, "recipient": message.to_addr,
           "locale": rendered.locale, "message_id": email["Message-ID"]}
    error = _suppression_reason(conn, message.kind, message.to_addr)
    if error:
        _log(conn, row, "suppressed", error, attempted=False)
        return "suppressed"
    try:
        mailer.send(email)
    except PermanentDeliveryError as exc:
        error = str(exc)[:500]
        conn.execute(
            "INSERT INTO suppressions (recipient, reason) VALUES (lower(%s), %s)"
            " ON CONFLICT DO NOTHING",
            (message.to_addr, error),
        )
        _log(conn, row, "failed", error)
        return "failed"
    except TemporaryDeliveryError as exc:
        _log(conn, row, "deferred", str(exc)[:500])  # mailer errors carry no address
        raise
    _log(conn, row, "sent", None)
    return "sent"


def _log(conn: psycopg.Connection, row: dict[str, Any], status: str, error: str | None,
         attempted: bool = True) -> None:
    # One row per delivery key: the first attempt inserts it, a retry of a deferred message
    # updates it. The WHERE keeps a settled row from ever being rewritten.
    conn.execute(
        """
        INSERT INTO deliveries (delivery_key, event_id, kind, recipient, locale, message_id,
                                status, error, attempts, last_attempt_at)
        VALUES (%(key)s, %(event_id)s, %(kind)s, %(recipient)s, %(locale)s, %(message_id)s,
                %(status)s, %(error)s, %(attempts)s, now())
        ON CONFLICT (delivery_key) DO UPDATE
           SET status = EXCLUDED.status, error = EXCLUDED.error, locale = EXCLUDED.locale,
               attempts = deliveries.attempts + EXCLUDED.attempts,
               last_attempt_at = EXCLUDED.last_attempt_at
         WHERE deliveries.status = 'deferred'
        """,
        {**row, "status": status, "error": error, "attempts": int(attempted)},
    )


def deliver_all(db: Any, mailer: Mailer, event_id: str,
                messages: Iterable[Outgoing]) -> dict[str, str]:
    """Send each message in its own transaction; return {recipient kind: status}.

    One transaction per message means a recipient already served is never sent to again when
    another recipient of the same event fails and the event is retried (the log row of the
    first is committed). A temporary failure does not stop the others either: it is raised
    once every message was tried, so the consumer retries the event with growing delays.
    """
    statuses: dict[str, str] = {}
    temporary: TemporaryDeliveryError | None = None
    with mailer.session() as session:  # one relay connection for every recipient
        for i, message in enumerate(messages):
            label = f"{i}:{message.kind}"
            with db.transaction() as conn:
                try:
                    statuses[label] = send_once(conn, session, event_id=event_id,
                                                message=message)
                except TemporaryDeliveryError as exc:
                    # Caught inside the transaction so the deferred row send_once logged
                    # commits.
                    statuses[label] = "deferred"
                    temporary = temporary or exc
    if temporary is not None:
        raise temporary
    return statuses
