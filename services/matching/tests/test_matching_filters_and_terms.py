"""Each hard filter and each score term, alone: one resident against one or a few partners."""

from __future__ import annotations

import numpy as np
import pytest
from matching.profiles import areas, known_area
from matching.scoring import Settings, breakdown, score_grid, side_of
from matching_factories import SETTINGS, only, partner, resident
from servicekit import domain


def grid(residents, partners, settings=SETTINGS, blocked=()):
    return score_grid(side_of(residents), side_of(partners), settings, blocked, keep_terms=True)


def reasons_for(r, p, **kwargs) -> set[str]:
    scores = grid([r], [p], **kwargs)
    return {name for name, mask in scores.reasons.items() if mask[0, 0]}


def test_a_well_suited_pair_passes_every_filter():
    assert reasons_for(resident(), partner()) == set()
    assert grid([resident()], [partner()]).feasible[0, 0]


# -- hard filters -------------------------------------------------------------------------

def test_no_shared_language_at_conversational_level_is_forbidden():
    r = resident(languages={"ne": 4, "ja": 1})
    assert reasons_for(r, partner(languages={"ja": 4, "en": 3})) == {"language"}
    # basic Nepali on both sides is not a working language either
    assert reasons_for(r, partner(languages={"ja": 4, "ne": 1})) == {"language"}
    assert reasons_for(r, partner(languages={"ja": 4, "ne": 2})) == set()


def test_beyond_the_programme_distance_is_forbidden():
    far = partner(area="hachioji")  # ~37 km from Shinjuku
    assert reasons_for(resident(), far) == {"distance"}
    assert reasons_for(resident(), far, settings=Settings(SETTINGS.weights, 50.0)) == set()


def test_a_sides_own_distance_limit_applies():
    r = resident(area="shinjuku", preferences={"max_distance_km": 3})
    assert reasons_for(r, partner(area="shibuya")) == {"distance"}  # ~4 km
    assert reasons_for(r, partner(area="shinjuku")) == set()
    p = partner(area="shibuya", preferences={"max_distance_km": 3})
    assert reasons_for(resident(), p) == {"distance"}


def test_a_requested_partner_gender_is_a_requirement():
    r = resident(preferences={"partner_gender": "female"})
    assert reasons_for(r, partner(gender="male")) == {"requirement"}
    assert reasons_for(r, partner(gender=None)) == {"requirement"}
    assert reasons_for(r, partner(gender="female")) == set()
    assert reasons_for(resident(gender="male"),
                       partner(gender="female", preferences={"partner_gender": "female"})
                       ) == {"requirement"}


def test_more_children_than_the_partner_takes_is_a_requirement():
    r = resident(children_ages=[1, 4, 7])
    assert reasons_for(r, partner(preferences={"max_children": 2})) == {"requirement"}
    assert reasons_for(r, partner(preferences={"max_children": 3})) == set()


def test_a_partner_not_cleared_or_without_capacity_is_unavailable():
    assert reasons_for(resident(), partner(cleared=False)) == {"partner_unavailable"}
    assert reasons_for(resident(), partner(capacity=0)) == {"partner_unavailable"}


def test_a_pair_that_declined_or_was_paired_before_is_forbidden():
    scores = grid([resident("a"), resident("b")], [partner("x")], blocked=[(1, 0)])
    assert scores.feasible[:, 0].tolist() == [True, False]
    assert scores.reasons["paired_before"][:, 0].tolist() == [False, True]


# -- soft terms ---------------------------------------------------------------------------

def term(name, r, p):
    return float(grid([r], [p], settings=only(name)).total[0, 0])


def test_language_term_is_the_best_common_level_over_four():
    r = resident(languages={"en": 3, "ja": 1})
    assert term("language", r, partner(languages={"ja": 4, "en": 2})) == pytest.approx(0.5)
    assert term("language", r, partner(languages={"ja": 4, "en": 4})) == pytest.approx(0.75)
    assert term("language", r, partner(languages={"ja": 4})) == pytest.approx(0.25)


def test_distance_term_falls_linearly_to_zero_at_the_limit():
    assert term("distance", resident(), partner()) == pytest.approx(1.0)
    a, b = areas()["shinjuku"], areas()["setagaya"]
    km = 6371 * 2 * np.arcsin(np.sqrt(
        np.sin(np.radians(b.lat - a.lat) / 2) ** 2 + np.cos(np.radians(a.lat))
        * np.cos(np.radians(b.lat)) * np.sin(np.radians(b.lon - a.lon) / 2) ** 2))
    assert term("distance", resident(), partner(area="setagaya")) == pytest.approx(
        1 - km / 30, abs=1e-4)


