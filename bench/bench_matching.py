"""Matching benchmark (DESIGN §8): batch proposal time for n residents × n partners.

Scoring (packing profiles + every filter and term over the n×n grid), assignment and the
explanation (breakdowns and top-3 alternatives) are timed separately, each as a median of
repeats, beside floors measured in the same run on the same machine:

* assignment floor: a bare `scipy.optimize.linear_sum_assignment` on a uniform random n×n
  matrix (what the solver costs with nothing of ours around it);
* scoring floor: one float64 pass over an n×n grid (`np.add.outer`), the cheapest possible
  whole-grid numpy operation.

The ratios are what to watch; the seconds depend on the machine. It also checks quality: the
total equals the brute-force optimum on small instances, and is compared with greedy.

    .venv/bin/python bench/bench_matching.py [--sizes 500,2000,5000] [--repeats 3]

Pure computation: needs neither RabbitMQ nor PostgreSQL.
"""

from __future__ import annotations

import argparse
import itertools
import random
import statistics
import time
from collections.abc import Callable

import numpy as np
from matching.assignment import alternatives, assign, greedy
from matching.batch import propose
from matching.scoring import DEFAULT_WEIGHTS, Settings, score_grid, side_of
from matching.synthetic import random_profile
from scipy.optimize import linear_sum_assignment

TARGET = (2000, 5.0)  # 2,000 × 2,000 proposed in under 5 s


def median_time(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def population(n: int, seed: int):
    rng = random.Random(seed)
    return ([random_profile(rng, f"r{i}", "resident") for i in range(n)],
            [random_profile(rng, f"p{i}", "partner") for i in range(n)])


def bench_size(n: int, repeats: int, settings: Settings) -> dict[str, float]:
    residents, partners = population(n, seed=n)
    rng = np.random.default_rng(n)
    uniform = rng.random((n, n))
    floor_assign = median_time(lambda: linear_sum_assignment(uniform, maximize=True), repeats)
    a, b = rng.random(n), rng.random(n)
    floor_score = median_time(lambda: np.add.outer(a, b), repeats)

    scores = None

    def do_score():
        nonlocal scores
        scores = score_grid(side_of(residents), side_of(partners), settings)

    t_score = median_time(do_score, repeats)
    chosen = None

    def do_assign():
        nonlocal chosen
        chosen = assign(scores.total, scores.feasible)

    t_assign = median_time(do_assign, repeats)
    t_alts = median_time(lambda: alternatives(scores.total, scores.feasible, chosen), repeats)
    t_total = median_time(lambda: propose(residents, partners, settings), repeats)
    return {"n": n, "score": t_score, "assign": t_assign, "alternatives": t_alts,
            "proposal": t_total, "floor_assign": floor_assign, "floor_score": floor_score,
            "pairs": len(chosen), "feasible_share": float(scores.feasible.mean()),
            "total": chosen.total(scores.total)}


def brute_force_check(instances: int = 200) -> int:
    """Instances up to 7×7 where the assignment's (pairs, total) equals exhaustive search."""
    rng = random.Random(1)
    settings = Settings(weights=DEFAULT_WEIGHTS)
    equal = 0
    for _ in range(instances):
        n, m = rng.randint(1, 7), rng.randint(1, 7)
        residents = [random_profile(rng, f"r{i}", "resident") for i in range(n)]
        partners = [random_profile(rng, f"p{j}", "partner") for j in range(m)]
        scores = score_grid(side_of(residents), side_of(partners), settings)
        chosen = assign(scores.total, scores.feasible)
        s = max(n, m)
        t = np.zeros((s, s))
        f = np.zeros((s, s), dtype=bool)
        t[:n, :m], f[:n, :m] = scores.total, scores.feasible
        perms = np.array(list(itertools.permutations(range(s))))
        ok = f[np.arange(s), perms]
        counts = ok.sum(axis=1)
        sums = np.where(ok, t[np.arange(s), perms], 0).sum(axis=1)
        best = (counts.max(), sums[counts == counts.max()].max())
        equal += (len(chosen) == best[0] and abs(chosen.total(scores.total) - best[1]) < 1e-9)
    return equal


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="500,2000,5000")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    settings = Settings(weights=DEFAULT_WEIGHTS)
    sizes = [int(s) for s in args.sizes.split(",")]

    print(f"matching batch proposal, n residents × n partners, median of {args.repeats}")
    print(f"{'n':>6} {'score s':>9} {'×floor':>8} {'assign s':>9} {'×LSA':>7} "
          f"{'alts s':>8} {'proposal s':>11} {'×LSA':>7} {'LSA floor s':>12} "
          f"{'pairs':>6} {'feasible':>9}")
    results = []
    for n in sizes:
        r = bench_size(n, args.repeats, settings)
        results.append(r)
        print(f"{n:>6} {r['score']:>9.3f} {r['score'] / r['floor_score']:>8.1f} "
              f"{r['assign']:>9.3f} {r['assign'] / r['floor_assign']:>7.2f} "
              f"{r['alternatives']:>8.3f} {r['proposal']:>11.3f} "
              f"{r['proposal'] / r['floor_assign']:>7.2f} {r['floor_assign']:>12.3f} "
              f"{r['pairs']:>6} {r['feasible_share']:>9.1%}")

    for r in results:
        if r["n"] == TARGET[0]:
            verdict = "met" if r["proposal"] < TARGET[1] else "MISSED"
            print(f"target: {TARGET[0]}×{TARGET[0]} in < {TARGET[1]:g} s: "
                  f"{r['proposal']:.2f} s, {verdict}")

    print("\nquality")
    print(f"  brute force (up to 7×7): {brute_force_check()}/200 instances equal the optimum")
    for n in [s for s in sizes if s <= 2000]:
        residents, partners = population(n, seed=n)
        scores = score_grid(side_of(residents), side_of(partners), settings)
        optimal = assign(scores.total, scores.feasible)
        base = greedy(scores.total, scores.feasible)
        print(f"  {n}×{n}: optimal {len(optimal)} pairs, total {optimal.total(scores.total):.2f}"
              f"; greedy {len(base)} pairs, total {base.total(scores.total):.2f}")


if __name__ == "__main__":
    main()
