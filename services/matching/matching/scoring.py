"""Compatibility of residents with partners, for a whole batch at once.

Every participant becomes a row of integer bit masks and floats (`Side`). A hard filter or a
score term is one numpy expression over two sides shaped so that they broadcast: residents as a
column (n, 1) against partners as a row (1, m) give the (n, m) matrix of a batch run, while two
aligned 1-D sides give the values of k chosen pairs (their breakdown). The same functions
serve both, so the breakdown shown to staff is exactly what the assignment optimised.

Terms are 0..1; the total is their weighted mean, weights from configuration.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from matching.profiles import (
    EXPERIENCE_SPREAD_YEARS,
    GENDER_CODE,
    INTEREST_INDEX,
    LANGUAGE_INDEX,
    MAX_LEVEL,
    SLOT_INDEX,
    WORKABLE_LEVEL,
    Profile,
    age_mask,
    bits,
    language_masks,
)

EARTH_RADIUS_KM = 6371.0
NO_LIMIT = np.inf
MANY = np.iinfo(np.int16).max
# Cells scored at once by `score_grid`: small enough for a block's temporaries to stay in cache.
ROW_BLOCK_CELLS = 1 << 16

TERMS = ("language", "distance", "children", "interests", "availability", "waiting")
FILTERS = ("language", "distance", "requirement", "partner_unavailable", "paired_before")

DEFAULT_WEIGHTS: dict[str, float] = {
    "language": 3.0, "distance": 2.0, "children": 2.0, "interests": 1.0,
    "availability": 2.0, "waiting": 2.0,
}


@dataclass(frozen=True)
class Settings:
    weights: Mapping[str, float]
    max_distance_km: float = 30.0
    # The waiting bonus is full after this many runs without a match, or this many days.
    wait_full_runs: float = 4.0
    wait_full_days: float = 90.0

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Settings:
        weights = dict(DEFAULT_WEIGHTS)
        raw = config.get("MATCH_WEIGHTS") or {}
        if isinstance(raw, str):  # "language=3,distance=2" from an environment variable
            raw = dict(part.split("=", 1) for part in raw.replace(" ", "").split(",") if part)
        for name, value in raw.items():
            if name not in DEFAULT_WEIGHTS:
                raise RuntimeError(f"MATCH_WEIGHTS names an unknown term {name!r}")
            weights[name] = float(value)
        if any(w < 0 for w in weights.values()) or sum(weights.values()) <= 0:
            raise RuntimeError("MATCH_WEIGHTS must be non-negative and not all zero")
        return cls(
            weights=weights,
            max_distance_km=float(config.get("MATCH_MAX_DISTANCE_KM", 30.0)),
            wait_full_runs=float(config.get("MATCH_WAIT_FULL_RUNS", 4)),
            wait_full_days=float(config.get("MATCH_WAIT_FULL_DAYS", 90)),
        )


@dataclass
class Side:
    """One side of a batch as arrays, one entry per participant."""

    lang1: np.ndarray  # uint64 masks of languages spoken at level >= 1 .. 4
    lang2: np.ndarray
    lang3: np.ndarray
    lang4: np.ndarray
    lat: np.ndarray  # radians
    lon: np.ndarray
    max_km: np.ndarray  # the participant's own distance limit, inf when none
    gender: np.ndarray  # int8, 0 unknown
    wants_gender: np.ndarray  # int8, 0 any
    n_children: np.ndarray  # int16
    max_children: np.ndarray  # int16, MANY when none
    children: np.ndarray  # uint32 age mask: a resident's children, a partner's experience ±2y
    interests: np.ndarray  # uint64
    slots: np.ndarray  # uint32
    cleared: np.ndarray  # bool
    capacity: np.ndarray  # int16
    waiting_runs: np.ndarray  # float64
    waiting_days: np.ndarray  # float64

    def __len__(self) -> int:
        return len(self.lat)

    def _map(self, fn: Callable[[np.ndarray], np.ndarray]) -> Side:
        return Side(**{f.name: fn(getattr(self, f.name)) for f in fields(self)})

    def as_column(self) -> Side:
        return self._map(lambda a: a[:, None])

    def as_row(self) -> Side:
        return self._map(lambda a: a[None, :])

    def take(self, index: np.ndarray) -> Side:
        return self._map(lambda a: a[index])

    def lang(self, level: int) -> np.ndarray:
        return getattr(self, f"lang{level}")


def side_of(profiles: Iterable[Profile]) -> Side:
    """Pack profiles into arrays (Python work once per participant, not per pair)."""
    profiles = list(profiles)
    masks = [language_masks(p.languages) for p in profiles]
    pref = [p.preferences or {} for p in profiles]

    def arr(values: Iterable, dtype: Any) -> np.ndarray:
        return np.fromiter(values, dtype=dtype, count=len(profiles))

    return Side(
        *(arr((m[k] for m in masks), np.uint64) for k in range(MAX_LEVEL)),
        lat=np.radians(arr((p.lat for p in profiles), np.float64)),
        lon=np.radians(arr((p.lon for p in profiles), np.float64)),
        max_km=arr((q.get("max_distance_km") or NO_LIMIT for q in pref), np.float64),
        gender=arr((GENDER_CODE[p.gender] for p in profiles), np.int8),
        wants_gender=arr((GENDER_CODE[q.get("partner_gender")] for q in pref), np.int8),
        n_children=arr((len(p.children_ages) for p in profiles), np.int16),
        max_children=arr((min(q.get("max_children", MANY), MANY) for q in pref), np.int16),
        children=arr(
            (age_mask(p.children_ages) if p.role == "resident"
             else age_mask(p.experience_ages, EXPERIENCE_SPREAD_YEARS) for p in profiles),
            np.uint32),
        interests=arr((bits(p.interests, INTEREST_INDEX) for p in profiles), np.uint64),
        slots=arr((bits(p.slots, SLOT_INDEX) for p in profiles), np.uint32),
        cleared=arr((p.cleared for p in profiles), bool),
        capacity=arr((p.capacity for p in profiles), np.int16),
        waiting_runs=arr((p.waiting_runs for p in profiles), np.float64),
        waiting_days=arr((p.waiting_days for p in profiles), np.float64),
    )


# -- geometry -----------------------------------------------------------------------------

def distance_km(r: Side, p: Side) -> np.ndarray:
    """Great-circle (haversine) distance between the two sides' area centroids."""
    dlat = p.lat - r.lat
    dlon = p.lon - r.lon
    h = np.sin(dlat / 2) ** 2 + np.cos(r.lat) * np.cos(p.lat) * np.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(h, 1.0)))


