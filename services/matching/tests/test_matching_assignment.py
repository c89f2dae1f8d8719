"""The batch assignment is optimal, beats greedy, and does not starve anyone across runs."""

from __future__ import annotations

import itertools
import random
from dataclasses import replace

import numpy as np
import pytest
from matching.assignment import alternatives, assign, greedy
from matching.batch import propose
from matching.scoring import DEFAULT_WEIGHTS, Settings, score_grid, side_of
from matching_factories import SETTINGS, partner, random_profile, resident


def brute_force(total: np.ndarray, feasible: np.ndarray) -> tuple[int, float]:
    """(pairs, total score) of the best partial matching: most pairs first, then best total.

    Every partial matching is a permutation of a square padded with impossible cells, so all
    permutations of the padded square cover them all.
    """
    n, m = total.shape
    s = max(n, m)
    t = np.zeros((s, s))
    f = np.zeros((s, s), dtype=bool)
    t[:n, :m], f[:n, :m] = total, feasible
    perms = np.array(list(itertools.permutations(range(s))), dtype=np.intp)
    rows = np.arange(s)
    ok = f[rows, perms]
    counts = ok.sum(axis=1)
    sums = np.where(ok, t[rows, perms], 0.0).sum(axis=1)
    best = counts.max()
    return int(best), float(sums[counts == best].max())


def random_instance(rng: np.random.Generator, n: int, m: int):
    total = rng.random((n, m))
    feasible = rng.random((n, m)) < rng.uniform(0.2, 1.0)
    return total, feasible


def test_assignment_equals_the_brute_force_optimum_on_300_random_instances_up_to_7x7():
    rng = np.random.default_rng(20240401)
    for _ in range(300):
        n, m = rng.integers(1, 8, size=2)
        total, feasible = random_instance(rng, n, m)
        chosen = assign(total, feasible)
        assert feasible[chosen.rows, chosen.cols].all()
        assert len(set(chosen.rows.tolist())) == len(chosen) == len(set(chosen.cols.tolist()))
        pairs, best = brute_force(total, feasible)
        assert len(chosen) == pairs
        assert chosen.total(total) == pytest.approx(best, abs=1e-9)


def test_assignment_from_real_profiles_equals_the_brute_force_optimum():
    rng = random.Random(7)
    for case in range(100):
        n, m = rng.randint(1, 7), rng.randint(1, 7)
        residents = [random_profile(rng, f"r{i}", "resident") for i in range(n)]
        partners = [random_profile(rng, f"p{j}", "partner") for j in range(m)]
        scores = score_grid(side_of(residents), side_of(partners), SETTINGS)
        chosen = assign(scores.total, scores.feasible)
        pairs, best = brute_force(scores.total, scores.feasible)
        assert (len(chosen), chosen.total(scores.total)) == (pairs, pytest.approx(best)), case


def test_a_partner_with_capacity_two_is_given_up_to_two_families_optimally():
    rng = np.random.default_rng(3)
    for _ in range(50):
        total, feasible = random_instance(rng, 5, 3)
        capacity = np.array([2, 1, 1])
        chosen = assign(total, feasible, capacity)
        assert (np.bincount(chosen.cols, minlength=3) <= capacity).all()
        expanded = np.array([0, 0, 1, 2])
        pairs, best = brute_force(total[:, expanded], feasible[:, expanded])
        assert (len(chosen), chosen.total(total)) == (pairs, pytest.approx(best))


def test_on_500_by_500_the_assignment_pairs_at_least_as_many_and_scores_at_least_greedy():
    rng = random.Random(500)
    residents = [random_profile(rng, f"r{i}", "resident") for i in range(500)]
    partners = [random_profile(rng, f"p{j}", "partner") for j in range(500)]
    scores = score_grid(side_of(residents), side_of(partners), SETTINGS)
    optimal = assign(scores.total, scores.feasible)
    baseline = greedy(scores.total, scores.feasible)
    assert len(optimal) >= len(baseline)
    assert optimal.total(scores.total) >= baseline.total(scores.total)
    assert len(optimal) > 400  # the instance is not trivially sparse


def test_forbidden_pairs_are_never_proposed_even_when_nothing_else_is_possible():
    chosen = assign(np.array([[0.9, 0.8], [0.7, 0.6]]),
                    np.array([[False, False], [True, False]]))
    assert (chosen.rows.tolist(), chosen.cols.tolist()) == ([1], [0])


def test_alternatives_are_the_three_best_other_feasible_partners_best_first():
    total = np.array([[0.9, 0.5, 0.7, 0.6, 0.8], [0.1, 0.2, 0.3, 0.4, 0.5]])
    feasible = np.array([[True, True, True, True, False], [True] * 5])
    chosen = assign(total, feasible)
    alts = alternatives(total, feasible, chosen)
    assert chosen.cols[chosen.rows == 0].tolist() == [0]
    assert alts[0] == [2, 3, 1]  # 4 is forbidden, 0 is the proposal itself


def test_proposals_carry_breakdown_and_alternatives_and_skip_blocked_pairs():
    residents = [resident("r1"), resident("r2", area="nakano")]
    partners = [partner("p1"), partner("p2", area="nakano"), partner("p3", area="shibuya")]
    result = propose(residents, partners, SETTINGS, blocked=[("r1", "p1")])
    by_resident = {p.resident_id: p for p in result.proposals}
    assert by_resident["r1"].partner_id != "p1"
    assert "p1" not in [a["partner_id"] for a in by_resident["r1"].alternatives]
    assert set(by_resident["r1"].breakdown) >= {"language", "distance", "waiting", "total"}
    assert len(by_resident["r2"].alternatives) == 2
    assert result.unmatched == []
    assert {"score_seconds", "assign_seconds"} <= set(result.timings)


def run_rounds(weights: dict[str, float], rounds: int) -> int | None:
    """One partner arrives per round and fits everyone; each round two new families arrive who
    fit better than the old one. Returns the round the old family is paired in, or None."""
    settings = Settings(weights=weights)
    old = resident("old", area="nakano")  # a little farther from every partner
    pool = [old]
    for round_no in range(rounds):
        pool += [resident(f"new{round_no}-{k}") for k in range(2)]
        result = propose(pool, [partner(f"p{round_no}")], settings)
        [proposal] = result.proposals
        if proposal.resident_id == "old":
            return round_no
        # everyone left waiting gets one more run on their counter
        pool = [replace(r, waiting_runs=r.waiting_runs + 1) for r in pool
                if r.id in result.unmatched]
    return None


def test_a_family_that_loses_every_run_is_paired_within_a_few_runs_thanks_to_the_bonus():
    assert run_rounds({**DEFAULT_WEIGHTS, "waiting": 0.0}, rounds=10) is None  # starves
    assert run_rounds(DEFAULT_WEIGHTS, rounds=10) is not None
    assert run_rounds(DEFAULT_WEIGHTS, rounds=10) <= 3
