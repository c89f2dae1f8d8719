"""Profiles for tests: a resident and a partner who fit each other unless told otherwise."""

from __future__ import annotations

from typing import Any

from matching.profiles import Profile, areas
from matching.scoring import DEFAULT_WEIGHTS, Settings
from matching.synthetic import random_profile  # noqa: F401 - re-exported for tests

SETTINGS = Settings(weights=DEFAULT_WEIGHTS)


def only(term: str) -> Settings:
    """Settings where the total is exactly one term."""
    return Settings(weights={name: float(name == term) for name in DEFAULT_WEIGHTS})


def profile(id: str, role: str = "resident", area: str = "shinjuku", **fields: Any) -> Profile:
    where = areas()[area]
    defaults: dict[str, Any] = {
        "languages": {"en": 3, "ja": 1} if role == "resident" else {"ja": 4, "en": 2},
        "interests": ["cooking", "parks"], "slots": ["sat-morning", "sun-afternoon"],
        "cleared": role != "resident",
    }
    defaults.update(fields)
    return Profile(id=id, role=role, area=area, lat=where.lat, lon=where.lon, **defaults)


def resident(id: str = "r1", **fields: Any) -> Profile:
    return profile(id, "resident", **fields)


def partner(id: str = "p1", **fields: Any) -> Profile:
    return profile(id, "partner", **fields)