def distance_limit(r: Side, p: Side, settings: Settings) -> np.ndarray:
    """The strictest of the programme's limit and each side's own."""
    return np.minimum(np.minimum(r.max_km, p.max_km), settings.max_distance_km)


def _share(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a & b) != 0


def _count(mask: np.ndarray) -> np.ndarray:
    return np.bitwise_count(mask)


# -- hard filters: True where the pair is impossible --------------------------------------

def no_workable_language(r: Side, p: Side) -> np.ndarray:
    return ~_share(r.lang(WORKABLE_LEVEL), p.lang(WORKABLE_LEVEL))


def too_far(r: Side, p: Side, settings: Settings, distance: np.ndarray | None = None
            ) -> np.ndarray:
    distance = distance_km(r, p) if distance is None else distance
    return distance > distance_limit(r, p, settings)


def requirement_unmet(r: Side, p: Side) -> np.ndarray:
    """A stated preference of either side is not met (gender asked for, children accepted)."""
    resident_wants = (r.wants_gender != 0) & (r.wants_gender != p.gender)
    partner_wants = (p.wants_gender != 0) & (p.wants_gender != r.gender)
    return resident_wants | partner_wants | (r.n_children > p.max_children)


def partner_unavailable(r: Side, p: Side) -> np.ndarray:
    unavailable = ~p.cleared | (p.capacity <= 0)
    return np.broadcast_to(unavailable, np.broadcast_shapes(r.lat.shape, p.lat.shape))


