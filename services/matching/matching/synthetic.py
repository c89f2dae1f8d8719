"""Synthetic but plausible participants, for optimality tests and the benchmark."""

from __future__ import annotations

import random
from typing import Any

from matching.profiles import INTERESTS, LANGUAGES, SLOTS, Profile, areas


def profile(id: str, role: str, area: str, **fields: Any) -> Profile:
    where = areas()[area]
    return Profile(id=id, role=role, area=area, lat=where.lat, lon=where.lon,
                   cleared=role != "resident", **fields)


def random_profile(rng: random.Random, id: str, role: str) -> Profile:
    """Plausible profiles for optimality tests and the bench: mostly Tokyo's 23 wards."""
    codes = list(areas())
    area = rng.choice(codes[:23] if rng.random() < 0.8 else codes[:49])
    langs = {"ja": rng.choice([1, 2]) if role == "resident" else 4}
    for code in rng.sample(LANGUAGES[1:12], rng.randint(1, 2)):
        langs[code] = rng.randint(1, 4)
    fields: dict[str, Any] = {
        "languages": langs,
        "interests": rng.sample(INTERESTS, rng.randint(0, 5)),
        "slots": rng.sample(SLOTS, rng.randint(1, 6)),
        "gender": rng.choice(["female", "male", None]),
    }
    if role == "resident":
        fields["children_ages"] = [rng.randint(0, 12) for _ in range(rng.randint(0, 3))]
        fields["waiting_runs"] = rng.randint(0, 3)
        if rng.random() < 0.1:
            fields["preferences"] = {"partner_gender": "female"}
    else:
        fields["experience_ages"] = [rng.randint(0, 15) for _ in range(rng.randint(0, 3))]
    return profile(id, role, area, **fields)
