"""Participant profiles and the closed vocabularies they are written in.

Languages, interests and availability slots come from fixed lists so that each can be packed
into a bit mask: the scorer then compares whole batches with integer AND/OR and a popcount
instead of Python set operations per pair. Anything outside a list is refused at the door
(`domain.Invalid`, a 400), never silently ignored, because a misspelt language would quietly make a
family unmatchable.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from contracts.matching import (  # noqa: F401 - the vocabularies, re-exported
    DAYS,
    GENDERS,
    INTERESTS,
    LANGUAGES,
    PARTS,
    ROLES,
    SLOTS,
)
from contracts.matching import LEVELS as LEVEL_NAMES
from servicekit import domain

LANGUAGE_INDEX = {code: i for i, code in enumerate(LANGUAGES)}

# Ordered levels; a language is "workable" for a pairing from conversational up.
LEVELS: dict[str, int] = {name: i + 1 for i, name in enumerate(LEVEL_NAMES)}
MAX_LEVEL = len(LEVELS)
WORKABLE_LEVEL = LEVELS["conversational"]

INTEREST_INDEX = {name: i for i, name in enumerate(INTERESTS)}
SLOT_INDEX = {name: i for i, name in enumerate(SLOTS)}
GENDER_CODE = {None: 0, **{name: i + 1 for i, name in enumerate(GENDERS)}}

MAX_CHILD_AGE = 17  # children's ages are 0..17; one bit each
# A partner who raised (or works with) a child of age a can advise on ages a±2.
EXPERIENCE_SPREAD_YEARS = 2


@dataclass(frozen=True)
class Area:
    code: str
    name_ja: str
    name_en: str
    name_ne: str
    kind: str  # ward, city, town, village (Tokyo's 62) or nearby (neighbouring prefectures)
    lat: float
    lon: float


@cache
def areas() -> dict[str, Area]:
    """The areas the service knows, from the table shipped with it (approximate centroids)."""
    path = Path(__file__).with_name("data") / "areas.csv"
    with path.open(encoding="utf-8") as handle:
        return {
            row["code"]: Area(row["code"], row["name_ja"], row["name_en"], row["name_ne"],
                              row["kind"],
                              float(row["lat"]), float(row["lon"]))
            for row in csv.DictReader(handle)
        }


def known_area(code: str, what: str, hint: str = "") -> None:
    """An area of the table, or `domain.Invalid` naming `area` (the request schemas cannot
    tell: the table is this service's)."""
    if code not in areas():
        raise domain.Invalid(f"the {what} is not valid", {"area": [
            f"unknown area; use a municipality code such as 'shinjuku'{hint}"]})


def normalised_application(application: dict) -> dict:
    """An application as profiles keep it: languages by level number, and coordinates (the
    area's centroid unless given; an area outside the table must give them)."""
    data = dict(application)
    if "coordinates" not in data:
        known_area(data["area"], "application", " or give coordinates")
        known = areas()[data["area"]]
        data["coordinates"] = {"lat": known.lat, "lon": known.lon}
    data["languages"] = {skill["code"]: LEVELS[skill["level"]] for skill in data["languages"]}
    return data


def area_name(code: str) -> dict[str, str]:
    """An area's names for people ({"ja": "新宿区", "en": "Shinjuku"}), as events carry them;
    an area no longer in the table keeps its code."""
    area = areas().get(code)
    return {"ja": area.name_ja, "en": area.name_en} if area else {"ja": code, "en": code}


def area_choices() -> list[dict]:
    """Every area an application can name, in the table's order (wards, cities, towns,
    villages, then nearby cities), with its names in the site's languages: the list the
    public forms offer, so they never name an area this service would refuse."""
    return [{"code": a.code, "kind": a.kind,
             "name": {"ja": a.name_ja, "en": a.name_en, "ne": a.name_ne}}
            for a in areas().values()]


@dataclass
class Profile:
    """What matching knows about one participant; the same shape for every role.

    `experience_ages` is a partner's experience with children (own children's ages, or ages
    they have cared for); `capacity` is how many families a partner takes at once.
    `preferences` holds optional requirements: `partner_gender`, `max_distance_km`, and for a
    partner `max_children`.
    """

    id: str
    role: str
    languages: dict[str, int]
    lat: float
    lon: float
    area: str = ""
    gender: str | None = None
    household_size: int = 1
    children_ages: list[int] = field(default_factory=list)
    experience_ages: list[int] = field(default_factory=list)
    interests: list[str] = field(default_factory=list)
    slots: list[str] = field(default_factory=list)
    preferences: dict = field(default_factory=dict)
    cleared: bool = False
    capacity: int = 1
    waiting_runs: int = 0
    waiting_days: float = 0.0


def language_masks(languages: dict[str, int]) -> list[int]:
    """Bit masks of the languages spoken at least at level 1, 2, 3 and 4."""
    masks = [0] * MAX_LEVEL
    for code, level in languages.items():
        bit = 1 << LANGUAGE_INDEX[code]
        for k in range(level):
            masks[k] |= bit
    return masks


def bits(names: list[str] | set[str], index: dict[str, int]) -> int:
    mask = 0
    for name in names:
        mask |= 1 << index[name]
    return mask


def age_mask(ages: list[int], spread: int = 0) -> int:
    mask = 0
    for age in ages:
        for a in range(max(0, age - spread), min(MAX_CHILD_AGE, age + spread) + 1):
            mask |= 1 << a
    return mask
