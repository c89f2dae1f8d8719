"""A batch proposal over profiles: score, assign, explain. Plain code, no database."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from matching.assignment import alternatives, assign
from matching.profiles import Profile
from matching.scoring import Settings, breakdown, score_grid, side_of


@dataclass
class Proposal:
    resident_id: str
    partner_id: str
    score: float
    breakdown: dict[str, float]
    alternatives: list[dict]  # [{partner_id, score, breakdown}], best first


@dataclass
class BatchResult:
    proposals: list[Proposal]
    unmatched: list[str]  # resident ids left waiting
    timings: dict[str, float] = field(default_factory=dict)


def propose(residents: list[Profile], partners: list[Profile], settings: Settings,
            blocked: Iterable[tuple[str, str]] = (), n_alternatives: int = 3) -> BatchResult:
    """The optimal proposals for one run; `blocked` holds (resident id, partner id) pairs."""
    started = time.perf_counter()
    r_side, p_side = side_of(residents), side_of(partners)
    r_index = {p.id: i for i, p in enumerate(residents)}
    p_index = {p.id: j for j, p in enumerate(partners)}
    blocked_idx = [(r_index[a], p_index[b]) for a, b in blocked
                   if a in r_index and b in p_index]
    scores = score_grid(r_side, p_side, settings, blocked_idx)
    scored = time.perf_counter()
    chosen = assign(scores.total, scores.feasible, p_side.capacity)
    assigned = time.perf_counter()
    alts = alternatives(scores.total, scores.feasible, chosen, n_alternatives)

    chosen_breakdown = breakdown(r_side, p_side, settings, chosen.rows, chosen.cols)
    alt_pairs = [(i, j) for i in chosen.rows.tolist() for j in alts.get(i, [])]
    alt_rows = np.array([i for i, _ in alt_pairs], dtype=np.intp)
    alt_cols = np.array([j for _, j in alt_pairs], dtype=np.intp)
    alt_breakdown = iter(breakdown(r_side, p_side, settings, alt_rows, alt_cols))

    proposals = []
    for k, (i, j) in enumerate(zip(chosen.rows.tolist(), chosen.cols.tolist(), strict=True)):
        alt_list = []
        for alt_j in alts.get(i, []):
            terms = next(alt_breakdown)
            alt_list.append({"partner_id": partners[alt_j].id, "score": terms["total"],
                             "breakdown": terms})
        proposals.append(Proposal(residents[i].id, partners[j].id,
                                  chosen_breakdown[k]["total"], chosen_breakdown[k], alt_list))
    matched = set(chosen.rows.tolist())
    unmatched = [p.id for i, p in enumerate(residents) if i not in matched]
    finished = time.perf_counter()
    return BatchResult(proposals, unmatched, {
        "score_seconds": scored - started, "assign_seconds": assigned - scored,
        "explain_seconds": finished - assigned, "total_seconds": finished - started,
    })
