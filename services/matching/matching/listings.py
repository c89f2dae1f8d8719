"""What staff see: lists of participants to screen, pairings and spot requests, and one
participant in full. Read only.

Every list is newest first in keyset pages (`paging`). These rows hold personal data (names,
e-mail addresses, children's ages) for staff eyes: return them, never log them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg
from servicekit import paging
from servicekit.tokyo import tokyo_day_bounds

from matching.participants import get as participant_row
from matching.participants import iso
from matching.profiles import LEVELS
from matching.spot import LOAD_WINDOW

LEVEL_NAMES = {number: name for name, number in LEVELS.items()}
# One participant's pairings and spot requests shown with them, newest first; the lists
# (`pairings` by participant_id) page through more.
SHOWN_WITH_PARTICIPANT = 100


def _ref(row: dict[str, Any], side: str) -> dict[str, str] | None:
    if row[f"{side}_id"] is None:
        return None
    return {"id": str(row[f"{side}_id"]), "name": row[f"{side}_name"]}


def languages_of(levels: dict[str, int]) -> list[dict[str, str]]:
    """As applicants wrote them: [{code, level}], strongest first."""
    ordered = sorted(levels.items(), key=lambda item: (-item[1], item[0]))
    return [{"code": code, "level": LEVEL_NAMES[level]} for code, level in ordered]


def participants(conn: psycopg.Connection, query: dict[str, Any]) -> dict[str, Any]:
    """Applicants and participants for screening, newest application first."""
    where: list[str] = []
    params: list[Any] = []
    for key in ("role", "status", "area"):
        if query.get(key) is not None:
            where.append(f"p.{key} = %s")
            params.append(query[key])
    if query.get("language") is not None:
        where.append("p.profile->'languages' ? %s")  # spoken at any level
        params.append(query["language"])
    rows, cursor = paging.fetch(
        conn,
        """p.id, p.role, p.status, p.name, p.email, p.locale, p.area,
           p.profile->'languages' AS languages, p.cleared, p.capacity, p.applied_at,
           p.approved_at, p.rejected_at, p.withdrawn_at, p.status_reason, p.status_note""",
        "participants p", "p.applied_at", "p.id", where, params, query["limit"],
        query.get("after"))
    return {"participants": [{
        "id": str(r["id"]), "role": r["role"], "status": r["status"], "name": r["name"],
        "email": r["email"], "locale": r["locale"], "area": r["area"],
        "languages": languages_of(r["languages"]), "cleared": r["cleared"],
        "capacity": r["capacity"], "applied_at": iso(r["applied_at"]),
        "approved_at": iso(r["approved_at"]), "rejected_at": iso(r["rejected_at"]),
        "withdrawn_at": iso(r["withdrawn_at"]), "status_reason": r["status_reason"],
        "status_note": r["status_note"],
    } for r in rows], "next": cursor}


def pairings(conn: psycopg.Connection, query: dict[str, Any]) -> dict[str, Any]:
    """Pairings with both sides' names, newest proposal first. Without a `state` filter the
    proposals later runs superseded are left out: each run replaces all of them, so they would
    bury the rest (they stay visible in their run, and with state=superseded)."""
    where: list[str] = []
    params: list[Any] = []
    if query.get("state") is not None:
        where.append("p.state = %s")
        params.append(query["state"])
    else:
        where.append("p.state <> 'superseded'")
    if query.get("participant_id") is not None:
        where.append("(p.resident_id = %s OR p.partner_id = %s)")
        params.extend([query["participant_id"]] * 2)
    rows, cursor = paging.fetch(
        conn,
        """p.id, p.state, p.score, p.run_id, p.proposed_at, p.offered_at, p.offer_expires_at,
           p.started_at, p.ends_at, p.finished_at, p.last_contact_at, p.close_reason,
           r.id AS resident_id, r.name AS resident_name,
           s.id AS partner_id, s.name AS partner_name,
           (SELECT max(c.logged_at) FROM checkins c WHERE c.pairing_id = p.id)
               AS last_checkin_at""",
        """pairings p JOIN participants r ON r.id = p.resident_id
                      JOIN participants s ON s.id = p.partner_id""",
        "p.proposed_at", "p.id", where, params, query["limit"], query.get("after"))
    return {"pairings": [{
        "id": str(r["id"]), "state": r["state"], "score": r["score"],
        "run_id": str(r["run_id"]) if r["run_id"] else None,
        "resident": _ref(r, "resident"), "partner": _ref(r, "partner"),
        "proposed_at": iso(r["proposed_at"]), "offered_at": iso(r["offered_at"]),
        "offer_expires_at": iso(r["offer_expires_at"]), "started_at": iso(r["started_at"]),
        "ends_at": iso(r["ends_at"]), "finished_at": iso(r["finished_at"]),
        "last_checkin_at": iso(r["last_checkin_at"]),
        "last_contact_at": iso(r["last_contact_at"]), "close_reason": r["close_reason"],
    } for r in rows], "next": cursor}


def spot_requests(conn: psycopg.Connection, query: dict[str, Any]) -> dict[str, Any]:
    """Spot requests, newest first; `from`/`to` select by the Tokyo day they take place on."""
    where: list[str] = []
    params: list[Any] = []
    for key in ("status", "kind"):
        if query.get(key) is not None:
            where.append(f"s.{key} = %s")
            params.append(query[key])
    first, last = query.get("from_"), query.get("to")
    if first is not None or last is not None:
        # Open-ended on one side: the bound given is still a whole Tokyo day.
        start, end = tokyo_day_bounds(first or last, last or first)
        if first is not None:
            where.append("s.starts_at >= %s")
            params.append(start)
        if last is not None:
            where.append("s.starts_at < %s")
            params.append(end)
    rows, cursor = paging.fetch(
        conn,
        """s.id, s.status, s.kind, s.starts_at, s.area, s.languages, s.name AS requester_name,
           s.created_at, s.assigned_at, s.finished_at, s.hours,
           v.id AS volunteer_id, v.name AS volunteer_name""",
        "spot_requests s LEFT JOIN participants v ON v.id = s.volunteer_id",
        "s.created_at", "s.id", where, params, query["limit"], query.get("after"))
    return {"spot_requests": [{
        "id": str(r["id"]), "status": r["status"], "kind": r["kind"],
        "starts_at": iso(r["starts_at"]), "area": r["area"], "languages": list(r["languages"]),
        "requester_name": r["requester_name"], "volunteer": _ref(r, "volunteer"),
        "created_at": iso(r["created_at"]), "assigned_at": iso(r["assigned_at"]),
        "finished_at": iso(r["finished_at"]),
        "hours": float(r["hours"]) if r["hours"] is not None else None,
    } for r in rows], "next": cursor}


def participant(conn: psycopg.Connection, participant_id: str, now: datetime
                ) -> dict[str, Any]:
    """One participant as screening and matching see them: the whole profile, their pairings
    (the other side named; proposals a later run superseded left out, as in `pairings`) and,
    for a volunteer, their spot requests and the hours they logged in the last 30 days.

    Role-bound fields are null where they mean nothing: `cleared` and `capacity` for a
    resident, the spot requests and hours for anyone but a volunteer.
    """
    row = participant_row(conn, participant_id)
    profile = row["profile"]
    helps = row["role"] != "resident"
    volunteer = row["role"] == "volunteer"
    return {
        "id": str(row["id"]), "role": row["role"], "status": row["status"],
        "status_reason": row["status_reason"], "status_note": row["status_note"],
        "name": row["name"], "email": row["email"], "locale": row["locale"],
        "gender": profile.get("gender"), "area": row["area"],
        "coordinates": {"lat": profile["lat"], "lon": profile["lon"]},
        "languages": languages_of(profile["languages"]),
        "household_size": profile["household_size"],
        "children_ages": profile["children_ages"],
        "experience_ages": profile["experience_ages"], "interests": profile["interests"],
        "slots": profile["slots"], "preferences": profile["preferences"],
        "cleared": row["cleared"] if helps else None,
        "capacity": row["capacity"] if helps else None,
        "waiting_runs": row["waiting_runs"],
        "applied_at": iso(row["applied_at"]), "approved_at": iso(row["approved_at"]),
        "rejected_at": iso(row["rejected_at"]), "withdrawn_at": iso(row["withdrawn_at"]),
        "pairings": _pairings_of(conn, row["id"]),
        "spot_requests": _spot_requests_of(conn, row["id"]) if volunteer else None,
        "hours_last_30_days": _hours_since(conn, row["id"], now - LOAD_WINDOW)
        if volunteer else None,
    }


def _pairings_of(conn: psycopg.Connection, participant_id: Any) -> list[dict[str, Any]]:
    rows = conn.execute(
        """SELECT p.id, p.state, p.proposed_at, p.offered_at, p.started_at, p.ends_at,
                  p.finished_at, p.close_reason, o.id AS other_id, o.name AS other_name
           FROM pairings p
           JOIN participants o ON o.id = CASE WHEN p.resident_id = %(id)s THEN p.partner_id
                                              ELSE p.resident_id END
           WHERE (p.resident_id = %(id)s OR p.partner_id = %(id)s)
             AND p.state <> 'superseded'
           ORDER BY p.proposed_at DESC, p.id DESC LIMIT %(limit)s""",
        {"id": participant_id, "limit": SHOWN_WITH_PARTICIPANT}).fetchall()
    return [{
        "id": str(r["id"]), "state": r["state"], "other": _ref(r, "other"),
        "proposed_at": iso(r["proposed_at"]), "offered_at": iso(r["offered_at"]),
        "started_at": iso(r["started_at"]), "ends_at": iso(r["ends_at"]),
        "finished_at": iso(r["finished_at"]), "close_reason": r["close_reason"],
    } for r in rows]


def _spot_requests_of(conn: psycopg.Connection, volunteer_id: Any) -> list[dict[str, Any]]:
    """The requests the volunteer is or was assigned to (one reassigned to someone else is
    theirs no longer), latest first."""
    rows = conn.execute(
        """SELECT id, kind, starts_at, status, hours FROM spot_requests
           WHERE volunteer_id = %s ORDER BY starts_at DESC, id DESC LIMIT %s""",
        (volunteer_id, SHOWN_WITH_PARTICIPANT)).fetchall()
    return [{"id": str(r["id"]), "kind": r["kind"], "starts_at": iso(r["starts_at"]),
             "status": r["status"],
             "hours": float(r["hours"]) if r["hours"] is not None else None} for r in rows]


def _hours_since(conn: psycopg.Connection, volunteer_id: Any, since: datetime) -> float:
    """Hours of the requests the volunteer completed since then (by when they were logged)."""
    row = conn.execute(
        """SELECT COALESCE(sum(hours), 0) AS hours FROM spot_requests
           WHERE volunteer_id = %s AND status = 'completed' AND finished_at > %s""",
        (volunteer_id, since)).fetchone()
    return float(row["hours"])
