"""Applications and screening: plain functions over a psycopg connection."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb
from servicekit import domain
from servicekit.events.outbox import OutboxWriter

from matching.profiles import Profile

# A pairing in one of these states holds its resident and a place of its partner's capacity.
HOLDING_STATES = ("offered", "active", "inactive")
# A pair that reached one of these states is never proposed again.
BLOCKING_STATES = ("declined", "active", "inactive", "completed", "closed_early")


def iso(moment: datetime | None) -> str | None:
    # In UTC whatever the database session's time zone: JSON times are UTC.
    return moment.astimezone(UTC).isoformat() if moment is not None else None


def person(row: dict[str, Any]) -> dict[str, str]:
    """A participant as the events carry them: enough to write to them in their language."""
    return {"participant_id": str(row["id"]), "name": row["name"], "email": row["email"],
            "locale": row["locale"]}


# Said to whoever applies again with an address already in a live application: no name, no
# status and no date, only what the applicant (who may have forgotten) needs to do next.
ALREADY_APPLIED = ("An application with this e-mail address is already with us. If you want "
                   "to change something in it, please write to info@j-ii.org.")


def _refuse_second_application(conn: psycopg.Connection, role: str, email: str) -> None:
    """One live application (applied or approved) per e-mail address and role; someone who
    was turned away or withdrew may apply again. The advisory lock makes two applications
    sent together wait for each other, so the second sees the first."""
    conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                 (f"application:{role}:{email.lower()}",))
    if conn.execute(
            "SELECT 1 FROM participants WHERE role = %s AND lower(email) = lower(%s)"
            " AND status IN ('applied', 'approved')", (role, email)).fetchone():
        raise domain.Conflict(ALREADY_APPLIED)


def apply(conn: psycopg.Connection, outbox: OutboxWriter, role: str, data: dict,
          now: datetime) -> str:
    _refuse_second_application(conn, role, data["email"])
    participant_id = str(uuid.uuid4())
    profile = {
        "languages": data["languages"], "lat": data["coordinates"]["lat"],
        "lon": data["coordinates"]["lon"], "gender": data.get("gender"),
        "household_size": data["household_size"], "children_ages": data["children_ages"],
        "experience_ages": data["experience_ages"], "interests": data["interests"],
        "slots": data["slots"], "preferences": data["preferences"],
    }
    conn.execute(
        """INSERT INTO participants (id, role, name, email, locale, area, profile, capacity,
                                     applied_at)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)""",
        (participant_id, role, data["name"], data["email"], data["locale"], data["area"],
         Jsonb(profile), data["capacity"] if role == "partner" else 1, now),
    )
    outbox.add(conn, "participant_applied", {
        "participant_id": participant_id, "name": data["name"], "email": data["email"],
        "locale": data["locale"], "role": role, "area": data["area"], "applied_at": iso(now),
    })
    return participant_id


def get(conn: psycopg.Connection, participant_id: str, lock: bool = False) -> dict[str, Any]:
    try:
        uuid.UUID(str(participant_id))
    except ValueError:
        raise domain.NotFound("no such participant") from None
    row = conn.execute(
        "SELECT * FROM participants WHERE id = %s" + (" FOR UPDATE" if lock else ""),
        (participant_id,),
    ).fetchone()
    if row is None:
        raise domain.NotFound("no such participant")
    return row


def approve(conn: psycopg.Connection, outbox: OutboxWriter, participant_id: str,
            now: datetime, capacity: int | None = None) -> dict[str, Any]:
    """Screening passed. Partners and volunteers are cleared by it: only then can they be
    matched. Approving twice changes nothing and says so once."""
    row = get(conn, participant_id, lock=True)
    if row["status"] == "approved":
        return {"id": str(row["id"]), "status": "approved", "cleared": row["cleared"]}
    if row["status"] != "applied":
        # rejected and withdrawn are final: someone coming back applies again
        raise domain.Conflict(f"the participant is {row['status']}",
                              {"status": row["status"]})
    cleared = row["role"] in ("partner", "volunteer")
    conn.execute(
        """UPDATE participants SET status = 'approved', cleared = %s, approved_at = %s,
                  capacity = COALESCE(%s, capacity) WHERE id = %s""",
        (cleared, now, capacity, participant_id),
    )
    outbox.add(conn, "participant_approved", {
        **person(row), "role": row["role"], "cleared": cleared, "approved_at": iso(now),
    })
    return {"id": str(row["id"]), "status": "approved", "cleared": cleared}


def profile_of(row: dict[str, Any], now: datetime, capacity: int | None = None) -> Profile:
    p = row["profile"]
    waited = (now - row["approved_at"]).total_seconds() / 86400 if row["approved_at"] else 0.0
    return Profile(
        id=str(row["id"]), role=row["role"], area=row["area"], lat=p["lat"], lon=p["lon"],
        languages=p["languages"], gender=p.get("gender"), household_size=p["household_size"],
        children_ages=p["children_ages"], experience_ages=p["experience_ages"],
        interests=p["interests"], slots=p["slots"], preferences=p["preferences"],
        cleared=row["cleared"], capacity=row["capacity"] if capacity is None else capacity,
        waiting_runs=row["waiting_runs"], waiting_days=max(0.0, waited),
    )


def ready_residents(conn: psycopg.Connection) -> list[dict[str, Any]]:
    """Approved residents not held by an offer or a running pairing."""
    return conn.execute(
        """SELECT * FROM participants r
           WHERE r.role = 'resident' AND r.status = 'approved'
             AND NOT EXISTS (SELECT 1 FROM pairings p WHERE p.resident_id = r.id
                             AND p.state = ANY(%s))
           ORDER BY r.approved_at, r.id""",
        (list(HOLDING_STATES),),
    ).fetchall()


def ready_partners(conn: psycopg.Connection) -> list[dict[str, Any]]:
    """Cleared partners with room left, and how much."""
    return conn.execute(
        """SELECT * FROM (
             SELECT r.*, r.capacity - (SELECT count(*) FROM pairings p
                                       WHERE p.partner_id = r.id AND p.state = ANY(%s))
                     AS remaining
             FROM participants r
             WHERE r.role = 'partner' AND r.status = 'approved' AND r.cleared) ready
           WHERE remaining > 0
           ORDER BY approved_at, id""",
        (list(HOLDING_STATES),),
    ).fetchall()


def blocked_pairs(conn: psycopg.Connection) -> list[tuple[str, str]]:
    rows = conn.execute(
        "SELECT DISTINCT resident_id, partner_id FROM pairings WHERE state = ANY(%s)",
        (list(BLOCKING_STATES),),
    ).fetchall()
    return [(str(r["resident_id"]), str(r["partner_id"])) for r in rows]
