"""A spot request's languages are in order of preference: the first asked for weighs most."""

from __future__ import annotations

import pytest
from matching.profiles import LEVELS
from matching.scoring import preferred_language_term, side_of
from matching_factories import partner
from test_matching_pairing_outcomes import spot_body, volunteer
from test_matching_service import approved, call


def speaking(**levels: str):
    return {code: LEVELS[level] for code, level in levels.items()}


def test_the_first_language_asked_for_weighs_most():
    volunteers = side_of([
        partner("ne-native", languages=speaking(ne="native")),
        partner("ja-native", languages=speaking(ja="native")),
        partner("ne-fluent", languages=speaking(ne="fluent", ja="native")),
        partner("en-only", languages=speaking(en="native")),
    ])
    term = preferred_language_term(["ne", "ja"], volunteers)
    assert term.tolist() == pytest.approx([1.0, 0.75, 0.75, 0.0])


def test_later_languages_never_weigh_less_than_a_quarter():
    volunteers = side_of([partner("ja", languages=speaking(ja="native"))])
    assert preferred_language_term(["ne", "en", "zh", "ko", "ja"], volunteers).tolist() == [
        pytest.approx(0.25)]


def test_a_volunteer_speaking_only_the_second_language_ranks_below_one_speaking_the_first(
        matching):
    japanese = approved(matching, "volunteer", volunteer(
        "Only Japanese", languages=[{"code": "ja", "level": "native"}]))
    nepali = approved(matching, "volunteer", volunteer(
        "Nepali Speaker", languages=[{"code": "ne", "level": "native"},
                                     {"code": "ja", "level": "conversational"}]))
    request = call(matching, "create_spot_request", spot_body(languages=["ne", "ja"]))
    ranked = call(matching, "spot_candidates", request["id"])["candidates"]
    assert [c["volunteer_id"] for c in ranked] == [nepali, japanese]
    assert [c["breakdown"]["language"] for c in ranked] == [1.0, 0.75]
