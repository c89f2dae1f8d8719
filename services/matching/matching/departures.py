"""Turning applicants away and people leaving: plain functions over a psycopg connection.

    applied ──▶ approved
       │  └─────────┐ │
       ▼            ▼ ▼
    rejected     withdrawn

Rejected (screening said no) and withdrawn (moved away, asked to leave, ...) are final: every
readiness query asks for approved people, so neither is matched again; someone who comes back
applies again. Leaving releases what the person was in: their proposals and open offers are
cancelled and the other side is back in the pool. What is under way is not ended silently: a
running pairing is closed early by staff first (with its own reason and event), an assigned
spot request completed or cancelled first.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg
from servicekit import domain
from servicekit.events.outbox import OutboxWriter

from matching import participants
from matching.pairings import RUN_LOCK_KEY
from matching.participants import iso, person

OPEN_STATES = ("proposed", "offered")
RUNNING_STATES = ("active", "inactive")


def reject(conn: psycopg.Connection, outbox: OutboxWriter, participant_id: str, data: dict,
           now: datetime) -> dict[str, Any]:
    """Screening turned the applicant away. Only an applicant can be; twice changes nothing
    and says so once."""
    row, held = _lock(conn, participant_id)
    if row["status"] == "rejected":
        return view(row, [])
    if row["status"] != "applied":
        hint = "; withdraw them instead" if row["status"] == "approved" else ""
        raise domain.Conflict(f"the participant is {row['status']}{hint}",
                              {"status": row["status"]})
    cancelled = _release(conn, row, held, "rejected", now)
    row = conn.execute(
        """UPDATE participants SET status = 'rejected', rejected_at = %s, status_reason = %s,
                  status_note = %s WHERE id = %s RETURNING *""",
        (now, data["reason"], data.get("note"), participant_id)).fetchone()
    outbox.add(conn, "participant_rejected", {
        **person(row), "role": row["role"], "reason": data["reason"], "rejected_at": iso(now),
    })
    return view(row, cancelled)


def withdraw(conn: psycopg.Connection, outbox: OutboxWriter, participant_id: str, data: dict,
             now: datetime) -> dict[str, Any]:
    """The participant leaves, applied or approved. Withdrawing twice changes nothing and says
    so once. The event names the other side of each offer cancelled, who was waiting on it."""
    row, held = _lock(conn, participant_id)
    if row["status"] == "withdrawn":
        return view(row, [])
    if row["status"] not in ("applied", "approved"):
        raise domain.Conflict(f"the participant is {row['status']}", {"status": row["status"]})
    cancelled = _release(conn, row, held, "withdrawn", now)
    offers = _offers(conn, str(row["id"]), held)
    previous = row["status"]
    row = conn.execute(
        """UPDATE participants SET status = 'withdrawn', withdrawn_at = %s, status_reason = %s,
                  status_note = %s WHERE id = %s RETURNING *""",
        (now, data["reason"], data.get("note"), participant_id)).fetchone()
    outbox.add(conn, "participant_withdrawn", {
        **person(row), "role": row["role"], "reason": data["reason"],
        "previous_status": previous, "cancelled_pairings": cancelled,
        "cancelled_offers": offers, "withdrawn_at": iso(now),
    })
    return view(row, cancelled)


def view(row: dict[str, Any], cancelled: list[str]) -> dict[str, Any]:
    """The participant's status after the call, and the pairings this call cancelled."""
    return {"id": str(row["id"]), "role": row["role"], "status": row["status"],
            "status_reason": row["status_reason"], "status_note": row["status_note"],
            "rejected_at": iso(row["rejected_at"]), "withdrawn_at": iso(row["withdrawn_at"]),
            "cancelled_pairings": cancelled}


def _lock(conn: psycopg.Connection, participant_id: str
          ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The participant and the pairings they are in that are not over, all locked.

    The run lock comes first, as in a batch run: a run under way finishes (and its proposals
    are cancelled here), a later run no longer finds the person ready. Then pairings, then the
    person: the order a pairing's approval takes them in, so the two never deadlock.
    """
    participants.get(conn, participant_id)  # no such person: 404 before any lock
    conn.execute("SELECT pg_advisory_xact_lock(%s)", (RUN_LOCK_KEY,))
    held = conn.execute(
        """SELECT id, state FROM pairings
           WHERE (resident_id = %s OR partner_id = %s) AND state = ANY(%s)
           ORDER BY id FOR UPDATE""",
        (participant_id, participant_id, [*OPEN_STATES, *RUNNING_STATES])).fetchall()
    return participants.get(conn, participant_id, lock=True), held


def _offers(conn: psycopg.Connection, participant_id: str, held: list[dict[str, Any]]
            ) -> list[dict[str, Any]]:
    """The other side of each offer among `held` (the states read before release), as the
    event carries them.

    Only offers: the other side was written to about those and is waiting for an answer,
    while a proposal was never shown to anyone.
    """
    offered = [str(h["id"]) for h in held if h["state"] == "offered"]
    if not offered:
        return []
    others = conn.execute(
        """SELECT pairings.id AS pairing_id, other.*
           FROM pairings JOIN participants other
             ON other.id = CASE WHEN pairings.resident_id = %s::uuid THEN pairings.partner_id
                                ELSE pairings.resident_id END
           WHERE pairings.id = ANY(%s::uuid[]) ORDER BY pairings.id""",
        (participant_id, offered)).fetchall()
    return [{"pairing_id": str(o["pairing_id"]), "other": person(o)} for o in others]


def _release(conn: psycopg.Connection, row: dict[str, Any], held: list[dict[str, Any]],
             status: str, now: datetime) -> list[str]:
    """Cancel the person's proposals and open offers, or refuse (409) while something they are
    in is under way. Returns the ids of the pairings cancelled."""
    running = [h for h in held if h["state"] in RUNNING_STATES]
    if running:
        first = running[0]
        raise domain.Conflict(
            f"pairing {first['id']} is {first['state']}: close it early first",
            {"pairings": [str(h["id"]) for h in running]})
    assigned = conn.execute(
        """SELECT id FROM spot_requests WHERE volunteer_id = %s AND status = 'assigned'
           ORDER BY starts_at""", (row["id"],)).fetchall()
    if assigned:
        raise domain.Conflict(
            f"spot request {assigned[0]['id']} is assigned to this volunteer: complete or "
            "cancel it first", {"spot_requests": [str(a["id"]) for a in assigned]})
    cancelled = [str(h["id"]) for h in held]
    if cancelled:
        # The reason names the side, for whoever reads the pairing later.
        conn.execute(
            """UPDATE pairings SET state = 'cancelled', close_reason = %s, finished_at = %s,
                      updated_at = %s WHERE id = ANY(%s::uuid[])""",
            (f"{row['role']}_{status}", now, now, cancelled))
    return cancelled
