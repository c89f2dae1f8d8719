"""Rules on dates (requests ahead but not years ahead, hours after the visit, meetings not in
the future) and on applying twice, through the real entrypoints with the injected clock."""

from __future__ import annotations

import pytest
from servicekit import errors
from servicekit.testing import query
from test_matching_pairing_outcomes import spot_body, volunteer
from test_matching_service import (
    answer,
    application,
    approved,
    call,
    events,
    offer,
    partner_application,
)

# The clock reads 2026-04-01 00:00 UTC (09:00 in Tokyo).


def spot_count(config) -> int:
    return query(config["DATABASE_URL"], "SELECT count(*) AS n FROM spot_requests")[0]["n"]


@pytest.mark.parametrize("starts_at", [
    "2026-03-31T23:00:00+00:00",   # an hour ago
    "2025-04-11T01:00:00+00:00",   # a year ago (a mistyped year)
    "2026-10-01T01:00:00+00:00",   # six months and a day ahead
    "2029-04-11T01:00:00+00:00",   # years ahead
])
def test_a_spot_request_in_the_past_or_too_far_ahead_is_refused_naming_starts_at(
        matching, matching_config, starts_at):
    with pytest.raises(errors.InvalidInput) as caught:
        call(matching, "create_spot_request", spot_body(starts_at=starts_at))
    assert list(caught.value.details) == ["starts_at"]
    assert spot_count(matching_config) == 0


def test_a_spot_request_up_to_six_months_ahead_is_accepted(matching, matching_config):
    call(matching, "create_spot_request", spot_body(starts_at="2026-09-30T01:00:00+00:00"))
    call(matching, "create_spot_request", spot_body(starts_at="2026-04-01T03:00:00+00:00"))
    assert spot_count(matching_config) == 2


@pytest.fixture
def assigned_visit(matching):
    helper = approved(matching, "volunteer", volunteer("Near Volunteer"))
    # Saturday 11 April, 10:00 in Tokyo
    request = call(matching, "create_spot_request", spot_body())
    call(matching, "accept_spot_request", request["id"], {"volunteer_id": helper})
    return request["id"]


def test_hours_are_refused_before_the_visit_and_beyond_the_time_since_it_began(
        matching, matching_config, clock, assigned_visit):
    with pytest.raises(errors.InvalidInput) as caught:
        call(matching, "complete_spot_request", assigned_visit, {"hours": 2})
    assert list(caught.value.details) == ["hours"]
    clock.now = clock.now.replace(day=11, hour=2)  # an hour into the visit
    with pytest.raises(errors.InvalidInput) as caught:
        call(matching, "complete_spot_request", assigned_visit, {"hours": 2})
    assert list(caught.value.details) == ["hours"]
    assert not [e for e in events(matching_config) if e["type"] == "spot_request_completed"]

    clock.now = clock.now.replace(hour=4)
    done = call(matching, "complete_spot_request", assigned_visit, {"hours": 2})
    assert (done["status"], done["hours"]) == ("completed", 2.0)


@pytest.fixture
def active_pairing(matching, matching_config, clock):
    approved(matching, "resident", application("Maya Gurung"))
    approved(matching, "partner", partner_application("Sato Yuki"))
    pairing_id, resident_token, partner_token = offer(matching, matching_config)
    answer(matching, resident_token, "accept")
    answer(matching, partner_token, "accept")  # started 2026-04-01, Tokyo
    clock.advance(days=10)  # 2026-04-11 09:00 in Tokyo
    return pairing_id


@pytest.mark.parametrize("met_on", ["2026-04-12", "2027-01-01", "2026-03-31"])
def test_a_checkin_for_a_meeting_in_the_future_or_before_the_pairing_is_refused(
        matching, matching_config, active_pairing, met_on):
    with pytest.raises(errors.InvalidInput) as caught:
        call(matching, "log_checkin", active_pairing, {"met_on": met_on})
    assert list(caught.value.details) == ["met_on"]
    assert not [e for e in events(matching_config) if e["type"] == "pairing_checkin_logged"]


def test_a_checkin_for_today_in_tokyo_is_accepted(matching, clock, active_pairing):
    clock.now = clock.now.replace(hour=16)  # 01:00 on the 12th in Tokyo, still the 11th in UTC
    logged = call(matching, "log_checkin", active_pairing, {"met_on": "2026-04-12"})
    assert logged["pairing"]["state"] == "active"


def applications(config) -> int:
    return query(config["DATABASE_URL"], "SELECT count(*) AS n FROM participants")[0]["n"]


@pytest.mark.parametrize("role", ["resident", "partner", "volunteer"])
def test_a_second_live_application_with_the_same_email_is_refused_without_details(
        matching, matching_config, role):
    first = call(matching, f"apply_{role}", partner_application("Sato Yuki"))
    call(matching, "approve_participant", first["id"], {})
    with pytest.raises(errors.Conflict) as caught:
        call(matching, f"apply_{role}", partner_application(
            "Yuki Sato", email="SATO.Yuki@example.org"))
    assert "Sato" not in str(caught.value) and "approved" not in str(caught.value)
    assert caught.value.details == {}
    assert applications(matching_config) == 1
    assert len([e for e in events(matching_config) if e["type"] == "participant_applied"]) == 1


def test_the_same_email_may_apply_in_another_role_or_again_after_leaving(matching,
                                                                         matching_config):
    first = call(matching, "apply_resident", application("Maya Gurung"))
    call(matching, "apply_volunteer", application("Maya Gurung"))
    call(matching, "withdraw_participant", first["id"], {"reason": "moved"})
    again = call(matching, "apply_resident", application("Maya Gurung"))
    call(matching, "reject_participant", again["id"], {"reason": "not_eligible"})
    call(matching, "apply_resident", application("Maya Gurung"))
    assert applications(matching_config) == 4
