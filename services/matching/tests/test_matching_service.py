"""The matching service through its real entrypoints, on PostgreSQL, moving an injected clock."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from matching.clock import add_months
from nameko.testing.services import entrypoint_hook
from servicekit import errors
from servicekit.testing import query

# Staff operations refuse a caller without a staff role; public ones take anyone.
STAFF = {"staff_subject": "staff-1", "staff_role": "staff"}


def call(container, name, *args, context=STAFF):
    with entrypoint_hook(container, name, context_data=context) as hook:
        return hook(*args)


def application(name: str, **overrides) -> dict:
    body = {
        "name": name, "email": f"{name.lower().replace(' ', '.')}@example.org", "locale": "en",
        "area": "shinjuku", "languages": [{"code": "en", "level": "fluent"},
                                          {"code": "ja", "level": "basic"}],
        "household_size": 3, "children_ages": [2, 5], "interests": ["cooking", "parks"],
        "slots": ["sat-morning", "sun-afternoon"],
    }
    body.update(overrides)
    return body


def partner_application(name: str, **overrides) -> dict:
    body = {"locale": "ja-JP", "children_ages": [], "experience_ages": [4],
            "languages": [{"code": "ja", "level": "native"},
                          {"code": "en", "level": "conversational"}]}
    return application(name, **{**body, **overrides})


def approved(matching, role, body) -> str:
    participant_id = call(matching, f"apply_{role}", body)["id"]
    call(matching, "approve_participant", participant_id, {})
    return participant_id


def events(config) -> list[dict]:
    return query(config["DATABASE_URL"],
                 "SELECT routing_key AS type, envelope->'data' AS data FROM outbox ORDER BY id")


def token_of(url: str) -> str:
    return parse_qs(urlparse(url).query)["token"][0]


def offer(matching, config):
    """Run, approve the single proposal, and return (pairing id, resident token, partner token)."""
    [proposal] = call(matching, "run_matching")["proposals"]
    call(matching, "approve_pairing", proposal["pairing_id"])
    offered = [e for e in events(config) if e["type"] == "pairing_offered"][-1]["data"]
    return (proposal["pairing_id"], token_of(offered["resident"]["accept_url"]),
            token_of(offered["partner"]["accept_url"]))


def answer(matching, token, what):
    return call(matching, "respond_to_pairing", {"token": token, "answer": what})


def test_applications_are_stored_and_announced_with_contact_details(matching, matching_config):
    resident = call(matching, "apply_resident", application("Maya Gurung", locale="ne-NP"))
    assert resident["status"] == "applied"
    [event] = events(matching_config)
    assert event["type"] == "participant_applied"
    assert event["data"]["locale"] == "ne" and event["data"]["role"] == "resident"
    call(matching, "approve_participant", resident["id"], {})
    assert events(matching_config)[-1]["type"] == "participant_approved"


@pytest.mark.parametrize("change, field", [
    ({"languages": [{"code": "klingon", "level": "fluent"}]}, "languages"),
    ({"languages": [{"code": "en", "level": "superb"}]}, "languages"),
    ({"area": "atlantis"}, "area"),
    ({"slots": ["saturday morning"]}, "slots"),
    ({"slots": "sat-morning"}, "slots"),
    ({"children_ages": [3, 21]}, "children_ages"),
    ({"children_ages": [-1]}, "children_ages"),
    ({"interests": ["skydiving"]}, "interests"),
    ({"locale": "fr"}, "locale"),
])
def test_bad_applications_are_invalid_input_naming_the_field(matching, matching_config,
                                                            change, field):
    with pytest.raises(errors.InvalidInput) as caught:
        call(matching, "apply_resident", application("Ana Santos", **change))
    assert field in caught.value.details
    assert events(matching_config) == []


def test_an_area_outside_the_table_is_accepted_with_its_coordinates(matching):
    body = application("Ana Santos", area="oizumi-machi",
                       coordinates={"lat": 35.75, "lon": 139.59})
    assert call(matching, "apply_resident", body)["status"] == "applied"


def test_only_cleared_partners_are_matched(matching, matching_config):
    approved(matching, "resident", application("Maya Gurung"))
    call(matching, "apply_partner", partner_application("Sato Yuki"))  # not yet screened
    run = call(matching, "run_matching")
    assert run["proposals"] == [] and run["partners"] == 0


def test_a_run_saves_proposals_with_breakdown_and_alternatives(matching, matching_config):
    resident = approved(matching, "resident", application("Maya Gurung"))
    partners = [approved(matching, "partner", partner_application(f"Partner {k}", area=area))
                for k, area in enumerate(["shinjuku", "nakano", "shibuya", "minato"])]
    run = call(matching, "run_matching")
    [proposal] = run["proposals"]
    assert proposal["resident_id"] == resident and proposal["partner_id"] == partners[0]
    assert set(proposal["breakdown"]) >= {"language", "distance", "children", "interests",
                                          "availability", "waiting", "total"}
    assert [a["partner_id"] for a in proposal["alternatives"]] == partners[1:] or len(
        proposal["alternatives"]) == 3
    [row] = query(matching_config["DATABASE_URL"], "SELECT state, alternatives FROM pairings")
    assert row["state"] == "proposed" and len(row["alternatives"]) == 3
    assert [e["type"] for e in events(matching_config)][-1] == "pairing_proposed"


def test_a_resident_no_one_fits_in_run_1_has_the_bonus_in_run_2(matching, matching_config):
    approved(matching, "partner", partner_application("Sato Yuki"))
    lonely = approved(matching, "resident", application(
        "Far Away", area="hachijo"))  # an island: every partner is too far
    call(matching, "run_matching")
    [row] = query(matching_config["DATABASE_URL"],
                  "SELECT waiting_runs FROM participants WHERE id = %s", (lonely,))
    assert row["waiting_runs"] == 1
    # a partner on the island applies; in run 2 the waiting shows in the score
    approved(matching, "partner", partner_application("Island Partner", area="hachijo"))
    [proposal] = call(matching, "run_matching")["proposals"]
    assert proposal["resident_id"] == lonely
    assert proposal["breakdown"]["waiting"] == pytest.approx(0.25)


def test_the_whole_pairing_life_ends_six_months_after_the_start(matching, matching_config,
                                                                 clock):
    approved(matching, "resident", application("Maya Gurung"))
    approved(matching, "partner", partner_application("Sato Yuki"))
    pairing_id, resident_token, partner_token = offer(matching, matching_config)

    clock.advance(days=1)
    assert answer(matching, resident_token, "accept")["state"] == "offered"
    started = clock.advance(hours=5)
    assert answer(matching, partner_token, "accept")["state"] == "active"
    assert answer(matching, partner_token, "accept")["state"] == "active"  # a second click

    clock.advance(days=30)
    call(matching, "log_checkin", pairing_id, {"note": "went to the park"})
    clock.advance(days=46)
    assert call(matching, "advance_pairings")["inactive"] == 1
    assert call(matching, "get_pairing", pairing_id)["state"] == "inactive"
    call(matching, "log_checkin", pairing_id, {"met_on": "2026-06-15"})
    assert call(matching, "get_pairing", pairing_id)["state"] == "active"

    ends = add_months(started, 6)
    # A daily tick from here on, with a check-in a month: each step happens once, on its day.
    for day in range(1, 200):
        clock.advance(days=1)
        if day % 30 == 0:
            call(matching, "log_checkin", pairing_id, {})
        call(matching, "advance_pairings")
        if call(matching, "get_pairing", pairing_id)["state"] == "completed":
            break
    pairing = call(matching, "get_pairing", pairing_id)
    assert pairing["state"] == "completed"
    assert datetime.fromisoformat(pairing["ends_at"]) == ends == started.replace(month=10)
    assert ends <= clock.now < ends + timedelta(days=1)

    kinds = [e["type"] for e in events(matching_config) if e["type"].startswith("pairing_")]
    assert kinds[:6] == ["pairing_proposed", "pairing_offered", "pairing_started",
                         "pairing_checkin_logged", "pairing_went_inactive",
                         "pairing_checkin_logged"]
    later = kinds[6:]
    assert set(later) == {"pairing_checkin_logged", "pairing_ending_soon", "pairing_completed"}
    assert later[-1] == "pairing_completed"
    assert later.count("pairing_ending_soon") == later.count("pairing_completed") == 1
    [soon] = [e for e in events(matching_config) if e["type"] == "pairing_ending_soon"]
    assert datetime.fromisoformat(soon["data"]["ends_at"]) == ends
    completed = [e for e in events(matching_config) if e["type"] == "pairing_completed"][0]
    assert completed["data"]["resident"]["email"] == "maya.gurung@example.org"
    assert completed["data"]["partner"]["locale"] == "ja"



def test_the_public_area_list_is_the_table_matching_scores_with_names_in_ja_en_and_ne(matching):
    from matching.profiles import areas

    listed = call(matching, "list_areas")["areas"]
    assert [a["code"] for a in listed] == list(areas())
    assert all(a["name"]["ja"] and a["name"]["en"] and a["name"]["ne"] for a in listed)
    wards = [a for a in listed if a["kind"] == "ward"]
    assert len(wards) == 23 and wards[3]["name"] == {"ja": "新宿区", "en": "Shinjuku",
                                                     "ne": "शिन्जुकु"}
    # Every code on the list is one an application may give, and one off it is refused.
    body = {"name": "Maya Gurung", "email": "maya@example.org", "locale": "ne",
            "languages": [{"code": "ne", "level": "native"}], "slots": ["sat-morning"]}
    call(matching, "apply_resident", {**body, "area": listed[-1]["code"]})
    with pytest.raises(errors.InvalidInput) as refused:
        call(matching, "apply_resident", {**body, "email": "b@example.org",
                                             "area": "atlantis"})
    assert "area" in refused.value.details
