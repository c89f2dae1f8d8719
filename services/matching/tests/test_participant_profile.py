"""One participant in full for staff: the profile, their pairings and, for a volunteer, spot
requests and recent hours, through the real entrypoint on PostgreSQL."""

from __future__ import annotations

import pytest
from servicekit import errors
from test_matching_pairing_outcomes import spot_body, volunteer
from test_matching_service import (
    answer,
    application,
    approved,
    call,
    offer,
    partner_application,
)


def test_a_resident_in_full_with_their_pairings_naming_the_other_side(
        matching, matching_config, clock):
    resident = approved(matching, "resident", application(
        "Maya Gurung", locale="ne-NP", area="nakano", gender="female",
        languages=[{"code": "ne", "level": "native"}, {"code": "en", "level": "fluent"}],
        household_size=4, children_ages=[2, 5], interests=["cooking", "parks"],
        slots=["sat-morning", "sun-afternoon"], preferences={"partner_gender": "female"}))
    partner = approved(matching, "partner", partner_application(
        "Sato Yuki", gender="female", area="nakano", experience_ages=[3, 6], capacity=2))
    clock.advance(days=1)
    pairing_id, resident_token, partner_token = offer(matching, matching_config)
    answer(matching, resident_token, "accept")
    answer(matching, partner_token, "accept")
    call(matching, "run_matching")  # no one left: nothing proposed, nothing superseded

    maya = call(matching, "get_participant", resident)
    assert maya == {
        "id": resident, "role": "resident", "status": "approved", "status_reason": None,
        "status_note": None, "name": "Maya Gurung", "email": "maya.gurung@example.org",
        "locale": "ne", "gender": "female", "area": "nakano",
        "coordinates": maya["coordinates"],
        "languages": [{"code": "ne", "level": "native"}, {"code": "en", "level": "fluent"}],
        "household_size": 4, "children_ages": [2, 5], "experience_ages": [],
        "interests": ["cooking", "parks"], "slots": ["sat-morning", "sun-afternoon"],
        "preferences": {"partner_gender": "female"}, "cleared": None, "capacity": None,
        "waiting_runs": 0, "applied_at": "2026-04-01T00:00:00+00:00",
        "approved_at": "2026-04-01T00:00:00+00:00", "rejected_at": None,
        "withdrawn_at": None,
        "pairings": [{
            "id": pairing_id, "state": "active", "other": {"id": partner, "name": "Sato Yuki"},
            "proposed_at": "2026-04-02T00:00:00+00:00",
            "offered_at": "2026-04-02T00:00:00+00:00",
            "started_at": "2026-04-02T00:00:00+00:00",
            "ends_at": "2026-10-02T00:00:00+00:00", "finished_at": None,
            "close_reason": None}],
        "spot_requests": None, "hours_last_30_days": None,
    }
    assert set(maya["coordinates"]) == {"lat", "lon"}

    sato = call(matching, "get_participant", partner)
    assert (sato["role"], sato["cleared"], sato["capacity"]) == ("partner", True, 2)
    assert sato["experience_ages"] == [3, 6] and sato["locale"] == "ja"
    assert [(p["id"], p["other"]) for p in sato["pairings"]] == [
        (pairing_id, {"id": resident, "name": "Maya Gurung"})]
    assert sato["spot_requests"] is None


def test_superseded_proposals_are_left_out_and_the_latest_come_first(matching, clock):
    resident = approved(matching, "resident", application("Maya Gurung"))
    approved(matching, "partner", partner_application("Sato Yuki"))
    call(matching, "run_matching")
    clock.advance(hours=1)
    [latest] = call(matching, "run_matching")["proposals"]
    [shown] = call(matching, "get_participant", resident)["pairings"]
    assert (shown["id"], shown["state"]) == (latest["pairing_id"], "proposed")


def test_a_volunteer_in_full_with_spot_requests_and_hours_of_the_last_30_days(
        matching, clock):
    helper = approved(matching, "volunteer", volunteer("Near Volunteer"))
    old = call(matching, "create_spot_request", spot_body(
        kind="hospital", starts_at="2026-04-02T01:00:00+00:00"))
    call(matching, "accept_spot_request", old["id"], {"volunteer_id": helper})
    recent = call(matching, "create_spot_request", spot_body(
        starts_at="2026-05-07T01:00:00+00:00"))
    clock.now = clock.now.replace(day=2, hour=5)  # hours are logged after the visit
    call(matching, "complete_spot_request", old["id"], {"hours": 3})
    clock.advance(days=35)  # 7 May: the first one was logged 35 days ago
    call(matching, "accept_spot_request", recent["id"], {"volunteer_id": helper})
    call(matching, "complete_spot_request", recent["id"], {"hours": 2.5})
    upcoming = call(matching, "create_spot_request", spot_body(
        kind="school", starts_at="2026-05-20T01:00:00+00:00"))
    call(matching, "accept_spot_request", upcoming["id"], {"volunteer_id": helper})
    call(matching, "create_spot_request", spot_body(  # open: no one's yet
        starts_at="2026-05-30T01:00:00+00:00"))

    shown = call(matching, "get_participant", helper)
    assert (shown["role"], shown["cleared"], shown["capacity"]) == ("volunteer", True, 1)
    assert shown["hours_last_30_days"] == 2.5
    assert shown["pairings"] == []
    assert shown["spot_requests"] == [
        {"id": upcoming["id"], "kind": "school", "starts_at": "2026-05-20T01:00:00+00:00",
         "status": "assigned", "hours": None},
        {"id": recent["id"], "kind": "city_hall", "starts_at": "2026-05-07T01:00:00+00:00",
         "status": "completed", "hours": 2.5},
        {"id": old["id"], "kind": "hospital", "starts_at": "2026-04-02T01:00:00+00:00",
         "status": "completed", "hours": 3.0},
    ]


def test_a_departure_shows_its_reason_note_and_date(matching, clock):
    applicant = call(matching, "apply_partner", partner_application("Dup Licate"))["id"]
    clock.advance(hours=2)
    call(matching, "reject_participant", applicant,
         {"reason": "other", "note": "applied twice with two addresses"})
    shown = call(matching, "get_participant", applicant)
    assert (shown["status"], shown["status_reason"], shown["status_note"]) == (
        "rejected", "other", "applied twice with two addresses")
    assert shown["rejected_at"] == "2026-04-01T02:00:00+00:00"
    assert shown["approved_at"] is None and shown["cleared"] is False


def test_an_unknown_participant_is_not_found(matching):
    with pytest.raises(errors.NotFound):
        call(matching, "get_participant", "00000000-0000-4000-8000-000000000000")


@pytest.mark.parametrize("participant_id", ["nope", "", "1234", "6f1d2c3b-4a59-4e68-9d7c"])
def test_a_malformed_id_is_invalid_input_naming_it(matching, participant_id):
    with pytest.raises(errors.InvalidInput) as caught:
        call(matching, "get_participant", participant_id)
    assert "participant_id" in caught.value.details
