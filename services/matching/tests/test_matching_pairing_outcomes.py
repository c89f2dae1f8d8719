"""Declines, expiry, early closing, spot requests and reports through the real entrypoints."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from servicekit import errors
from servicekit.testing import query
from test_matching_service import (
    answer,
    application,
    approved,
    call,
    events,
    offer,
    partner_application,
)


@pytest.fixture
def pair(matching, matching_config):
    resident = approved(matching, "resident", application("Maya Gurung"))
    partner = approved(matching, "partner", partner_application("Sato Yuki"))
    return resident, partner


def test_a_declined_pair_is_never_proposed_again_and_both_return_to_the_pool(
        matching, matching_config, pair, clock):
    resident, partner = pair
    pairing_id, resident_token, _ = offer(matching, matching_config)
    assert answer(matching, resident_token, "decline")["state"] == "declined"
    declined = [e for e in events(matching_config) if e["type"] == "pairing_declined"]
    assert declined[0]["data"]["declined_by"] == "resident"
    assert declined[0]["data"]["partner"]["name"] == "Sato Yuki"

    run = call(matching, "run_matching")
    assert (run["residents"], run["partners"], run["proposals"]) == (1, 1, [])
    # a second partner is proposed to the same resident; the declined one is not
    other = approved(matching, "partner", partner_application("Tanaka Emi"))
    [proposal] = call(matching, "run_matching")["proposals"]
    assert (proposal["resident_id"], proposal["partner_id"]) == (resident, other)
    assert partner not in [a["partner_id"] for a in proposal["alternatives"]]


def test_an_offer_unanswered_for_three_days_expires_and_its_links_stop_working(
        matching, matching_config, pair, clock):
    pairing_id, resident_token, partner_token = offer(matching, matching_config)
    answer(matching, resident_token, "accept")
    clock.advance(days=2, hours=23)
    assert call(matching, "advance_pairings")["expired"] == 0
    clock.advance(hours=2)
    assert call(matching, "advance_pairings")["expired"] == 1
    assert call(matching, "get_pairing", pairing_id)["state"] == "expired"
    with pytest.raises(errors.Conflict):
        answer(matching, partner_token, "accept")
    # not a decline: the same pair may be proposed again
    [proposal] = call(matching, "run_matching")["proposals"]
    assert proposal["pairing_id"] != pairing_id
    assert "pairing_offer_expired" in [e["type"] for e in events(matching_config)]


def test_a_forged_or_altered_link_is_refused(matching, matching_config, pair):
    _, resident_token, _ = offer(matching, matching_config)
    with pytest.raises(errors.BadSignature):
        answer(matching, resident_token[:-2] + "xx", "accept")


def test_proposals_not_approved_are_superseded_by_the_next_run(matching, matching_config,
                                                               pair):
    first = call(matching, "run_matching")["proposals"][0]["pairing_id"]
    call(matching, "run_matching")
    assert call(matching, "get_pairing", first)["state"] == "superseded"
    with pytest.raises(errors.Conflict):
        call(matching, "approve_pairing", first)


def test_an_active_pairing_closed_early_records_the_reason(matching, matching_config, pair):
    pairing_id, resident_token, partner_token = offer(matching, matching_config)
    answer(matching, resident_token, "accept")
    answer(matching, partner_token, "accept")
    with pytest.raises(errors.InvalidInput):
        call(matching, "close_pairing", pairing_id, {"reason": "bored"})
    closed = call(matching, "close_pairing", pairing_id, {"reason": "moved", "note": "Osaka"})
    assert (closed["state"], closed["close_reason"]) == ("closed_early", "moved")
    event = events(matching_config)[-1]
    assert event["type"] == "pairing_closed_early" and event["data"]["reason"] == "moved"
    with pytest.raises(errors.Conflict):
        call(matching, "log_checkin", pairing_id, {})
    report = call(matching, "report")
    assert report["pairings_by_state"] == {"closed_early": 1}
    assert report["completion_rate"] == 0.0
    assert report["average_days_to_match"] == 0.0


def test_report_shows_waiting_by_language_and_area_and_supply_against_demand(matching):
    approved(matching, "resident", application("Maya Gurung", area="nakano", languages=[
        {"code": "ne", "level": "native"}, {"code": "en", "level": "conversational"}]))
    approved(matching, "resident", application("Ana Santos", area="shinjuku"))
    approved(matching, "partner", partner_application("Sato Yuki"))
    report = call(matching, "report")
    assert report["waiting_residents"] == 2
    assert report["waiting_by_area"] == {"nakano": 1, "shinjuku": 1}
    assert report["waiting_by_language"] == {"en": 2, "ja": 1, "ne": 1}
    assert report["supply_and_demand_by_language"]["ne"] == {"residents": 1, "partners": 0}
    assert report["supply_and_demand_by_language"]["en"] == {"residents": 2, "partners": 1}


def volunteer(name: str, **overrides) -> dict:
    return partner_application(name, slots=["sat-morning"], **overrides)


def spot_body(**overrides) -> dict:
    body = {"name": "Maya Gurung", "email": "maya@example.org", "locale": "ne",
            "kind": "city_hall", "starts_at": "2026-04-11T01:00:00+00:00",  # Sat 10:00 JST
            "area": "shinjuku", "languages": ["ne", "en"]}
    body.update(overrides)
    return body


def test_a_spot_request_from_creation_to_completion_with_hours(matching, matching_config,
                                                              clock):
    near = approved(matching, "volunteer", volunteer("Near Volunteer"))
    far = approved(matching, "volunteer", volunteer("Far Volunteer", area="fuchu"))
    busy = approved(matching, "volunteer", volunteer("Busy Volunteer"))
    approved(matching, "volunteer", volunteer("Only Japanese", languages=[
        {"code": "ja", "level": "native"}]))
    for _ in range(2):  # Busy Volunteer helped twice this month
        previous = call(matching, "create_spot_request", spot_body(kind="hospital"))
        call(matching, "accept_spot_request", previous["id"], {"volunteer_id": busy})

    created = call(matching, "create_spot_request", spot_body())
    assert created["status"] == "open"
    ranked = call(matching, "spot_candidates", created["id"])["candidates"]
    assert [c["volunteer_id"] for c in ranked] == [near, busy, far]  # no Nepali/English: out
    assert ranked[0]["breakdown"]["availability"] == 1.0
    assert ranked[1]["breakdown"]["load"] == pytest.approx(1 / 3, abs=1e-4)

    assigned = call(matching, "accept_spot_request", created["id"], {"volunteer_id": near})
    assert assigned["status"] == "assigned"
    with pytest.raises(errors.Conflict):
        call(matching, "accept_spot_request", created["id"], {"volunteer_id": far})
    clock.now = clock.now.replace(day=11, hour=4)  # the visit began three hours ago
    done = call(matching, "complete_spot_request", created["id"], {"hours": 2.5})
    assert (done["status"], done["hours"]) == ("completed", 2.5)
    kinds = [e["type"] for e in events(matching_config) if e["type"].startswith("spot_")]
    assert kinds[-3:] == ["spot_request_created", "spot_request_assigned",
                          "spot_request_completed"]
    completed = events(matching_config)[-1]["data"]
    assert completed["volunteer"]["name"] == "Near Volunteer"
    assert completed["requester"]["locale"] == "ne" and completed["hours"] == 2.5
    # Mail about the request names the area as people know it, not by its code.
    spot_events = [e["data"] for e in events(matching_config) if e["type"].startswith("spot_")]
    assert {e["area"] for e in spot_events[-3:]} == {"shinjuku"}
    assert all(e["area_name"] == {"ja": "新宿区", "en": "Shinjuku"} for e in spot_events[-3:])


def test_a_spot_request_can_be_cancelled_and_bad_ones_are_invalid(matching, matching_config):
    created = call(matching, "create_spot_request", spot_body())
    cancelled = call(matching, "cancel_spot_request", created["id"], {"reason": "sorted out"})
    assert cancelled["status"] == "cancelled"
    with pytest.raises(errors.InvalidInput) as caught:
        call(matching, "create_spot_request", spot_body(kind="karaoke", area="atlantis",
                                                        languages=["xx"]))
    assert {"kind", "languages"} <= set(caught.value.details)
    # the area table is the service's: checked once the request is well formed
    with pytest.raises(errors.InvalidInput) as caught:
        call(matching, "create_spot_request", spot_body(area="atlantis"))
    assert set(caught.value.details) == {"area"}
    assert query(matching_config["DATABASE_URL"],
                 "SELECT count(*) AS n FROM spot_requests")[0]["n"] == 1


def test_the_time_driven_steps_run_from_the_nameko_timer(container_factory, matching_config):
    from matching.clock import Clock, MovableClock
    from matching.service import MatchingService
    from nameko.testing.utils import get_extension
    from servicekit.testing import wait_until

    clock = MovableClock(datetime(2026, 4, 1, tzinfo=UTC))
    container = container_factory(MatchingService, {**matching_config,
                                                    "MATCHING_TICK_SECONDS": 0.1})
    get_extension(container, Clock).source = clock
    container.start()
    approved(container, "resident", application("Maya Gurung"))
    approved(container, "partner", partner_application("Sato Yuki"))
    pairing_id, _, _ = offer(container, matching_config)
    clock.advance(days=4)
    wait_until(lambda: call(container, "get_pairing", pairing_id)["state"] == "expired",
               message="the timer to expire the offer")
