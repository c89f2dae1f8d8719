"""Family Friend pairings over their life: proposed by a batch run, approved by staff, offered
to both sides, active for six months, then completed or closed early.

    proposed ─▶ offered ─▶ active ⇄ inactive ─▶ completed
       │           ├─▶ declined (the pair is never proposed again)
       │           └─▶ expired (both return to the pool)
       └─▶ superseded by the next run        active | inactive ─▶ closed_early

A proposal or an offer is cancelled when one side is rejected or withdraws (`departures`).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

import psycopg
from psycopg.types.json import Jsonb
from servicekit import domain
from servicekit.events.outbox import OutboxWriter
from servicekit.tokyo import tokyo_date

from matching import links, participants
from matching.batch import propose
from matching.clock import add_months
from matching.participants import iso, person
from matching.scoring import Settings

PAIRING_MONTHS = 6
INACTIVE_AFTER = timedelta(days=45)
ENDING_SOON_BEFORE = timedelta(days=14)
OFFER_LIFETIME = timedelta(days=links.OFFER_DAYS)
# What a side's consent at acceptance lets the other side have (matching holds no phone).
SHARED_ON_CONSENT = ("name", "email")
# Serialises batch runs: two staff members starting one at once must not both propose.
RUN_LOCK_KEY = 0x4A49494D  # "JIIM"


def run_batch(conn: psycopg.Connection, outbox: OutboxWriter, settings: Settings,
              now: datetime, requested_by: str | None = None) -> dict[str, Any]:
    conn.execute("SELECT pg_advisory_xact_lock(%s)", (RUN_LOCK_KEY,))
    # A new run replaces proposals staff did not act on: everyone in them is ready again.
    conn.execute("UPDATE pairings SET state = 'superseded', updated_at = %s "
                 "WHERE state = 'proposed'", (now,))
    residents = participants.ready_residents(conn)
    partners = participants.ready_partners(conn)
    result = propose(
        [participants.profile_of(r, now) for r in residents],
        [participants.profile_of(p, now, capacity=p["remaining"]) for p in partners],
        settings, participants.blocked_pairs(conn),
    )
    run_id = str(uuid.uuid4())
    conn.execute(
        """INSERT INTO matching_runs (id, requested_by, residents, partners, proposals,
                                      settings, timings, unmatched, created_at)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)""",
        (run_id, requested_by, len(residents), len(partners), len(result.proposals),
         Jsonb({"weights": dict(settings.weights), "max_distance_km": settings.max_distance_km}),
         Jsonb(result.timings), Jsonb(result.unmatched), now),
    )
    proposals = []
    for proposal in result.proposals:
        pairing_id = str(uuid.uuid4())
        conn.execute(
            """INSERT INTO pairings (id, run_id, resident_id, partner_id, state, score,
                                     breakdown, alternatives, proposed_at, updated_at)
               VALUES (%s, %s, %s, %s, 'proposed', %s, %s, %s, %s, %s)""",
            (pairing_id, run_id, proposal.resident_id, proposal.partner_id, proposal.score,
             Jsonb(proposal.breakdown), Jsonb(proposal.alternatives), now, now),
        )
        outbox.add(conn, "pairing_proposed", {
            "pairing_id": pairing_id, "run_id": run_id, "resident_id": proposal.resident_id,
            "partner_id": proposal.partner_id, "score": min(1.0, max(0.0, proposal.score)),
        })
        proposals.append({"pairing_id": pairing_id, "resident_id": proposal.resident_id,
                          "partner_id": proposal.partner_id, "score": proposal.score,
                          "breakdown": proposal.breakdown,
                          "alternatives": proposal.alternatives})
    if result.unmatched:
        # The waiting bonus grows by one run for everyone this run could not place.
        conn.execute("UPDATE participants SET waiting_runs = waiting_runs + 1 "
                     "WHERE id = ANY(%s::uuid[])", (result.unmatched,))
    return {"run_id": run_id, "residents": len(residents), "partners": len(partners),
            "proposals": proposals, "unmatched": result.unmatched,
            "timings": {k: round(v, 4) for k, v in result.timings.items()}}


def _pairing(conn: psycopg.Connection, pairing_id: str) -> dict[str, Any]:
    """The pairing, locked, with both people."""
    try:
        uuid.UUID(str(pairing_id))
    except ValueError:
        raise domain.NotFound("no such pairing") from None
    row = conn.execute("SELECT * FROM pairings WHERE id = %s FOR UPDATE",
                       (pairing_id,)).fetchone()
    if row is None:
        raise domain.NotFound("no such pairing")
    row["resident"] = participants.get(conn, row["resident_id"])
    row["partner"] = participants.get(conn, row["partner_id"])
    return row


def _sides(row: dict[str, Any]) -> dict[str, Any]:
    return {"pairing_id": str(row["id"]), "resident": person(row["resident"]),
            "partner": person(row["partner"])}


def _require(row: dict[str, Any], *states: str) -> None:
    if row["state"] not in states:
        raise domain.Conflict(f"the pairing is {row['state']}",
                              {"state": row["state"], "expected": list(states)})


def view(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(row["id"]), "state": row["state"], "score": row["score"],
        "resident_id": str(row["resident_id"]), "partner_id": str(row["partner_id"]),
        "breakdown": row["breakdown"], "alternatives": row["alternatives"],
        "offer_expires_at": iso(row["offer_expires_at"]), "started_at": iso(row["started_at"]),
        "ends_at": iso(row["ends_at"]), "close_reason": row["close_reason"],
    }


def approve(conn: psycopg.Connection, outbox: OutboxWriter, pairing_id: str, now: datetime,
            secret: str, links_base: str) -> dict[str, Any]:
    """Staff approve a proposal: it is offered to both sides with their own signed links."""
    row = _pairing(conn, pairing_id)
    _require(row, "proposed")
    # Both must still be free: another approval may have taken them since the run.
    sides = [participants.get(conn, row[f"{side}_id"], lock=True)
             for side in ("resident", "partner")]
    if any(side["status"] != "approved" for side in sides):
        # withdrawing cancels the proposal too; this holds whatever the order of events
        raise domain.Conflict("the resident or the partner is no longer taking part")
    held = conn.execute(
        """SELECT count(*) FILTER (WHERE resident_id = %s) AS resident,
                  count(*) FILTER (WHERE partner_id = %s) AS partner
           FROM pairings WHERE state = ANY(%s)""",
        (row["resident_id"], row["partner_id"], list(participants.HOLDING_STATES)),
    ).fetchone()
    if held["resident"] or held["partner"] >= row["partner"]["capacity"]:
        raise domain.Conflict("the resident or the partner is no longer free")
    expires = now + OFFER_LIFETIME
    conn.execute(
        """UPDATE pairings SET state = 'offered', offered_at = %s, offer_expires_at = %s,
                  updated_at = %s WHERE id = %s""",
        (now, expires, now, pairing_id),
    )
    invitees = {}
    for side in ("resident", "partner"):
        token = links.make_token(secret, lambda: now, str(row["id"]), side)
        invitee = person(row[side])
        invitees[side] = {**invitee,
                          **links.response_urls(links_base, token, invitee["locale"])}
    outbox.add(conn, "pairing_offered", {"pairing_id": str(row["id"]), **invitees,
                                         "expires_at": iso(expires)})
    row.update(state="offered", offer_expires_at=expires)
    return view(row)


def respond(conn: psycopg.Connection, outbox: OutboxWriter, pairing_id: str, side: str,
            answer: str, now: datetime, share_contact: bool = False) -> dict[str, Any]:
    """One side accepts or declines through their link (read by the entrypoint: `pairing_id`
    and `side` are what it names); both accepting starts the pairing.

    With an acceptance a side may agree to share their name and e-mail address with the
    other (`share_contact`; an acceptance clicked again before the start replaces it);
    `pairing_started` says what each agreed to, and no one's address goes further without it.
    """
    row = _pairing(conn, pairing_id)
    column = f"{side}_answer"
    if row[column] == answer and row["state"] != "offered":
        return view(row)  # the same click twice
    _require(row, "offered")
    if row["offer_expires_at"] <= now:
        raise domain.Conflict("this offer has expired", {"expired": True})
    row[column] = answer
    if answer == "decline":
        conn.execute(
            f"""UPDATE pairings SET {column} = 'decline', state = 'declined', declined_by = %s,
                       finished_at = %s, updated_at = %s WHERE id = %s""",
            (side, now, now, pairing_id),
        )
        row["state"] = "declined"
        outbox.add(conn, "pairing_declined", {**_sides(row), "declined_by": side})
        return view(row)
    consent = f"{side}_shares_contact"
    row[consent] = share_contact
    conn.execute(f"UPDATE pairings SET {consent} = %s WHERE id = %s", (share_contact, pairing_id))
    other = "partner" if side == "resident" else "resident"
    if row[f"{other}_answer"] != "accept":
        conn.execute(f"UPDATE pairings SET {column} = 'accept', updated_at = %s WHERE id = %s",
                     (now, pairing_id))
        return view(row)
    ends = add_months(now, PAIRING_MONTHS)
    conn.execute(
        f"""UPDATE pairings SET {column} = 'accept', state = 'active', started_at = %s,
                   ends_at = %s, last_contact_at = %s, updated_at = %s WHERE id = %s""",
        (now, ends, now, now, pairing_id),
    )
    conn.execute("UPDATE participants SET waiting_runs = 0 WHERE id = %s",
                 (row["resident_id"],))
    row.update(state="active", started_at=now, ends_at=ends)
    outbox.add(conn, "pairing_started", {
        **_sides(row), "started_at": iso(now), "ends_at": iso(ends),
        "shared_contact": {s: list(SHARED_ON_CONSENT) if row[f"{s}_shares_contact"] else []
                           for s in ("resident", "partner")}})
    return view(row)


def log_checkin(conn: psycopg.Connection, outbox: OutboxWriter, pairing_id: str, data: dict,
                now: datetime, logged_by: str | None) -> dict[str, Any]:
    """A monthly check-in: proof of contact, which also wakes an inactive pairing."""
    row = _pairing(conn, pairing_id)
    _require(row, "active", "inactive")
    _check_met_on(data.get("met_on"), row["started_at"], now)
    checkin_id = str(uuid.uuid4())
    conn.execute(
        """INSERT INTO checkins (id, pairing_id, met_on, note, logged_by, logged_at)
           VALUES (%s, %s, %s, %s, %s, %s)""",
        (checkin_id, pairing_id, data.get("met_on"), data.get("note"), logged_by, now),
    )
    conn.execute("UPDATE pairings SET state = 'active', last_contact_at = %s, updated_at = %s "
                 "WHERE id = %s", (now, now, pairing_id))
    met_on = data.get("met_on")
    outbox.add(conn, "pairing_checkin_logged", {
        **_sides(row), "checkin_id": checkin_id, "logged_at": iso(now),
        "met_on": met_on.isoformat() if met_on else None,
    })
    row["state"] = "active"
    return {"id": checkin_id, "pairing": view(row)}


def _check_met_on(met_on: date | None, started_at: datetime, now: datetime) -> None:
    """A meeting is reported after it happened and during the pairing (Tokyo days; 400 naming
    `met_on`): a date ahead would keep a pairing "active" on contact that never was."""
    if met_on is None:
        return
    today = tokyo_date(now)
    if met_on > today:
        raise domain.Invalid("the meeting is in the future", {
            "met_on": [f"Must not be after today ({today}, Tokyo)."]})
    began = tokyo_date(started_at)
    if met_on < began:
        raise domain.Invalid("the meeting is before the pairing began", {
            "met_on": [f"Must not be before the pairing began ({began})."]})


def close_early(conn: psycopg.Connection, outbox: OutboxWriter, pairing_id: str, reason: str,
                note: str | None, now: datetime) -> dict[str, Any]:
    row = _pairing(conn, pairing_id)
    _require(row, "active", "inactive")
    conn.execute(
        """UPDATE pairings SET state = 'closed_early', close_reason = %s, close_note = %s,
                  finished_at = %s, updated_at = %s WHERE id = %s""",
        (reason, note, now, now, pairing_id),
    )
    row.update(state="closed_early", close_reason=reason)
    outbox.add(conn, "pairing_closed_early", {**_sides(row), "reason": reason,
                                              "closed_at": iso(now)})
    return view(row)


def _due(conn: psycopg.Connection, where: str, params: tuple) -> list[dict[str, Any]]:
    # SKIP LOCKED: with several instances each due pairing is stepped by one of them.
    ids = conn.execute(f"SELECT id FROM pairings WHERE {where} ORDER BY id "
                       "FOR UPDATE SKIP LOCKED", params).fetchall()
    return [_pairing(conn, r["id"]) for r in ids]


def tick(conn: psycopg.Connection, outbox: OutboxWriter, now: datetime) -> dict[str, int]:
    """Every time-driven step that is due at `now`. Completion is checked before the
    reminders so that a pairing past its end is not told it is ending soon."""
    done = {"expired": 0, "completed": 0, "ending_soon": 0, "inactive": 0}
    for row in _due(conn, "state = 'offered' AND offer_expires_at <= %s", (now,)):
        conn.execute("UPDATE pairings SET state = 'expired', finished_at = %s, updated_at = %s "
                     "WHERE id = %s", (now, now, row["id"]))
        outbox.add(conn, "pairing_offer_expired", {**_sides(row), "expired_at": iso(now)})
        done["expired"] += 1
    for row in _due(conn, "state IN ('active', 'inactive') AND ends_at <= %s", (now,)):
        conn.execute("UPDATE pairings SET state = 'completed', finished_at = %s, "
                     "updated_at = %s WHERE id = %s", (now, now, row["id"]))
        outbox.add(conn, "pairing_completed", {**_sides(row),
                                               "started_at": iso(row["started_at"]),
                                               "completed_at": iso(now)})
        done["completed"] += 1
    for row in _due(conn, "state IN ('active', 'inactive') AND ending_soon_sent_at IS NULL "
                          "AND ends_at <= %s", (now + ENDING_SOON_BEFORE,)):
        conn.execute("UPDATE pairings SET ending_soon_sent_at = %s, updated_at = %s "
                     "WHERE id = %s", (now, now, row["id"]))
        outbox.add(conn, "pairing_ending_soon", {**_sides(row), "ends_at": iso(row["ends_at"])})
        done["ending_soon"] += 1
    for row in _due(conn, "state = 'active' AND last_contact_at <= %s",
                    (now - INACTIVE_AFTER,)):
        conn.execute("UPDATE pairings SET state = 'inactive', updated_at = %s WHERE id = %s",
                     (now, row["id"]))
        outbox.add(conn, "pairing_went_inactive", {
            **_sides(row), "last_contact_at": iso(row["last_contact_at"])})
        done["inactive"] += 1
    return done


def get(conn: psycopg.Connection, pairing_id: str) -> dict[str, Any]:
    return view(_pairing(conn, pairing_id))
