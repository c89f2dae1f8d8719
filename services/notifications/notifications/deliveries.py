"""Sending one message exactly once: the delivery log and the suppression list."""

from __future__ import annotations

import psycopg

from notifications.mailer import Mailer, PermanentDeliveryError, delivery_key
from notifications.render import render

# Mail a person needs whatever their bounce history (receipts, pairing offers) is never
# suppressed; only newsletters such as impact updates are.
TRANSACTIONAL = frozenset({"pledge_welcome", "donation_thanks"})


def send_once(
    conn: psycopg.Connection, mailer: Mailer, *, event_id: str, kind: str, to_addr: str,
    to_name: str | None, locale: str, context: dict,
) -> str:
    """Render and send `kind` to one recipient unless the log shows it was already handled.

    Runs inside the handler's transaction: the log row commits with the inbox claim. A
    temporary SMTP failure propagates (the transaction rolls back and the event is retried);
    a permanent one is recorded and the address suppressed. Returns the resulting status.
    """
    key = delivery_key(event_id, kind, to_addr)
    if conn.execute("SELECT 1 FROM deliveries WHERE delivery_key = %s", (key,)).fetchone():
        return "duplicate"
    rendered = render(kind, locale, context)
    suppressed = kind not in TRANSACTIONAL and conn.execute(
        "SELECT 1 FROM suppressions WHERE recipient = lower(%s)", (to_addr,)
    ).fetchone()
    message = mailer.build_message(
        rendered, to_addr=to_addr, to_name=to_name, delivery_key=key
    )
    status, error = "sent", None
    if suppressed:
        status = "suppressed"
    else:
        try:
            mailer.send(message)
        except PermanentDeliveryError as exc:
            status, error = "failed", str(exc)[:500]
            conn.execute(
                "INSERT INTO suppressions (recipient, reason) VALUES (lower(%s), %s)"
                " ON CONFLICT DO NOTHING",
                (to_addr, error),
            )
    conn.execute(
        """
        INSERT INTO deliveries (delivery_key, event_id, kind, recipient, locale, message_id,
                                status, error)
        VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
        """,
        (key, event_id, kind, to_addr, rendered.locale, message["Message-ID"], status, error),
    )
    return status
