"""The impact ledger: monthly figures built from events, and the `impact_updated` they cause.

Each event becomes facts keyed by what they are about (`payment:<id>`, `session:<id>`), never
by the event's id. Redelivered events, events that tell the same thing twice, and events that
arrive out of order therefore all end in the same rows, and every figure is a sum or a
distinct count over them: the result is what a recount from the source records gives.
A fact that can be corrected later (a session's attendance) carries a revision, and only a
higher revision replaces it, so an old correction arriving late cannot undo a newer one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg
from psycopg.types.json import Jsonb
from servicekit.events.outbox import OutboxWriter
from servicekit.tokyo import tokyo_date

MEASURES = ("pairings_completed", "spot_requests_done", "children_enrolled", "sessions_held",
            "attendances", "consultations_resolved", "yen_raised")


def month_of(timestamp: str | datetime) -> date:
    moment = datetime.fromisoformat(timestamp) if isinstance(timestamp, str) else timestamp
    local = tokyo_date(moment)  # JII's months are Tokyo's months
    return local.replace(day=1)


def person_key(email: str) -> str:
    """A resident is counted once a month across programs; only a hash of the address is kept."""
    return hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest()


def add_fact(conn: psycopg.Connection, key: str, month: date, measure: str, amount: int,
             source: str = "", revision: int = 0) -> None:
    conn.execute(
        """INSERT INTO impact_facts (fact_key, month, measure, source, amount, revision)
           VALUES (%s, %s, %s, %s, %s, %s)
           ON CONFLICT (fact_key) DO UPDATE
              SET month = EXCLUDED.month, amount = EXCLUDED.amount, revision = EXCLUDED.revision
            WHERE impact_facts.revision < EXCLUDED.revision""",
        (key, month, measure, source, amount, revision),
    )


def add_resident(conn: psycopg.Connection, month: date, email: str) -> None:
    conn.execute(
        "INSERT INTO impact_residents (month, person_key) VALUES (%s, %s) ON CONFLICT DO NOTHING",
        (month, person_key(email)),
    )


# -- what each event counts for ----------------------------------------------------------------
# "Residents supported" are the residents a program served that month: a Family Friend pairing
# that started or completed, a spot request done, a consultation opened, a child's family whose
# enrolment was confirmed.

def _payment_succeeded(conn: psycopg.Connection, data: dict[str, Any]) -> None:
    add_fact(conn, f"payment:{data['payment_id']}", month_of(data["paid_at"]), "yen_raised",
             data["amount"], source=data["source"])


def _payment_refunded(conn: psycopg.Connection, data: dict[str, Any]) -> None:
    # A refund takes money off the month it was refunded in; past months keep what they said.
    add_fact(conn, f"refund:{data['refund_id']}", month_of(data["refunded_at"]), "yen_raised",
             -data["amount"], source=data["source"])


def _pairing_started(conn: psycopg.Connection, data: dict[str, Any]) -> None:
    add_resident(conn, month_of(data["started_at"]), data["resident"]["email"])


def _pairing_completed(conn: psycopg.Connection, data: dict[str, Any]) -> None:
    month = month_of(data["completed_at"])
    add_fact(conn, f"pairing_completed:{data['pairing_id']}", month, "pairings_completed", 1)
    add_resident(conn, month, data["resident"]["email"])


def _spot_request_completed(conn: psycopg.Connection, data: dict[str, Any]) -> None:
    month = month_of(data["starts_at"])
    add_fact(conn, f"spot_done:{data['spot_request_id']}", month, "spot_requests_done", 1)
    add_resident(conn, month, data["requester"]["email"])


def _child_enrolled(conn: psycopg.Connection, data: dict[str, Any]) -> None:
    # Confirmed at once or promoted from the waitlist: either way one child enrolled.
    month = month_of(data["occurred_at"])
    add_fact(conn, f"enrolled:{data['enrollment_id']}", month, "children_enrolled", 1)
    add_resident(conn, month, data["guardian"]["email"])


def _session_held(conn: psycopg.Connection, data: dict[str, Any]) -> None:
    month = month_of(data["held_at"])
    add_fact(conn, f"session:{data['session_id']}", month, "sessions_held", 1)
    add_fact(conn, f"attendance:{data['session_id']}", month, "attendances", data["attended"],
             revision=data["revision"])


def _consultation_opened(conn: psycopg.Connection, data: dict[str, Any]) -> None:
    add_resident(conn, month_of(data["occurred_at"]), data["resident"]["email"])


def _consultation_ended(conn: psycopg.Connection, data: dict[str, Any]) -> None:
    if data["outcome"] == "resolved":
        add_fact(conn, f"consultation_resolved:{data['consultation_id']}",
                 month_of(data["occurred_at"]), "consultations_resolved", 1)


APPLY: dict[tuple[str, str], Callable[[psycopg.Connection, dict[str, Any]], None]] = {
    ("donations", "payment_succeeded"): _payment_succeeded,
    ("donations", "payment_refunded"): _payment_refunded,
    ("matching", "pairing_started"): _pairing_started,
    ("matching", "pairing_completed"): _pairing_completed,
    ("matching", "spot_request_completed"): _spot_request_completed,
    ("programs", "class_enrollment_confirmed"): _child_enrolled,
    ("programs", "class_enrollment_promoted"): _child_enrolled,
    ("programs", "class_session_held"): _session_held,
    ("programs", "consultation_opened"): _consultation_opened,
    ("programs", "consultation_resolved"): _consultation_ended,
}


def record(conn: psycopg.Connection, source: str, event_type: str, data: dict[str, Any]) -> None:
    APPLY[(source, event_type)](conn, data)


# -- figures -------------------------------------------------------------------------------------

def _empty(month: str) -> dict[str, Any]:
    figures: dict[str, Any] = {"month": month, "residents_supported": 0}
    figures.update({measure: 0 for measure in MEASURES})
    figures["yen_raised_by_source"] = {}
    return figures


def _month_bounds(first: str | None, last: str | None) -> tuple[date, date]:
    start = date.fromisoformat(f"{first}-01") if first else date(2000, 1, 1)
    end = date.fromisoformat(f"{last}-01") if last else date(9999, 12, 1)
    return start, end


def figures(conn: psycopg.Connection, first: str | None = None,
            last: str | None = None) -> dict[str, Any]:
    """Per-month figures for the months that have any, and totals over the range.

    Residents are counted once over the whole range in the totals, not once per month.
    """
    start, end = _month_bounds(first, last)
    months: dict[str, dict[str, Any]] = {}
    for row in conn.execute(
        """SELECT month, measure, source, sum(amount) AS total FROM impact_facts
           WHERE month BETWEEN %s AND %s GROUP BY month, measure, source""", (start, end),
    ).fetchall():
        label = row["month"].strftime("%Y-%m")
        month = months.setdefault(label, _empty(label))
        month[row["measure"]] += int(row["total"])
        if row["measure"] == "yen_raised":
            month["yen_raised_by_source"][row["source"]] = int(row["total"])
    for row in conn.execute(
        """SELECT month, count(*) AS n FROM impact_residents WHERE month BETWEEN %s AND %s
           GROUP BY month""", (start, end),
    ).fetchall():
        label = row["month"].strftime("%Y-%m")
        months.setdefault(label, _empty(label))["residents_supported"] = row["n"]

    totals = _empty("")
    del totals["month"]
    for month in months.values():
        for measure in MEASURES:
            totals[measure] += month[measure]
        for source, amount in month["yen_raised_by_source"].items():
            by_source = totals["yen_raised_by_source"]
            by_source[source] = by_source.get(source, 0) + amount
    totals["residents_supported"] = conn.execute(
        "SELECT count(DISTINCT person_key) AS n FROM impact_residents"
        " WHERE month BETWEEN %s AND %s", (start, end),
    ).fetchone()["n"]
    return {"months": [months[label] for label in sorted(months)], "totals": totals}


def _before(month: str) -> str:
    first = date.fromisoformat(f"{month}-01")
    return (first - timedelta(days=1)).strftime("%Y-%m")


def month_report(conn: psycopg.Connection, month: str) -> dict[str, Any]:
    """One month's figures (zeros when nothing happened) and the year's so far, as
    `impact_updated` carries them."""
    [figures_of_month] = figures(conn, month, month)["months"] or [_empty(month)]
    year_to_date = figures(conn, f"{month[:4]}-01", month)["totals"]
    return {**figures_of_month, "year_to_date": year_to_date}


def publish_due(conn: psycopg.Connection, outbox: OutboxWriter,
                interval_seconds: float) -> list[str]:
    """Emit `impact_updated` for each month whose figures changed since last said, unless
    something was already emitted within the interval. Returns the months emitted.

    The clock row is locked, so several instances of the service together still emit at most
    once per interval.
    """
    clock = conn.execute(
        "SELECT last_published_at, now() AS now FROM impact_clock FOR UPDATE").fetchone()
    now: datetime = clock["now"]
    last = clock["last_published_at"]
    if last is not None and (now - last).total_seconds() < interval_seconds:
        return []
    said = {row["month"].strftime("%Y-%m"): row["figures"] for row in conn.execute(
        "SELECT month, figures FROM impact_published").fetchall()}
    emitted = []
    for month in figures(conn)["months"]:
        label = month.pop("month")
        if said.get(label) == month:
            continue
        outbox.add(conn, "impact_updated", {
            **month_report(conn, label), "previous_month": month_report(conn, _before(label)),
            "updated_at": now.astimezone(UTC).isoformat()})
        conn.execute(
            """INSERT INTO impact_published (month, figures, published_at) VALUES (%s, %s, %s)
               ON CONFLICT (month) DO UPDATE SET figures = EXCLUDED.figures,
                                                 published_at = EXCLUDED.published_at""",
            (date.fromisoformat(f"{label}-01"), Jsonb(month), now),
        )
        emitted.append(label)
    if emitted:
        conn.execute("UPDATE impact_clock SET last_published_at = %s", (now,))
    return emitted