def test_children_term_is_the_share_of_children_within_the_partners_experience():
    r = resident(children_ages=[2, 10])
    assert term("children", r, partner(experience_ages=[3])) == pytest.approx(0.5)  # 2 ≈ 3±2
    assert term("children", r, partner(experience_ages=[3, 9])) == pytest.approx(1.0)
    assert term("children", r, partner(experience_ages=[])) == 0.0
    assert term("children", resident(children_ages=[]), partner()) == 1.0


def test_interests_term_is_jaccard():
    r = resident(interests=["cooking", "parks", "music"])
    assert term("interests", r, partner(interests=["cooking", "music", "anime"])
                ) == pytest.approx(2 / 4)
    assert term("interests", r, partner(interests=[])) == 0.0


def test_availability_term_is_the_share_of_the_smaller_week_met():
    r = resident(slots=["sat-morning", "sat-afternoon", "sun-morning", "mon-evening"])
    assert term("availability", r, partner(slots=["sat-morning", "sun-evening"])
                ) == pytest.approx(0.5)
    assert term("availability", r, partner(slots=["tue-morning"])) == 0.0


def test_waiting_term_grows_with_runs_waited_and_caps_at_one():
    values = [term("waiting", resident(waiting_runs=n), partner()) for n in (0, 1, 2, 4, 9)]
    assert values == pytest.approx([0.0, 0.25, 0.5, 1.0, 1.0])
    assert term("waiting", resident(waiting_days=45), partner()) == pytest.approx(0.5)


def test_total_is_the_weighted_mean_of_the_terms_and_the_breakdown_agrees():
    r, p = resident(children_ages=[4], waiting_runs=1), partner(experience_ages=[5])
    scores = grid([r], [p])
    weights = SETTINGS.weights
    expected = sum(weights[k] * float(v[0, 0]) for k, v in scores.terms.items()) / sum(
        weights.values())
    assert scores.total[0, 0] == pytest.approx(expected)
    [row] = breakdown(side_of([r]), side_of([p]), SETTINGS, np.array([0]), np.array([0]))
    assert row["total"] == pytest.approx(expected, abs=1e-4)
    assert set(row) == {"language", "distance", "children", "interests", "availability",
                        "waiting", "total"}


def test_weights_come_from_configuration_and_unknown_terms_are_refused():
    settings = Settings.from_config({"MATCH_WEIGHTS": "language=1,distance=0",
                                     "MATCH_MAX_DISTANCE_KM": "12"})
    assert settings.weights["language"] == 1 and settings.weights["distance"] == 0
    assert settings.max_distance_km == 12
    with pytest.raises(RuntimeError):
        Settings.from_config({"MATCH_WEIGHTS": {"charisma": 2}})


def test_a_batch_grid_equals_scoring_each_pair_alone():
    residents = [resident(f"r{i}", children_ages=[i], waiting_runs=i) for i in range(4)]
    partners = [partner(f"p{j}", area=a, experience_ages=[j * 3])
                for j, a in enumerate(["shinjuku", "nakano", "minato"])]
    whole = grid(residents, partners)
    for i, r in enumerate(residents):
        for j, p in enumerate(partners):
            assert whole.total[i, j] == pytest.approx(grid([r], [p]).total[0, 0])


def test_the_area_table_has_tokyos_62_municipalities_with_coordinates_in_tokyo():
    tokyo = [a for a in areas().values() if a.kind != "nearby"]
    assert len(tokyo) == 62
    assert sum(a.kind == "ward" for a in tokyo) == 23
    assert all(24 < a.lat < 36 and 136 < a.lon < 143 for a in tokyo)


def test_an_area_outside_the_table_is_a_domain_error_naming_the_area():
    known_area("shinjuku", "spot request")
    with pytest.raises(domain.Invalid) as refused:
        known_area("atlantis", "spot request")
    assert refused.value.message == "the spot request is not valid"
    assert list(refused.value.details) == ["area"]


def test_scoring_in_row_blocks_gives_the_same_matrices_as_one_piece():
    import random

    from matching import scoring
    from matching.synthetic import random_profile

    rng = random.Random(11)
    r = side_of([random_profile(rng, f"r{i}", "resident") for i in range(300)])
    p = side_of([random_profile(rng, f"p{j}", "partner") for j in range(250)])
    whole = score_grid(r, p, SETTINGS, [(5, 7)], keep_terms=True)
    blocked = score_grid(r, p, SETTINGS, [(5, 7)])
    assert scoring.ROW_BLOCK_CELLS // 250 < 300  # really more than one block
    assert np.array_equal(whole.feasible, blocked.feasible)
    assert np.allclose(whole.total, blocked.total)
    assert not blocked.feasible[5, 7]
