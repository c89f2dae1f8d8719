"""Daily Life Consultation cases: intake, assignment to an expert, states, follow-ups, notes.

States: intake → assigned → in_progress → resolved | referred | closed. A case may also be
closed before work starts (a duplicate, a resident who cannot be reached), and reassigned
while it is open. Case notes are confidential; who may read them is decided by the caller
(`service.py`), never here, so that no code path returns them by accident: nothing in this
module but `add_note` and `notes` touches the table.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import psycopg
from contracts.programs import CONSULTATION_TRANSITIONS as TRANSITIONS
from servicekit.domain import Conflict, NotFound
from servicekit.events.outbox import OutboxWriter

ENDED = ("resolved", "referred", "closed")


def _now() -> datetime:
    return datetime.now(UTC)


def add_expert(conn: psycopg.Connection, data: dict[str, Any]) -> dict[str, Any]:
    expert_id = str(uuid.uuid4())
    conn.execute(
        """INSERT INTO experts (id, name, email, locale, profession, specialties, languages)
           VALUES (%s, %s, %s, %s, %s, %s, %s)""",
        (expert_id, data["name"], data["email"], data["locale"], data["profession"],
         data["specialties"], data["languages"]),
    )
    return {"id": expert_id, **data, "active": True}


def experts(conn: psycopg.Connection) -> list[dict[str, Any]]:
    rows = conn.execute(
        """SELECT e.*, (SELECT count(*) FROM consultations c WHERE c.expert_id = e.id
                        AND c.status IN ('assigned', 'in_progress')) AS open_cases
           FROM experts e ORDER BY e.name""",
    ).fetchall()
    return [_expert_view(row) | {"open_cases": row["open_cases"]} for row in rows]


def _expert_view(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": str(row["id"]), "name": row["name"], "email": row["email"],
            "locale": row["locale"], "profession": row["profession"],
            "specialties": list(row["specialties"]), "languages": list(row["languages"]),
            "active": row["active"]}


def _event(case: dict[str, Any], at: datetime) -> dict[str, Any]:
    return {
        "consultation_id": str(case["id"]), "topic": case["topic"],
        "language": case["language"], "urgency": case["urgency"],
        "resident": {"name": case["resident_name"], "email": case["resident_email"],
                     "locale": case["resident_locale"]},
        "occurred_at": at.isoformat(),
    }


def _expert_ref(expert: dict[str, Any]) -> dict[str, Any]:
    return {"expert_id": str(expert["id"]), "name": expert["name"], "email": expert["email"],
            "locale": expert["locale"]}


def _history(conn: psycopg.Connection, case_id: str, from_status: str | None, to_status: str,
             actor: str, note: str | None = None, at: datetime | None = None) -> None:
    conn.execute(
        "INSERT INTO consultation_history (consultation_id, from_status, to_status, actor, note,"
        " at) VALUES (%s, %s, %s, %s, %s, %s)",
        (case_id, from_status, to_status, actor, note, at or _now()),
    )


def open_case(conn: psycopg.Connection, outbox: OutboxWriter,
              data: dict[str, Any]) -> dict[str, Any]:
    at = _now()
    case = conn.execute(
        """INSERT INTO consultations (id, topic, language, urgency, summary, resident_name,
                                      resident_email, resident_locale, opened_at, updated_at)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING *""",
        (str(uuid.uuid4()), data["topic"], data["language"], data["urgency"], data["summary"],
         data["name"], data["email"], data["locale"], at, at),
    ).fetchone()
    _history(conn, str(case["id"]), None, "intake", "resident", at=at)
    outbox.add(conn, "consultation_opened", _event(case, at))
    return {"id": str(case["id"]), "status": "intake"}


def _lock(conn: psycopg.Connection, case_id: str) -> dict[str, Any]:
    case = conn.execute("SELECT * FROM consultations WHERE id = %s FOR UPDATE",
                        (case_id,)).fetchone()
    if case is None:
        raise NotFound("no such consultation")
    return case


def _refuse_unless(case: dict[str, Any], to_status: str) -> None:
    if to_status not in TRANSITIONS[case["status"]]:
        raise Conflict(f"a consultation cannot go from {case['status']} to {to_status}")


def best_expert(conn: psycopg.Connection, topic: str, language: str) -> dict[str, Any] | None:
    """An active expert in the topic who speaks the language, with the fewest open cases.

    Ties go to the expert who has waited longest for a new case, then by name, so that
    the same expert is not picked every time.
    """
    return conn.execute(
        """SELECT e.*,
                  (SELECT count(*) FROM consultations c WHERE c.expert_id = e.id
                    AND c.status IN ('assigned', 'in_progress')) AS open_cases,
                  (SELECT max(h.at) FROM consultation_history h
                     JOIN consultations c ON c.id = h.consultation_id
                    WHERE c.expert_id = e.id AND h.to_status = 'assigned') AS last_assigned
           FROM experts e
           WHERE e.active AND %s = ANY (e.specialties) AND %s = ANY (e.languages)
           ORDER BY open_cases, last_assigned NULLS FIRST, e.name
           LIMIT 1""",
        (topic, language),
    ).fetchone()


def assign(conn: psycopg.Connection, outbox: OutboxWriter, case_id: str,
           expert_id: str | None, actor: str) -> dict[str, Any]:
    case = _lock(conn, case_id)
    _refuse_unless(case, "assigned")
    if expert_id is None:
        expert = best_expert(conn, case["topic"], case["language"])
        if expert is None:
            raise Conflict(f"no active expert covers {case['topic']} in {case['language']}")
    else:
        expert = conn.execute("SELECT * FROM experts WHERE id = %s",
                              (str(expert_id),)).fetchone()
        if expert is None or not expert["active"]:
            raise NotFound("no such active expert")
        # Staff may choose the expert, but not one who cannot take the case.
        if case["topic"] not in expert["specialties"]:
            raise Conflict(f"this expert does not cover {case['topic']}")
        if case["language"] not in expert["languages"]:
            raise Conflict(f"this expert does not speak {case['language']}")
    at = _now()
    conn.execute(
        "UPDATE consultations SET status = 'assigned', expert_id = %s, updated_at = %s"
        " WHERE id = %s", (expert["id"], at, case_id),
    )
    _history(conn, case_id, case["status"], "assigned", actor,
             note=f"expert {expert['id']}", at=at)
    outbox.add(conn, "consultation_assigned", {**_event(case, at), "expert": _expert_ref(expert)})
    return view(conn, case_id)


def change_status(conn: psycopg.Connection, outbox: OutboxWriter, case_id: str, to_status: str,
                  note: str | None, actor: str) -> dict[str, Any]:
    case = _lock(conn, case_id)
    if case["status"] == to_status:
        return view(conn, case_id)  # a repeated request: already done
    _refuse_unless(case, to_status)
    at = _now()
    conn.execute(
        "UPDATE consultations SET status = %s, updated_at = %s, ended_at = %s WHERE id = %s",
        (to_status, at, at if to_status in ENDED else None, case_id),
    )
    _history(conn, case_id, case["status"], to_status, actor, note=note, at=at)
    expert = (conn.execute("SELECT * FROM experts WHERE id = %s", (case["expert_id"],))
              .fetchone() if case["expert_id"] else None)
    if to_status == "in_progress":
        outbox.add(conn, "consultation_started",
                   {**_event(case, at), "expert": _expert_ref(expert)})
    elif to_status in ENDED:
        outbox.add(conn, "consultation_resolved", {
            **_event(case, at), "outcome": to_status,
            "opened_at": case["opened_at"].isoformat()})
    return view(conn, case_id)


def view(conn: psycopg.Connection, case_id: str) -> dict[str, Any]:
    """A case for staff, with its history and follow-ups but never its case notes."""
    case = conn.execute("SELECT * FROM consultations WHERE id = %s", (case_id,)).fetchone()
    if case is None:
        raise NotFound("no such consultation")
    expert = (conn.execute("SELECT * FROM experts WHERE id = %s", (case["expert_id"],))
              .fetchone() if case["expert_id"] else None)
    history = conn.execute(
        "SELECT from_status, to_status, actor, note, at FROM consultation_history"
        " WHERE consultation_id = %s ORDER BY id", (case_id,),
    ).fetchall()
    return {
        "id": str(case["id"]), "topic": case["topic"], "language": case["language"],
        "urgency": case["urgency"], "summary": case["summary"], "status": case["status"],
        # Where staff may move it by a status change (an assignment is its own step).
        "next_statuses": sorted(TRANSITIONS[case["status"]] - {"assigned"}),
        "resident": {"name": case["resident_name"], "email": case["resident_email"],
                     "locale": case["resident_locale"]},
        "expert": _expert_view(expert) if expert else None,
        "opened_at": case["opened_at"].isoformat(),
        "ended_at": case["ended_at"].isoformat() if case["ended_at"] else None,
        "history": [{**row, "at": row["at"].isoformat()} for row in history],
        "follow_ups": follow_ups(conn, case_id),
    }


def add_follow_up(conn: psycopg.Connection, case_id: str, due_on: date, what: str,
                  actor: str) -> dict[str, Any]:
    case = _lock(conn, case_id)
    if case["status"] in ENDED:
        raise Conflict("the consultation has ended")
    follow_up_id = str(uuid.uuid4())
    conn.execute(
        "INSERT INTO follow_ups (id, consultation_id, due_on, what, created_by)"
        " VALUES (%s, %s, %s, %s, %s)", (follow_up_id, case_id, due_on, what, actor),
    )
    return {"id": follow_up_id, "consultation_id": case_id, "due_on": due_on.isoformat(),
            "what": what, "done": False}


def complete_follow_up(conn: psycopg.Connection, case_id: str,
                       follow_up_id: str) -> dict[str, Any]:
    row = conn.execute(
        "UPDATE follow_ups SET done_at = coalesce(done_at, now())"
        " WHERE id = %s AND consultation_id = %s RETURNING id",
        (follow_up_id, case_id),
    ).fetchone()
    if row is None:
        raise NotFound("no such follow-up for this consultation")
    return next(f for f in follow_ups(conn, case_id) if f["id"] == follow_up_id)


def follow_ups(conn: psycopg.Connection, case_id: str) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT id, due_on, what, done_at FROM follow_ups WHERE consultation_id = %s"
        " ORDER BY due_on, created_at", (case_id,),
    ).fetchall()
    return [{"id": str(r["id"]), "consultation_id": case_id, "due_on": r["due_on"].isoformat(),
             "what": r["what"], "done": r["done_at"] is not None} for r in rows]


def due_follow_ups(conn: psycopg.Connection, until: date) -> list[dict[str, Any]]:
    """Open follow-ups due on or before `until`, of cases still open, soonest first."""
    rows = conn.execute(
        """SELECT f.id, f.consultation_id, f.due_on, f.what FROM follow_ups f
           JOIN consultations c ON c.id = f.consultation_id
           WHERE f.done_at IS NULL AND f.due_on <= %s
             AND c.status NOT IN ('resolved', 'referred', 'closed')
           ORDER BY f.due_on""", (until,),
    ).fetchall()
    return [{"id": str(r["id"]), "consultation_id": str(r["consultation_id"]),
             "due_on": r["due_on"].isoformat(), "what": r["what"], "done": False}
            for r in rows]


def add_note(conn: psycopg.Connection, case_id: str, body: str, author: str) -> dict[str, Any]:
    _lock(conn, case_id)
    note_id = str(uuid.uuid4())
    row = conn.execute(
        "INSERT INTO case_notes (id, consultation_id, author, body) VALUES (%s, %s, %s, %s)"
        " RETURNING created_at", (note_id, case_id, author, body),
    ).fetchone()
    return {"id": note_id, "consultation_id": case_id, "author": author, "body": body,
            "created_at": row["created_at"].isoformat()}


def notes(conn: psycopg.Connection, case_id: str) -> list[dict[str, Any]]:
    if conn.execute("SELECT 1 FROM consultations WHERE id = %s", (case_id,)).fetchone() is None:
        raise NotFound("no such consultation")
    rows = conn.execute(
        "SELECT id, author, body, created_at FROM case_notes WHERE consultation_id = %s"
        " ORDER BY created_at, id", (case_id,),
    ).fetchall()
    return [{"id": str(r["id"]), "consultation_id": case_id, "author": r["author"],
             "body": r["body"], "created_at": r["created_at"].isoformat()} for r in rows]
