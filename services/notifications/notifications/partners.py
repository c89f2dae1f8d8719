"""Active JII Partners, as told by donations' pledge events, and the monthly impact mailing."""

from __future__ import annotations

import hashlib
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

# pledge event type -> the status it leaves the pledge in
PLEDGE_STATUS_BY_EVENT = {
    "pledge_started": "active",
    "pledge_paused": "paused",
    "pledge_past_due": "past_due",
    "pledge_canceled": "canceled",
}


def record_pledge(conn: psycopg.Connection, event_type: str, data: dict[str, Any],
                  occurred_at: str) -> None:
    """Remember the pledge's state; an event older than the one already applied changes nothing
    (events of one pledge may arrive out of order after retries)."""
    status = data.get("status") or PLEDGE_STATUS_BY_EVENT[event_type]
    conn.execute(
        """
        INSERT INTO partners (pledge_id, supporter_id, name, email, locale, status, as_of)
        VALUES (%s, %s, %s, %s, %s, %s, %s)
        ON CONFLICT (pledge_id) DO UPDATE
           SET name = EXCLUDED.name, email = EXCLUDED.email, locale = EXCLUDED.locale,
               status = EXCLUDED.status, as_of = EXCLUDED.as_of
         WHERE partners.as_of <= EXCLUDED.as_of
        """,
        (data["pledge_id"], data["supporter_id"], data["name"], data["email"], data["locale"],
         status, occurred_at),
    )


def active_partners(conn: psycopg.Connection) -> list[dict[str, Any]]:
    """One row per address with an active pledge (a supporter with two pledges gets one mail)."""
    return conn.execute(
        """
        SELECT DISTINCT ON (lower(email)) name, email, locale
          FROM partners WHERE status = 'active'
         ORDER BY lower(email), as_of DESC
        """
    ).fetchall()


def forget_supporter(conn: psycopg.Connection, supporter_id: str, email_sha256: str) -> None:
    """Erase what we hold about an anonymised supporter; the delivery log keeps only a hash.

    A message still waiting for SMTP (deferred) is settled as suppressed: the event's next
    retry finds it under its erased key (see `erased_delivery_key`) and sends nothing.
    """
    conn.execute("DELETE FROM partners WHERE supporter_id = %s", (supporter_id,))
    for table in ("unsubscribes", "suppressions"):
        conn.execute(f"DELETE FROM {table} WHERE encode(sha256(convert_to(recipient, 'UTF8')),"
                     " 'hex') = %s", (email_sha256,))
    conn.execute(
        """
        UPDATE deliveries
           SET recipient = 'erased', delivery_key = event_id || ':' || kind || ':sha256:' || %s,
               status = CASE status WHEN 'deferred' THEN 'suppressed' ELSE status END,
               error = CASE status WHEN 'deferred' THEN 'erased at the person''s request'
                       ELSE error END
         WHERE encode(sha256(convert_to(lower(recipient), 'UTF8')), 'hex') = %s
        """,
        (email_sha256, email_sha256),
    )


def email_sha256(address: str) -> str:
    return hashlib.sha256(address.strip().lower().encode("utf-8")).hexdigest()


def erased_delivery_key(event_id: str, kind: str, address: str) -> str:
    """The key a delivery keeps once its recipient was erased (as `forget_supporter` writes)."""
    return f"{event_id}:{kind}:sha256:{email_sha256(address)}"


MEASURED = ("pairings_completed", "spot_requests_done", "children_enrolled", "sessions_held",
            "attendances", "consultations_resolved")


def record_impact(conn: psycopg.Connection, figures: dict[str, Any]) -> None:
    """Keep the figures of the event's month, and of the month before when the event carries
    them: that month may be the one about to be mailed, and an update about it could still be
    on its way behind this one."""
    _keep_month(conn, figures, figures["updated_at"])
    before = figures.get("previous_month")
    # A month nothing happened in is not news (and not worth a mailing of zeros).
    if before and any(before[key] for key in ("residents_supported", "yen_raised",
                                              *MEASURED)):
        _keep_month(conn, before, figures["updated_at"])


def _keep_month(conn: psycopg.Connection, figures: dict[str, Any], updated_at: str) -> None:
    figures = {key: value for key, value in figures.items() if key != "previous_month"}
    conn.execute(
        """
        INSERT INTO impact_months (month, figures, updated_at) VALUES (%s, %s, %s)
        ON CONFLICT (month) DO UPDATE SET figures = EXCLUDED.figures,
                                          updated_at = EXCLUDED.updated_at
         WHERE impact_months.updated_at <= EXCLUDED.updated_at
        """,
        (figures["month"], Jsonb(figures), updated_at),
    )


def previous_month(month: str) -> str:
    year, number = (int(part) for part in month.split("-"))
    return f"{year - 1}-12" if number == 1 else f"{year}-{number - 1:02d}"


def months_to_mail(conn: psycopg.Connection, event_month: str,
                   event_id: str) -> list[tuple[dict[str, Any], str]]:
    """Months that are over and not yet mailed, with their figures and the event id their
    delivery log uses. Call after `record_impact`, in the same transaction.

    programs sends `impact_updated` whenever a month's figures change, often many times a
    month; partners get one update per month. News of a later month means the month before
    is over, so that is when it is mailed: the month before this event's, or this event's own
    month when it arrives late (the next month is known already). Only a month directly
    before the latest one qualifies, so a service that starts with a history does not mail
    old news. A mailing once started keeps the event id of its trigger: retries and later
    triggers resume it rather than mail again.
    """
    # Events of several months are handled concurrently; without this, two transactions
    # could each miss the month the other is writing.
    conn.execute("SELECT pg_advisory_xact_lock(hashtextextended('impact_mailing', 0))")
    latest = conn.execute("SELECT max(month) AS m FROM impact_months").fetchone()["m"]
    if latest is None:
        return []
    candidate = previous_month(latest)
    if candidate not in (event_month, previous_month(event_month)):
        candidate = None
    if candidate:
        conn.execute(
            """
            INSERT INTO impact_mailings (month, trigger_event_id)
            SELECT month, %s FROM impact_months WHERE month = %s
            ON CONFLICT DO NOTHING
            """,
            (event_id, candidate),
        )
    rows = conn.execute(
        """
        SELECT m.figures, g.trigger_event_id::text AS event_id
          FROM impact_mailings g JOIN impact_months m USING (month)
         WHERE g.trigger_event_id = %s
         ORDER BY g.month
        """,
        (event_id,),
    ).fetchall()
    return [(row["figures"], row["event_id"]) for row in rows]
