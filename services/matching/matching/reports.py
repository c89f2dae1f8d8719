"""Staff reports: who is waiting, supply against demand, how pairings fare."""

from __future__ import annotations

from typing import Any

import psycopg

from matching import participants


def summary(conn: psycopg.Connection) -> dict[str, Any]:
    waiting = participants.ready_residents(conn)
    partners = participants.ready_partners(conn)
    by_language: dict[str, int] = {}
    by_area: dict[str, int] = {}
    supply: dict[str, dict[str, int]] = {}
    for row in waiting:
        by_area[row["area"]] = by_area.get(row["area"], 0) + 1
        for code in row["profile"]["languages"]:
            by_language[code] = by_language.get(code, 0) + 1
            supply.setdefault(code, {"residents": 0, "partners": 0})["residents"] += 1
    for row in partners:
        for code, level in row["profile"]["languages"].items():
            if level >= 2:  # a partner supplies a language they can work in
                supply.setdefault(code, {"residents": 0, "partners": 0})["partners"] += 1
    states = {r["state"]: r["n"] for r in conn.execute(
        "SELECT state, count(*) AS n FROM pairings GROUP BY state ORDER BY state").fetchall()}
    finished = states.get("completed", 0) + states.get("closed_early", 0)
    days = conn.execute(
        """SELECT avg(extract(epoch FROM p.started_at - r.approved_at) / 86400) AS days
           FROM pairings p JOIN participants r ON r.id = p.resident_id
           WHERE p.started_at IS NOT NULL""").fetchone()["days"]
    spot = {r["status"]: r["n"] for r in conn.execute(
        "SELECT status, count(*) AS n FROM spot_requests GROUP BY status").fetchall()}
    hours = conn.execute("SELECT coalesce(sum(hours), 0) AS h FROM spot_requests "
                         "WHERE status = 'completed'").fetchone()["h"]
    return {
        "waiting_residents": len(waiting),
        "waiting_by_language": dict(sorted(by_language.items())),
        "waiting_by_area": dict(sorted(by_area.items())),
        "supply_and_demand_by_language": dict(sorted(supply.items())),
        "available_partners": len(partners),
        "pairings_by_state": states,
        "completion_rate": round(states.get("completed", 0) / finished, 4) if finished else None,
        "average_days_to_match": round(float(days), 2) if days is not None else None,
        "spot_requests_by_status": spot,
        "spot_hours": float(hours),
    }
