"""Hanamaru classes: capacity, a first-come-first-served waitlist, and attendance.

Every change to a class's roster takes the class row's lock first (`FOR UPDATE`), so sign-ups,
withdrawals, capacity changes and promotions of one class are decided one at a time: the seat
count cannot be overrun however many requests arrive together, and the order in which they got
the lock is the order of the waitlist (`arrival` is drawn under the lock).

Events that tell a guardian their child has a seat or a place in the queue carry the signed
link to withdraw (`withdraw_url`), made by the caller's `WithdrawUrl` (see `links`).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import psycopg
from servicekit.domain import Conflict, Invalid, NotFound
from servicekit.events.outbox import OutboxWriter
from servicekit.tokyo import tokyo_date

from programs.links import WithdrawUrl, no_link

# What staff may edit on a class besides its capacity, which has rules of its own.
EDITABLE = ("title", "venue", "schedule", "level")
# What the roster says when the guardian withdrew the child themselves.
GUARDIAN_REASON = "withdrawn by the guardian with the link in their e-mail"


def _now() -> datetime:
    return datetime.now(UTC)


def child_key(first_name: str, last_name: str, guardian_email: str) -> str:
    """The same child signed up twice looks the same here, whatever the spacing or case."""
    name = " ".join(f"{first_name} {last_name}".split()).casefold()
    return f"{name}|{guardian_email.strip().lower()}"


def create_class(conn: psycopg.Connection, data: dict[str, Any], actor: str) -> dict[str, Any]:
    class_id = str(uuid.uuid4())
    conn.execute(
        """INSERT INTO classes (id, title, venue, schedule, level, capacity, waitlist_limit,
                                tutors, created_by)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)""",
        (class_id, data["title"], data["venue"], data["schedule"], data["level"],
         data["capacity"], data["waitlist_limit"], data["tutors"], actor),
    )
    for number, starts_at in enumerate(data["sessions"], start=1):
        conn.execute(
            "INSERT INTO class_sessions (id, class_id, session_number, starts_at)"
            " VALUES (%s, %s, %s, %s)",
            (str(uuid.uuid4()), class_id, number, starts_at),
        )
    return class_view(conn, class_id, staff=True)


def class_view(conn: psycopg.Connection, class_id: str, staff: bool = False) -> dict[str, Any]:
    row = conn.execute(
        """SELECT c.*,
                  (SELECT count(*) FROM enrollments e
                    WHERE e.class_id = c.id AND e.status = 'confirmed') AS confirmed,
                  (SELECT count(*) FROM enrollments e
                    WHERE e.class_id = c.id AND e.status = 'waitlisted') AS waiting
           FROM classes c WHERE c.id = %s""",
        (class_id,),
    ).fetchone()
    if row is None:
        raise NotFound("no such class")
    sessions = conn.execute(
        "SELECT id, session_number, starts_at, held_at, cancelled_at, cancel_reason"
        " FROM class_sessions WHERE class_id = %s ORDER BY session_number", (class_id,),
    ).fetchall()
    view = {
        "id": str(row["id"]), "title": row["title"], "venue": row["venue"],
        "schedule": row["schedule"], "level": row["level"], "capacity": row["capacity"],
        "seats_left": max(0, row["capacity"] - row["confirmed"]),
        "waitlist_length": row["waiting"],
        "waitlist_open": row["waitlist_limit"] is None or row["waiting"] < row["waitlist_limit"],
        "status": row["status"],
        "sessions": [_session_view(s) for s in sessions],
    }
    if staff:
        # Volunteer tutors' names are for staff; the public sees the class, not the people.
        view.update(tutors=list(row["tutors"]), waitlist_limit=row["waitlist_limit"],
                    confirmed=row["confirmed"])
    return view


def open_classes(conn: psycopg.Connection) -> list[dict[str, Any]]:
    ids = conn.execute(
        """SELECT c.id FROM classes c
           WHERE c.status = 'open'
           ORDER BY (SELECT min(starts_at) FROM class_sessions s WHERE s.class_id = c.id),
                    c.title""",
    ).fetchall()
    return [class_view(conn, str(row["id"])) for row in ids]


def _lock_class(conn: psycopg.Connection, class_id: str) -> dict[str, Any]:
    row = conn.execute("SELECT * FROM classes WHERE id = %s FOR UPDATE", (class_id,)).fetchone()
    if row is None:
        raise NotFound("no such class")
    return row


def _class_ref(cls: dict[str, Any]) -> dict[str, Any]:
    return {"class_id": str(cls["id"]), "title": cls["title"], "venue": cls["venue"],
            "schedule": cls["schedule"]}


def _enrollment_event(cls: dict[str, Any], enrollment: dict[str, Any], at: datetime,
                      withdraw_url: WithdrawUrl | None = None) -> dict[str, Any]:
    event = {
        "enrollment_id": str(enrollment["id"]), "class": _class_ref(cls),
        "child_first_name": enrollment["child_first_name"],
        "guardian": {"name": enrollment["guardian_name"], "email": enrollment["guardian_email"],
                     "locale": enrollment["guardian_locale"]},
        "occurred_at": at.isoformat(),
    }
    url = withdraw_url(str(enrollment["id"])) if withdraw_url else None
    if url:
        event["withdraw_url"] = url
    return event


def _confirmed_count(conn: psycopg.Connection, class_id: str) -> int:
    return conn.execute(
        "SELECT count(*) AS n FROM enrollments WHERE class_id = %s AND status = 'confirmed'",
        (class_id,),
    ).fetchone()["n"]


def _waiting_count(conn: psycopg.Connection, class_id: str) -> int:
    return conn.execute(
        "SELECT count(*) AS n FROM enrollments WHERE class_id = %s AND status = 'waitlisted'",
        (class_id,),
    ).fetchone()["n"]


def enroll(conn: psycopg.Connection, outbox: OutboxWriter, class_id: str,
           data: dict[str, Any], withdraw_url: WithdrawUrl = no_link) -> dict[str, Any]:
    """Give the child a seat if one is free and nobody is waiting, else a place in the queue."""
    cls = _lock_class(conn, class_id)
    if cls["status"] != "open":
        raise Conflict("this class no longer takes sign-ups")
    key = child_key(data["child_first_name"], data["child_last_name"], data["guardian_email"])
    if conn.execute(
        "SELECT 1 FROM enrollments WHERE class_id = %s AND child_key = %s"
        " AND status <> 'withdrawn'", (class_id, key),
    ).fetchone():
        raise Conflict("this child is already enrolled in this class or on its waitlist")
    confirmed = _confirmed_count(conn, class_id)
    waiting = _waiting_count(conn, class_id)
    # Nobody jumps the queue: a free seat goes to a newcomer only when nobody is waiting.
    if confirmed < cls["capacity"] and waiting == 0:
        status = "confirmed"
    elif cls["waitlist_limit"] is not None and waiting >= cls["waitlist_limit"]:
        raise Conflict("the class and its waitlist are full")
    else:
        status = "waitlisted"
    at = _now()
    enrollment = conn.execute(
        """INSERT INTO enrollments
             (id, class_id, child_first_name, child_last_name, child_age, child_grade, languages,
              guardian_name, guardian_email, guardian_locale, participation_consent,
              photo_consent, child_key, status, created_at, confirmed_at)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
           RETURNING *""",
        (str(uuid.uuid4()), class_id, data["child_first_name"], data["child_last_name"],
         data["child_age"], data["child_grade"], data["languages"], data["guardian_name"],
         data["guardian_email"], data["guardian_locale"], data["participation_consent"],
         data["photo_consent"], key, status, at, at if status == "confirmed" else None),
    ).fetchone()
    event = _enrollment_event(cls, enrollment, at, withdraw_url)
    result: dict[str, Any] = {"id": str(enrollment["id"]), "class_id": class_id,
                              "status": status}
    if status == "confirmed":
        outbox.add(conn, "class_enrollment_confirmed", event)
    else:
        result["position"] = waiting + 1
        outbox.add(conn, "class_enrollment_waitlisted", {**event, "position": waiting + 1})
    return result


def withdraw(conn: psycopg.Connection, outbox: OutboxWriter, class_id: str,
             enrollment_id: str, reason: str,
             withdraw_url: WithdrawUrl = no_link, by: str = "staff") -> dict[str, Any]:
    """Take the child off the class; a freed seat goes to the first child waiting. `by` is
    who did it (staff, or the guardian through their link), for whoever must be told."""
    cls = _lock_class(conn, class_id)
    enrollment = conn.execute(
        "SELECT * FROM enrollments WHERE id = %s AND class_id = %s",
        (enrollment_id, class_id),
    ).fetchone()
    if enrollment is None:
        raise NotFound("no such enrollment in this class")
    if enrollment["status"] == "withdrawn":
        return {"id": enrollment_id, "status": "withdrawn", "promoted": None}
    at = _now()
    conn.execute(
        "UPDATE enrollments SET status = 'withdrawn', withdrawn_at = %s, withdraw_reason = %s"
        " WHERE id = %s", (at, reason, enrollment_id),
    )
    outbox.add(conn, "class_enrollment_withdrawn", {
        **_enrollment_event(cls, enrollment, at), "previous_status": enrollment["status"],
        "reason": reason, "withdrawn_by": by})
    promoted = None
    if enrollment["status"] == "confirmed":
        promoted = _promote_first_waiting(conn, outbox, cls, at, withdraw_url)
    return {"id": enrollment_id, "status": "withdrawn", "promoted": promoted}


def change_capacity(conn: psycopg.Connection, outbox: OutboxWriter, class_id: str,
                    capacity: int, withdraw_url: WithdrawUrl = no_link) -> dict[str, Any]:
    """Set the number of seats; new seats go to the children waiting, first come first served.

    A child who has a seat keeps it: the capacity cannot go below the seats taken.
    """
    cls = _lock_class(conn, class_id)
    promoted = _set_capacity(conn, outbox, cls, capacity, withdraw_url)
    return {**class_view(conn, class_id, staff=True), "promoted": promoted}


def update_class(conn: psycopg.Connection, outbox: OutboxWriter, class_id: str,
                 data: dict[str, Any], withdraw_url: WithdrawUrl = no_link) -> dict[str, Any]:
    """Edit what staff may change after creation: title, venue, schedule, level and capacity
    (by `change_capacity`'s rules), all in one transaction or none of it."""
    cls = _lock_class(conn, class_id)
    details = {key: data.get(key) for key in EDITABLE}
    conn.execute(
        """UPDATE classes SET title = coalesce(%(title)s, title),
                  venue = coalesce(%(venue)s, venue), schedule = coalesce(%(schedule)s, schedule),
                  level = coalesce(%(level)s, level)
           WHERE id = %(id)s""", {**details, "id": class_id})
    cls = {**cls, **{key: value for key, value in details.items() if value is not None}}
    promoted: list[str] = []
    if "capacity" in data:
        promoted = _set_capacity(conn, outbox, cls, data["capacity"], withdraw_url)
    return {**class_view(conn, class_id, staff=True), "promoted": promoted}


def _set_capacity(conn: psycopg.Connection, outbox: OutboxWriter, cls: dict[str, Any],
                  capacity: int, withdraw_url: WithdrawUrl) -> list[str]:
    """The capacity change on a locked class; answers the enrolments promoted."""
    class_id = str(cls["id"])
    confirmed = _confirmed_count(conn, class_id)
    if capacity < confirmed:
        have = "1 child has" if confirmed == 1 else f"{confirmed} children have"
        raise Conflict(f"{have} a seat in this class; the capacity cannot go below {confirmed}",
                       {"capacity": confirmed})
    conn.execute("UPDATE classes SET capacity = %s WHERE id = %s", (capacity, class_id))
    cls = {**cls, "capacity": capacity}
    at = _now()
    promoted: list[str] = []
    for _ in range(capacity - confirmed):
        enrollment_id = _promote_first_waiting(conn, outbox, cls, at, withdraw_url)
        if enrollment_id is None:
            break
        promoted.append(enrollment_id)
    return promoted


def cancel_session(conn: psycopg.Connection, outbox: OutboxWriter, class_id: str,
                   session_id: str, data: dict[str, Any], actor: str,
                   now: datetime) -> dict[str, Any]:
    """Call a session off before it begins; every family with a seat is told, in the one
    `class_session_cancelled` event committed with the change. Cancelling again answers the
    same and tells nobody twice; a session held, or already begun, cannot be cancelled."""
    cls = _lock_class(conn, class_id)
    session = conn.execute(
        "SELECT * FROM class_sessions WHERE id = %s AND class_id = %s FOR UPDATE",
        (session_id, class_id),
    ).fetchone()
    if session is None:
        raise NotFound("no such session in this class")
    if session["cancelled_at"] is None:
        if session["held_at"] is not None:
            raise Conflict("the session was held: its attendance is recorded")
        if session["starts_at"] <= now:
            raise Conflict("the session has already begun", {
                "starts_at": session["starts_at"].isoformat()})
        session = conn.execute(
            """UPDATE class_sessions SET cancelled_at = %s, cancel_reason = %s,
                      cancel_note = %s, cancelled_by = %s
               WHERE id = %s RETURNING *""",
            (now, data["reason"], data.get("note"), actor, session_id),
        ).fetchone()
        families = _families(conn, class_id)
        outbox.add(conn, "class_session_cancelled", {
            "session_id": session_id, "class": _class_ref(cls),
            "session_number": session["session_number"],
            "starts_at": session["starts_at"].isoformat(), "reason": data["reason"],
            "families": families, "cancelled_at": now.isoformat()})
    return {**_session_view(session), "class_id": class_id,
            "families_told": _families_count(conn, class_id)}


def _families(conn: psycopg.Connection, class_id: str) -> list[dict[str, Any]]:
    """The guardians of the children with a seat, one entry per guardian (by e-mail, as first
    given) with their children's first names: one message per family, however many children."""
    rows = conn.execute(
        """SELECT (array_agg(guardian_name ORDER BY arrival))[1] AS name,
                  (array_agg(guardian_email ORDER BY arrival))[1] AS email,
                  (array_agg(guardian_locale ORDER BY arrival))[1] AS locale,
                  array_agg(child_first_name ORDER BY arrival) AS children
           FROM enrollments WHERE class_id = %s AND status = 'confirmed'
           GROUP BY lower(guardian_email) ORDER BY min(arrival)""",
        (class_id,),
    ).fetchall()
    return [{"guardian": {"name": r["name"], "email": r["email"], "locale": r["locale"]},
             "children": list(r["children"])} for r in rows]


def _families_count(conn: psycopg.Connection, class_id: str) -> int:
    return conn.execute(
        "SELECT count(DISTINCT lower(guardian_email)) AS n FROM enrollments"
        " WHERE class_id = %s AND status = 'confirmed'", (class_id,),
    ).fetchone()["n"]


def _session_view(session: dict[str, Any]) -> dict[str, Any]:
    cancelled = session["cancelled_at"]
    return {"id": str(session["id"]), "number": session["session_number"],
            "starts_at": session["starts_at"].isoformat(),
            "held": session["held_at"] is not None, "cancelled": cancelled is not None,
            "cancel_reason": session["cancel_reason"]}


def _promote_first_waiting(conn: psycopg.Connection, outbox: OutboxWriter, cls: dict[str, Any],
                           at: datetime, withdraw_url: WithdrawUrl = no_link) -> str | None:
    first = conn.execute(
        """UPDATE enrollments SET status = 'confirmed', confirmed_at = %s, promoted = true
           WHERE id = (SELECT id FROM enrollments WHERE class_id = %s AND status = 'waitlisted'
                       ORDER BY arrival LIMIT 1)
           RETURNING *""",
        (at, cls["id"]),
    ).fetchone()
    if first is None:
        return None
    outbox.add(conn, "class_enrollment_promoted",
               _enrollment_event(cls, first, at, withdraw_url))
    return str(first["id"])


def guardian_view(conn: psycopg.Connection, enrollment_id: str) -> dict[str, Any]:
    """What the holder of the guardian's link may see: no surname, no e-mail, no other child."""
    row = conn.execute(
        "SELECT c.title, e.child_first_name, e.status FROM enrollments e"
        " JOIN classes c ON c.id = e.class_id WHERE e.id = %s", (enrollment_id,),
    ).fetchone()
    if row is None:
        raise NotFound("no such enrollment")
    return {"class_title": row["title"], "child_first_name": row["child_first_name"],
            "status": row["status"]}


def withdraw_by_guardian(conn: psycopg.Connection, outbox: OutboxWriter, enrollment_id: str,
                         withdraw_url: WithdrawUrl = no_link) -> dict[str, Any]:
    """The staff withdrawal, asked for by the guardian's link; doing it again changes nothing."""
    row = conn.execute("SELECT class_id FROM enrollments WHERE id = %s",
                       (enrollment_id,)).fetchone()
    if row is None:
        raise NotFound("no such enrollment")
    return withdraw(conn, outbox, str(row["class_id"]), enrollment_id, GUARDIAN_REASON,
                    withdraw_url, by="guardian")


def roster(conn: psycopg.Connection, class_id: str) -> dict[str, Any]:
    """The class for staff: who has a seat, who waits and in which order."""
    view = class_view(conn, class_id, staff=True)
    rows = conn.execute(
        """SELECT id, child_first_name, child_last_name, child_age, child_grade, languages,
                  guardian_name, guardian_email, guardian_locale, photo_consent, status,
                  created_at, confirmed_at, promoted, arrival
           FROM enrollments WHERE class_id = %s ORDER BY arrival""",
        (class_id,),
    ).fetchall()
    enrollments, position = [], 0
    for row in rows:
        item = {key: row[key] for key in (
            "child_first_name", "child_last_name", "child_age", "child_grade", "guardian_name",
            "guardian_email", "guardian_locale", "photo_consent", "status", "promoted")}
        item.update(id=str(row["id"]), languages=list(row["languages"]),
                    created_at=row["created_at"].isoformat(),
                    confirmed_at=row["confirmed_at"].isoformat() if row["confirmed_at"] else None)
        if row["status"] == "waitlisted":
            position += 1
            item["position"] = position
        enrollments.append(item)
    view["enrollments"] = enrollments
    return view


def record_attendance(conn: psycopg.Connection, outbox: OutboxWriter, class_id: str,
                      session_id: str, present: list[str],
                      now: datetime | None = None) -> dict[str, Any]:
    """Mark the session held with who came; recording again corrects it (a new revision).

    From the session's day on (Tokyo), so the register can be taken at the door: a session on
    a later day has not been held, and counting it would inflate the impact figures.
    """
    now = now or _now()
    cls = _lock_class(conn, class_id)
    session = conn.execute(
        "SELECT * FROM class_sessions WHERE id = %s AND class_id = %s FOR UPDATE",
        (session_id, class_id),
    ).fetchone()
    if session is None:
        raise NotFound("no such session in this class")
    if session["cancelled_at"] is not None:
        raise Conflict("the session was cancelled: there is no attendance to record")
    day, today = tokyo_date(session["starts_at"]), tokyo_date(now)
    if day > today:
        raise Invalid("the session has not been held yet", {"session": [
            f"The session is on {day} (Tokyo); attendance can be recorded from that day."]})
    enrolled = {str(row["id"]) for row in conn.execute(
        "SELECT id FROM enrollments WHERE class_id = %s AND status = 'confirmed'", (class_id,),
    ).fetchall()}
    present_ids = {str(item) for item in present}
    strangers = sorted(present_ids - enrolled)
    if strangers:
        raise Invalid("only children with a seat in this class can attend",
                      {"present": [f"not enrolled in this class: {', '.join(strangers)}"]})
    conn.execute("DELETE FROM attendance WHERE session_id = %s", (session_id,))
    for enrollment_id in sorted(enrolled):
        conn.execute(
            "INSERT INTO attendance (session_id, enrollment_id, present) VALUES (%s, %s, %s)",
            (session_id, enrollment_id, enrollment_id in present_ids),
        )
    held_at = session["held_at"] or now
    revision = session["attendance_revision"] + 1
    conn.execute(
        "UPDATE class_sessions SET held_at = %s, attendance_revision = %s WHERE id = %s",
        (held_at, revision, session_id),
    )
    outbox.add(conn, "class_session_held", {
        "session_id": session_id, "class": _class_ref(cls),
        "session_number": session["session_number"], "held_at": held_at.isoformat(),
        "attended": len(present_ids), "enrolled": len(enrolled), "revision": revision,
    })
    return {"session_id": session_id, "class_id": class_id, "held_at": held_at.isoformat(),
            "attended": len(present_ids), "enrolled": len(enrolled), "revision": revision}
