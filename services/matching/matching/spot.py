"""Spot Otonari-san: one-time help from a volunteer (city hall, nursery, hospital, ...).

    open ─▶ assigned ─▶ completed (hours logged)
      │       └─▶ assigned (reassigned: another volunteer goes instead)
      └───────┴──────▶ cancelled

The day before (in Tokyo) an assigned request takes place, both sides are reminded of it once
(once per volunteer: see `reassign`).

Volunteers are ranked with the same vectorised terms as Family Friend pairings (language,
distance, availability) plus their recent load, so the same few volunteers are not asked
every time.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import psycopg
from servicekit import domain
from servicekit.events.outbox import OutboxWriter
from servicekit.tokyo import TOKYO, tokyo_date, tokyo_day_bounds

from matching import participants
from matching.clock import add_months
from matching.participants import iso, person
from matching.profiles import MAX_LEVEL, PARTS, Profile, area_name, areas
from matching.scoring import (
    Settings,
    Side,
    availability_term,
    distance_km,
    distance_term,
    no_workable_language,
    preferred_language_term,
    side_of,
    too_far,
)

LOAD_WINDOW = timedelta(days=30)
# How far ahead a resident may ask for help: further out, plans (and volunteers' weeks) are
# not known yet, and a mistyped year would sit in the open list for ever.
BOOKING_MONTHS = 6
SPOT_WEIGHTS = {"language": 3.0, "distance": 2.0, "availability": 2.0, "load": 1.0}


def slot_of(moment: datetime) -> str:
    """The weekly slot a meeting falls in, in Tokyo time ("sat-morning")."""
    local = moment.astimezone(TOKYO)
    part = PARTS[0] if local.hour < 12 else PARTS[1] if local.hour < 17 else PARTS[2]
    return f"{local.strftime('%a').lower()}-{part}"


def _row(conn: psycopg.Connection, request_id: str, lock: bool = True) -> dict[str, Any]:
    try:
        uuid.UUID(str(request_id))
    except ValueError:
        raise domain.NotFound("no such spot request") from None
    row = conn.execute("SELECT * FROM spot_requests WHERE id = %s"
                       + (" FOR UPDATE" if lock else ""), (request_id,)).fetchone()
    if row is None:
        raise domain.NotFound("no such spot request")
    return row


def _event(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "spot_request_id": str(row["id"]), "kind": row["kind"],
        "starts_at": iso(row["starts_at"]), "area": row["area"],
        "area_name": area_name(row["area"]), "languages": list(row["languages"]),
        "requester": {"name": row["name"], "email": row["email"], "locale": row["locale"]},
    }


def view(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": str(row["id"]), "status": row["status"], "kind": row["kind"],
            "starts_at": iso(row["starts_at"]), "area": row["area"],
            "languages": list(row["languages"]),
            "volunteer_id": str(row["volunteer_id"]) if row["volunteer_id"] else None,
            "hours": float(row["hours"]) if row["hours"] is not None else None}


def check_starts_at(starts_at: datetime, now: datetime) -> None:
    """A request is for a moment still ahead and at most `BOOKING_MONTHS` away (400 naming
    `starts_at` otherwise): help in the past cannot be given, only counted by mistake."""
    if starts_at <= now:
        raise domain.Invalid("the spot request is for a time that has passed", {
            "starts_at": ["Must be in the future."]})
    latest = add_months(now, BOOKING_MONTHS)
    if starts_at > latest:
        raise domain.Invalid("the spot request is too far ahead", {"starts_at": [
            f"Must be at most {BOOKING_MONTHS} months ahead (until {tokyo_date(latest)})."]})


def create(conn: psycopg.Connection, outbox: OutboxWriter, data: dict, now: datetime
           ) -> dict[str, Any]:
    check_starts_at(data["starts_at"], now)
    area = areas()[data["area"]]
    row = conn.execute(
        """INSERT INTO spot_requests (id, kind, starts_at, area, lat, lon, languages, name,
                                      email, locale, note, created_at)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING *""",
        (str(uuid.uuid4()), data["kind"], data["starts_at"], data["area"], area.lat, area.lon,
         data["languages"], data["name"], data["email"], data["locale"], data.get("note"), now),
    ).fetchone()
    outbox.add(conn, "spot_request_created", _event(row))
    return view(row)


def _takers(conn: psycopg.Connection, now: datetime, volunteer_id: str | None = None
            ) -> list[dict[str, Any]]:
    """Volunteers who may take a spot request, with their recent load: approved (not one who
    was rejected or withdrew) and cleared. With `volunteer_id`, that one alone and locked, so a
    withdrawal at the same moment either waits and then finds the request assigned (and
    refuses), or goes first and the volunteer is no longer found here."""
    one = " AND v.id = %s FOR UPDATE OF v" if volunteer_id is not None else ""
    return conn.execute(
        """SELECT v.*, (SELECT count(*) FROM spot_requests s WHERE s.volunteer_id = v.id
                        AND s.assigned_at > %s AND s.status <> 'cancelled') AS recent_load
           FROM participants v
           WHERE v.role = 'volunteer' AND v.status = 'approved' AND v.cleared""" + one,
        (now - LOAD_WINDOW, *([volunteer_id] if volunteer_id is not None else [])),
    ).fetchall()


def _taker(conn: psycopg.Connection, volunteer_id: str, now: datetime) -> dict[str, Any]:
    """The volunteer who is to take a request, locked; 404 for no such participant, 409 for
    one who may not take requests."""
    participants.get(conn, volunteer_id)
    found = _takers(conn, now, volunteer_id)
    if not found:
        raise domain.Conflict("only a cleared volunteer can take a spot request")
    return found[0]


def _sides(request: dict[str, Any], volunteers: list[dict[str, Any]], now: datetime
           ) -> tuple[Side, Side]:
    """The request as a one-row column side against the volunteers as a row.

    The request's languages are put at the top level, so the workable-language filter keeps a
    volunteer who speaks one of them from conversational up; the language score is
    `preferred_language_term`, which weighs them in the order they were asked for.
    """
    asked = side_of([Profile(
        id=str(request["id"]), role="resident", lat=request["lat"], lon=request["lon"],
        languages={code: MAX_LEVEL for code in request["languages"]},
        slots=[slot_of(request["starts_at"])],
    )]).as_column()
    return asked, side_of([participants.profile_of(v, now) for v in volunteers]).as_row()


def candidates(conn: psycopg.Connection, request_id: str, settings: Settings, now: datetime,
               limit: int = 10) -> list[dict[str, Any]]:
    """Volunteers who can help, best first, each with their score breakdown."""
    request = _row(conn, request_id, lock=False)
    volunteers = _takers(conn, now)
    if not volunteers:
        return []
    asked, offered = _sides(request, volunteers, now)
    distance = distance_km(asked, offered)
    feasible = ~(no_workable_language(asked, offered) | too_far(asked, offered, settings,
                                                                  distance))[0]
    terms = {
        "language": preferred_language_term(list(request["languages"]), offered)[0],
        "distance": distance_term(asked, offered, settings, distance)[0],
        "availability": availability_term(asked, offered)[0],
        "load": 1.0 / (1.0 + np.array([v["recent_load"] for v in volunteers], dtype=float)),
    }
    total = sum(SPOT_WEIGHTS[k] * v for k, v in terms.items()) / sum(SPOT_WEIGHTS.values())
    order = [int(j) for j in np.argsort(-total, kind="stable") if feasible[j]][:limit]
    return [{"volunteer_id": str(volunteers[j]["id"]), "name": volunteers[j]["name"],
             "score": round(float(total[j]), 4),
             "breakdown": {k: round(float(v[j]), 4) for k, v in terms.items()},
             "recent_load": volunteers[j]["recent_load"]} for j in order]


def accept(conn: psycopg.Connection, outbox: OutboxWriter, request_id: str, volunteer_id: str,
           now: datetime) -> dict[str, Any]:
    """A volunteer takes the request (staff record it on their word)."""
    row = _row(conn, request_id)
    if row["status"] != "open":
        raise domain.Conflict(f"the spot request is {row['status']}")
    volunteer = _taker(conn, volunteer_id, now)
    row = conn.execute(
        """UPDATE spot_requests SET status = 'assigned', volunteer_id = %s, assigned_at = %s
           WHERE id = %s RETURNING *""", (volunteer_id, now, request_id)).fetchone()
    outbox.add(conn, "spot_request_assigned", {**_event(row), "volunteer": person(volunteer)})
    return view(row)


def reassign(conn: psycopg.Connection, outbox: OutboxWriter, request_id: str, data: dict,
             now: datetime, by: str | None = None) -> dict[str, Any]:
    """Another volunteer goes instead of the one assigned, who can no longer go.

    Only while the request is assigned and still ahead (409 otherwise), and only to a volunteer
    who may take requests (`_taker`) and speaks one of its languages well enough (the filter
    `candidates` ranks by); distance is not a condition: staff choose knowingly, as in
    `accept`. The former volunteer is told by `spot_request_unassigned`, the requester and the
    new volunteer by `spot_request_assigned` (the same contract as a first assignment).

    The reminder is reset: one already sent went to the former volunteer, and the new one
    needs it, so the next reminder tick (if the day before has begun) reminds both sides again,
    naming the new volunteer. The requester may thus be reminded twice; the second names who
    is coming now.

    The new volunteer's load counts from now (`assigned_at`); the former's no longer counts
    this request. Must be the first statement of its transaction: see below.
    """
    # Two staff replacing the same volunteer at once must not both win, each telling a new
    # volunteer they are expected: in REPEATABLE READ the later of two overlapping calls fails
    # on the row the earlier one changed, rather than reassigning again on top of it.
    conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
    try:
        return _hand_over(conn, outbox, request_id, data, now, by)
    except psycopg.errors.SerializationFailure:
        raise domain.Conflict("the spot request or the volunteer changed meanwhile: look "
                              "again") from None


def _hand_over(conn: psycopg.Connection, outbox: OutboxWriter, request_id: str, data: dict,
               now: datetime, by: str | None) -> dict[str, Any]:
    volunteer_id = data["volunteer_id"]
    row = _row(conn, request_id)
    if row["status"] != "assigned":
        hint = ": accept it instead" if row["status"] == "open" else ""
        raise domain.Conflict(f"the spot request is {row['status']}{hint}",
                              {"status": row["status"]})
    if row["starts_at"] <= now:
        raise domain.Conflict("the spot request has already started",
                              {"starts_at": iso(row["starts_at"])})
    if data.get("replacing") and str(row["volunteer_id"]) != data["replacing"]:
        # Two staff acting on the same page one after the other: the later must not undo
        # the earlier's choice unseen.
        raise domain.Conflict("the spot request was handed to another volunteer meanwhile: "
                              "look again")
    if str(row["volunteer_id"]) == volunteer_id:
        raise domain.Conflict("this volunteer is already assigned to the spot request")
    volunteer = _taker(conn, volunteer_id, now)
    if no_workable_language(*_sides(row, [volunteer], now))[0, 0]:
        raise domain.Conflict("the volunteer speaks none of the request's languages from "
                              "conversational up", {"languages": list(row["languages"])})
    former = participants.get(conn, row["volunteer_id"])
    row = conn.execute(
        """UPDATE spot_requests SET volunteer_id = %s, assigned_at = %s,
                  reminder_sent_at = NULL
           WHERE id = %s RETURNING *""", (volunteer_id, now, request_id)).fetchone()
    conn.execute(
        """INSERT INTO spot_reassignments (id, spot_request_id, from_volunteer_id,
                                           to_volunteer_id, reason, note, reassigned_by,
                                           reassigned_at)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s)""",
        (str(uuid.uuid4()), request_id, former["id"], volunteer_id, data["reason"],
         data.get("note"), by, now))
    outbox.add(conn, "spot_request_unassigned", {
        "spot_request_id": str(row["id"]), "kind": row["kind"],
        "starts_at": iso(row["starts_at"]), "area": row["area"],
        "area_name": area_name(row["area"]), "volunteer": person(former),
        "reason": data["reason"], "unassigned_at": iso(now)})
    outbox.add(conn, "spot_request_assigned", {**_event(row), "volunteer": person(volunteer)})
    return view(row)


def complete(conn: psycopg.Connection, outbox: OutboxWriter, request_id: str, hours: float,
             now: datetime) -> dict[str, Any]:
    row = _row(conn, request_id)
    if row["status"] != "assigned":
        raise domain.Conflict(f"the spot request is {row['status']}")
    _check_hours(row["starts_at"], hours, now)
    row = conn.execute(
        """UPDATE spot_requests SET status = 'completed', hours = %s, finished_at = %s
           WHERE id = %s RETURNING *""", (hours, now, request_id)).fetchone()
    volunteer = participants.get(conn, row["volunteer_id"])
    outbox.add(conn, "spot_request_completed", {**_event(row), "volunteer": person(volunteer),
                                                "hours": float(row["hours"])})
    return view(row)


def _check_hours(starts_at: datetime, hours: float, now: datetime) -> None:
    """Hours are logged for help given: not before the visit began, and no more of them than
    have passed since (400 naming `hours`), or the impact figures count help not yet given."""
    if now < starts_at:
        raise domain.Invalid("the visit has not taken place yet", {"hours": [
            f"The visit starts at {starts_at.astimezone(TOKYO):%Y-%m-%d %H:%M} (Tokyo); "
            "log its hours once it has taken place."]})
    elapsed = (now - starts_at).total_seconds() / 3600
    if hours > elapsed:
        raise domain.Invalid("more hours than have passed since the visit began", {
            "hours": [f"Only {elapsed:.2f} hours have passed since the visit began."]})


def cancel(conn: psycopg.Connection, outbox: OutboxWriter, request_id: str, reason: str,
           now: datetime) -> dict[str, Any]:
    row = _row(conn, request_id)
    if row["status"] not in ("open", "assigned"):
        raise domain.Conflict(f"the spot request is {row['status']}")
    row = conn.execute(
        """UPDATE spot_requests SET status = 'cancelled', cancel_reason = %s, finished_at = %s
           WHERE id = %s RETURNING *""", (reason, now, request_id)).fetchone()
    event = {**_event(row), "reason": reason}
    if row["volunteer_id"] is not None:  # assigned: the volunteer is told not to go
        event["volunteer"] = person(participants.get(conn, row["volunteer_id"]))
    outbox.add(conn, "spot_request_cancelled", event)
    return view(row)


def reminder_horizon(now: datetime) -> datetime:
    """The start (Tokyo midnight) of the day after tomorrow in Tokyo: a request starting before
    it takes place today or tomorrow there, so its reminder is due."""
    today = tokyo_date(now)
    return tokyo_day_bounds(today, today + timedelta(days=1))[1]


def reminder_due(starts_at: datetime, now: datetime) -> bool:
    """Whether an assigned, not yet reminded request starting at `starts_at` is reminded at `now`.

    The reminder is due from midnight (Asia/Tokyo) of the day before the request's Tokyo date
    until the request starts. Normally that is the day before; a request assigned later than
    that (the evening before, or for later the same day) is reminded at once, because the
    people are still to meet; one whose start has passed is not reminded at all.
    """
    return now < starts_at < reminder_horizon(now)


def send_reminders(conn: psycopg.Connection, outbox: OutboxWriter, now: datetime) -> int:
    """Emit `spot_request_reminder_due` for every assigned request whose reminder is due (see
    `reminder_due`, which this query mirrors); returns how many were sent.

    Stamping `reminder_sent_at` in the transaction of the event makes it one reminder per
    request; SKIP LOCKED lets several instances tick at once without both sending one.
    """
    rows = conn.execute(
        """UPDATE spot_requests SET reminder_sent_at = %(now)s
           WHERE id IN (SELECT id FROM spot_requests
                        WHERE status = 'assigned' AND reminder_sent_at IS NULL
                          AND starts_at > %(now)s AND starts_at < %(horizon)s
                        ORDER BY starts_at FOR UPDATE SKIP LOCKED)
           RETURNING *""",
        {"now": now, "horizon": reminder_horizon(now)},
    ).fetchall()
    for row in rows:
        volunteer = participants.get(conn, row["volunteer_id"])
        outbox.add(conn, "spot_request_reminder_due",
                   {**_event(row), "volunteer": person(volunteer)})
    return len(rows)