def paired_before_grid(n: int, m: int, blocked: Iterable[tuple[int, int]]) -> np.ndarray:
    """(n, m) mask of the pairs that declined or were paired before (row, column indices)."""
    mask = np.zeros((n, m), dtype=bool)
    blocked = list(blocked)
    if blocked:
        rows, cols = np.array(blocked, dtype=np.intp).T
        mask[rows, cols] = True
    return mask


# -- soft terms, each 0..1 ----------------------------------------------------------------

def language_term(r: Side, p: Side) -> np.ndarray:
    """The best level both speak a common language at, over the top level.

    max over languages of min(level_r, level_p) >= k exactly when some language is spoken by
    both at level k or more, so four mask comparisons give the max-of-min without a loop over
    languages.
    """
    total = np.zeros(np.broadcast_shapes(r.lat.shape, p.lat.shape), dtype=np.float32)
    for level in range(1, MAX_LEVEL + 1):
        total += _share(r.lang(level), p.lang(level))
    return total / MAX_LEVEL


# A spot request lists its languages in order of preference: the first asked for counts fully,
# each later one a quarter less (never below a quarter), so a volunteer native in the second
# language ranks with one fluent in the first, not above.
PREFERENCE_STEP = 0.25


def preference_weights(count: int) -> np.ndarray:
    return np.maximum(1.0 - PREFERENCE_STEP * np.arange(count), PREFERENCE_STEP)


def preferred_language_term(codes: list[str], p: Side) -> np.ndarray:
    """For languages asked for in order of preference: the best, over them, of the other
    side's level in it (over the top level) times the language's preference weight."""
    best = np.zeros(p.lat.shape, dtype=np.float32)
    for code, weight in zip(codes, preference_weights(len(codes)), strict=True):
        bit = np.uint64(1 << LANGUAGE_INDEX[code])
        level = sum((p.lang(k) & bit) != 0 for k in range(1, MAX_LEVEL + 1))
        best = np.maximum(best, np.float32(weight) * level / MAX_LEVEL)
    return best


def distance_term(r: Side, p: Side, settings: Settings, distance: np.ndarray | None = None
                  ) -> np.ndarray:
    """1 in the same place, falling linearly to 0 at the pair's distance limit."""
    distance = distance_km(r, p) if distance is None else distance
    limit = distance_limit(r, p, settings)
    return np.clip(1.0 - distance / limit, 0.0, 1.0).astype(np.float32)


def children_term(r: Side, p: Side) -> np.ndarray:
    """Share of the resident's children whose age the partner has experience with.

    A household without children has no need to meet: 1.
    """
    covered = _count(r.children & p.children).astype(np.float32)
    wanted = _count(r.children).astype(np.float32)
    return np.where(wanted > 0, covered / np.maximum(wanted, 1), np.float32(1.0))


def interests_term(r: Side, p: Side) -> np.ndarray:
    """Jaccard similarity of interests; 0 when neither gave any."""
    both = _count(r.interests & p.interests).astype(np.float32)
    either = _count(r.interests | p.interests).astype(np.float32)
    return both / np.maximum(either, 1)


def availability_term(r: Side, p: Side) -> np.ndarray:
    """Share of the smaller weekly schedule that the other can meet; 0 if either gave none."""
    shared = _count(r.slots & p.slots).astype(np.float32)
    smaller = np.minimum(_count(r.slots), _count(p.slots)).astype(np.float32)
    return shared / np.maximum(smaller, 1)


def waiting_term(r: Side, p: Side, settings: Settings) -> np.ndarray:
    """Grows with the runs (or days) a resident has waited, full at the configured cap.

    It is the same for every partner of a resident, so it never changes who a resident is
    paired with; it decides who gets a scarce partner, which is what stops starvation.
    """
    bonus = np.minimum(1.0, np.maximum(r.waiting_runs / settings.wait_full_runs,
                                       r.waiting_days / settings.wait_full_days))
    shape = np.broadcast_shapes(r.lat.shape, p.lat.shape)
    return np.broadcast_to(bonus.astype(np.float32), shape)


