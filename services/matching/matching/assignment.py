"""The batch assignment: who is proposed to whom, and the runners-up for staff.

Objective: pair as many families as the hard filters allow, and among those assignments take
the one with the greatest total score. `linear_sum_assignment` needs a finite value for every
cell, so a forbidden pair gets a penalty larger than any achievable total (every score is at
most 1, so more than the number of pairs that can be formed): the solver then uses a forbidden
pair only where no feasible one could take its place, and those are dropped afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment


@dataclass
class Assignment:
    rows: np.ndarray  # resident indices
    cols: np.ndarray  # partner indices (into the unexpanded partner list)

    def total(self, scores: np.ndarray) -> float:
        return float(scores[self.rows, self.cols].sum())

    def __len__(self) -> int:
        return len(self.rows)


def assign(total: np.ndarray, feasible: np.ndarray, capacity: np.ndarray | None = None
           ) -> Assignment:
    """Optimal assignment of rows to columns; a column may be used `capacity[j]` times."""
    n, m = total.shape
    capacity = np.ones(m, dtype=np.intp) if capacity is None else np.maximum(capacity, 0)
    # Rows and columns with no feasible pair cannot be matched: leaving them out changes
    # nothing in the optimum and makes the solver's problem smaller.
    rows = np.flatnonzero(feasible.any(axis=1))
    cols = np.flatnonzero(feasible.any(axis=0) & (capacity > 0))
    if len(rows) == 0 or len(cols) == 0:
        empty = np.array([], dtype=np.intp)
        return Assignment(empty, empty)
    # A partner who takes k families appears as k identical columns.
    expanded = np.repeat(cols, capacity[cols].astype(np.intp))
    sub_total = total[np.ix_(rows, expanded)]
    sub_feasible = feasible[np.ix_(rows, expanded)]
    penalty = float(min(len(rows), len(expanded)) + 1)
    value = np.where(sub_feasible, sub_total, -penalty)
    r, c = linear_sum_assignment(value, maximize=True)
    keep = sub_feasible[r, c]
    return Assignment(rows[r[keep]], expanded[c[keep]])


def greedy(total: np.ndarray, feasible: np.ndarray) -> Assignment:
    """Best remaining pair first: the baseline the optimum is measured against."""
    order = np.argsort(np.where(feasible, total, -np.inf), axis=None, kind="stable")[::-1]
    used_r: set[int] = set()
    used_c: set[int] = set()
    rows, cols = [], []
    limit = min(total.shape)
    for flat in order:
        i, j = divmod(int(flat), total.shape[1])
        if not feasible[i, j]:
            break
        if i in used_r or j in used_c:
            continue
        used_r.add(i)
        used_c.add(j)
        rows.append(i)
        cols.append(j)
        if len(rows) == limit:
            break
    return Assignment(np.array(rows, dtype=np.intp), np.array(cols, dtype=np.intp))


def alternatives(total: np.ndarray, feasible: np.ndarray, chosen: Assignment, k: int = 3
                 ) -> dict[int, list[int]]:
    """For every resident with a feasible partner, the best `k` feasible partners other than
    the one proposed, best first."""
    n, m = total.shape
    masked = np.where(feasible, total, -np.inf)
    masked[chosen.rows, chosen.cols] = -np.inf
    k = min(k, m)
    if k == 0:
        return {}
    # argpartition finds the top k of each row in linear time; only those k are sorted.
    top = np.argpartition(-masked, k - 1, axis=1)[:, :k]
    top_values = np.take_along_axis(masked, top, axis=1)
    order = np.argsort(-top_values, axis=1, kind="stable")
    top = np.take_along_axis(top, order, axis=1)
    top_values = np.take_along_axis(top_values, order, axis=1)
    result: dict[int, list[int]] = {}
    for i in np.flatnonzero(np.isfinite(top_values[:, 0])):
        result[int(i)] = [int(j) for j, v in zip(top[i], top_values[i], strict=True)
                          if np.isfinite(v)]
    return result
