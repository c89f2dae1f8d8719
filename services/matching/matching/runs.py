"""Batch runs as staff read them again after the POST that made them: each proposal with its
per-term score breakdown and the resident's top alternatives, with names, and who was left
waiting. Read only; the run itself is made by `pairings.run_batch`."""

from __future__ import annotations

import uuid
from typing import Any

import psycopg
from servicekit import domain, paging

from matching.participants import iso


def _names(conn: psycopg.Connection, ids: set[str]) -> dict[str, str]:
    rows = conn.execute("SELECT id, name FROM participants WHERE id = ANY(%s::uuid[])",
                        (sorted(ids),)).fetchall()
    return {str(r["id"]): r["name"] for r in rows}


def _ref(participant_id: str, names: dict[str, str]) -> dict[str, Any]:
    return {"id": participant_id, "name": names.get(participant_id)}


def get(conn: psycopg.Connection, run_id: str) -> dict[str, Any]:
    try:
        uuid.UUID(str(run_id))
    except ValueError:
        raise domain.NotFound("no such matching run") from None
    run = conn.execute("SELECT * FROM matching_runs WHERE id = %s", (run_id,)).fetchone()
    if run is None:
        raise domain.NotFound("no such matching run")
    proposals = conn.execute(
        """SELECT id, state, resident_id, partner_id, score, breakdown, alternatives
           FROM pairings WHERE run_id = %s ORDER BY score DESC, id""", (run_id,)).fetchall()
    unmatched = [str(i) for i in run["unmatched"]]
    wanted = set(unmatched)
    for p in proposals:
        wanted |= {str(p["resident_id"]), str(p["partner_id"])}
        wanted |= {a["partner_id"] for a in p["alternatives"]}
    names = _names(conn, wanted)
    return {
        "run_id": str(run["id"]), "requested_by": run["requested_by"],
        "created_at": iso(run["created_at"]), "residents": run["residents"],
        "partners": run["partners"], "settings": run["settings"], "timings": run["timings"],
        "proposals": [{
            # the state now: proposed until approved, then offered..., or superseded
            "pairing_id": str(p["id"]), "state": p["state"],
            "resident": _ref(str(p["resident_id"]), names),
            "partner": _ref(str(p["partner_id"]), names),
            "score": p["score"], "breakdown": p["breakdown"],
            "alternatives": [{"partner": _ref(a["partner_id"], names), "score": a["score"],
                              "breakdown": a["breakdown"]} for a in p["alternatives"]],
        } for p in proposals],
        "unmatched": [_ref(i, names) for i in unmatched],
    }


def recent(conn: psycopg.Connection, query: dict[str, Any]) -> dict[str, Any]:
    """Runs, newest first, with their counts: how staff find a run to look at again."""
    rows, cursor = paging.fetch(
        conn, "m.id, m.requested_by, m.residents, m.partners, m.proposals, m.created_at",
        "matching_runs m", "m.created_at", "m.id", [], [], query["limit"], query.get("after"))
    return {"runs": [{
        "run_id": str(r["id"]), "requested_by": r["requested_by"],
        "residents": r["residents"], "partners": r["partners"], "proposals": r["proposals"],
        "created_at": iso(r["created_at"]),
    } for r in rows], "next": cursor}