@dataclass
class Scores:
    total: np.ndarray  # float64, weighted mean of the terms
    feasible: np.ndarray  # bool
    terms: dict[str, np.ndarray] | None = None
    reasons: dict[str, np.ndarray] | None = None  # hard filter name -> True where it forbids


def score(r: Side, p: Side, settings: Settings, paired_before: np.ndarray | None = None,
          keep_terms: bool = False) -> Scores:
    """Filters and score of every (resident, partner) the broadcast of `r` and `p` makes.

    `keep_terms` keeps every term and filter (for breakdowns and tests); a batch run leaves it
    off, so only the running total is held in memory.
    """
    distance = distance_km(r, p)
    reasons = {
        "language": no_workable_language(r, p),
        "distance": too_far(r, p, settings, distance),
        "requirement": requirement_unmet(r, p),
        "partner_unavailable": partner_unavailable(r, p),
    }
    if paired_before is not None:
        reasons["paired_before"] = paired_before
    forbidden = np.zeros(distance.shape, dtype=bool)
    for mask in reasons.values():
        forbidden |= mask

    term_fns: dict[str, Callable[[], np.ndarray]] = {
        "language": lambda: language_term(r, p),
        "distance": lambda: distance_term(r, p, settings, distance),
        "children": lambda: children_term(r, p),
        "interests": lambda: interests_term(r, p),
        "availability": lambda: availability_term(r, p),
        "waiting": lambda: waiting_term(r, p, settings),
    }
    weight_sum = sum(settings.weights.values())
    total = np.zeros(distance.shape, dtype=np.float64)
    kept: dict[str, np.ndarray] = {}
    for name, fn in term_fns.items():
        weight = settings.weights.get(name, 0.0)
        if weight == 0 and not keep_terms:
            continue
        value = fn()
        if weight:
            total += (weight / weight_sum) * value
        if keep_terms:
            kept[name] = value
    return Scores(total=total, feasible=~forbidden, terms=kept if keep_terms else None,
                  reasons=reasons if keep_terms else None)


def score_grid(residents: Side, partners: Side, settings: Settings,
               blocked: Iterable[tuple[int, int]] = (), keep_terms: bool = False) -> Scores:
    """The (n, m) matrices of a batch run.

    Residents are scored in blocks of rows: each block's temporaries stay in the CPU cache
    instead of a dozen full n×m arrays streaming through memory (about twice as fast at 5,000).
    """
    n, m = len(residents), len(partners)
    paired = paired_before_grid(n, m, blocked)
    if keep_terms:
        return score(residents.as_column(), partners.as_row(), settings, paired, True)
    total = np.empty((n, m), dtype=np.float64)
    feasible = np.empty((n, m), dtype=bool)
    row = partners.as_row()
    block = max(1, ROW_BLOCK_CELLS // max(m, 1))
    for start in range(0, n, block):
        rows = np.arange(start, min(n, start + block))
        part = score(residents.take(rows).as_column(), row, settings, paired[rows])
        total[rows] = part.total
        feasible[rows] = part.feasible
    return Scores(total=total, feasible=feasible)


def breakdown(residents: Side, partners: Side, settings: Settings, rows: np.ndarray,
              cols: np.ndarray) -> list[dict[str, float]]:
    """Per-term values and the total of the chosen pairs (`rows[k]` with `cols[k]`)."""
    if len(rows) == 0:
        return []
    scores = score(residents.take(rows), partners.take(cols), settings, keep_terms=True)
    assert scores.terms is not None
    return [
        {**{name: round(float(scores.terms[name][k]), 4) for name in TERMS},
         "total": round(float(scores.total[k]), 4)}
        for k in range(len(rows))
    ]
