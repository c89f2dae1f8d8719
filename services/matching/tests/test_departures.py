"""Turning applicants away and people leaving, through the real entrypoints on PostgreSQL:
never matched again, what they were offered is cancelled, what is under way is refused, and
one event each, written with the change."""

from __future__ import annotations

import eventlet
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


def of_type(config, event_type: str) -> list[dict]:
    return [e["data"] for e in events(config) if e["type"] == event_type]


def status_of(config, participant_id: str) -> str:
    [row] = query(config["DATABASE_URL"], "SELECT status FROM participants WHERE id = %s",
                  (participant_id,))
    return row["status"]


def test_a_rejected_applicant_is_announced_once_and_never_matched(matching, matching_config):
    applicant = call(matching, "apply_resident", application("Maya Gurung"))["id"]
    approved(matching, "partner", partner_application("Sato Yuki"))

    rejected = call(matching, "reject_participant", applicant,
                    {"reason": "duplicate", "note": "applied twice; see the other form"})
    assert (rejected["status"], rejected["status_reason"]) == ("rejected", "duplicate")
    assert rejected["rejected_at"] == "2026-04-01T00:00:00+00:00"
    again = call(matching, "reject_participant", applicant, {"reason": "not_eligible"})
    assert (again["status"], again["status_reason"]) == ("rejected", "duplicate")

    [event] = of_type(matching_config, "participant_rejected")
    assert event == {"participant_id": applicant, "name": "Maya Gurung",
                     "email": "maya.gurung@example.org", "locale": "en", "role": "resident",
                     "reason": "duplicate", "rejected_at": "2026-04-01T00:00:00+00:00"}
    # screening cannot approve them later by mistake, nor the matching run find them
    with pytest.raises(errors.Conflict):
        call(matching, "approve_participant", applicant, {})
    with pytest.raises(errors.Conflict):
        call(matching, "withdraw_participant", applicant, {"reason": "moved"})
    run = call(matching, "run_matching")
    assert (run["residents"], run["proposals"]) == (0, [])
    assert status_of(matching_config, applicant) == "rejected"


def test_an_approved_participant_is_withdrawn_not_rejected(matching, matching_config):
    resident = approved(matching, "resident", application("Maya Gurung"))
    with pytest.raises(errors.Conflict, match="withdraw them instead"):
        call(matching, "reject_participant", resident, {"reason": "not_eligible"})
    assert of_type(matching_config, "participant_rejected") == []


def test_withdrawing_a_partner_cancels_their_offer_and_frees_the_resident(
        matching, matching_config, clock):
    resident = approved(matching, "resident", application("Maya Gurung"))
    leaving = approved(matching, "partner", partner_application("Sato Yuki"))
    pairing_id, resident_token, _ = offer(matching, matching_config)

    clock.advance(days=1)
    withdrawn = call(matching, "withdraw_participant", leaving,
                     {"reason": "moved", "note": "moved to Osaka"})
    assert withdrawn["status"] == "withdrawn"
    assert withdrawn["cancelled_pairings"] == [pairing_id]
    pairing = call(matching, "get_pairing", pairing_id)
    assert (pairing["state"], pairing["close_reason"]) == ("cancelled", "partner_withdrawn")
    [event] = of_type(matching_config, "participant_withdrawn")
    assert event["participant_id"] == leaving and event["role"] == "partner"
    assert event["previous_status"] == "approved" and event["reason"] == "moved"
    assert event["cancelled_pairings"] == [pairing_id]
    # the resident was offered this pairing and is waiting on it: the event names them
    assert event["cancelled_offers"] == [{"pairing_id": pairing_id, "other": {
        "participant_id": resident, "name": "Maya Gurung", "email": "maya.gurung@example.org",
        "locale": "en"}}]
    assert "note" not in event  # the staff's note stays in matching
    assert event["withdrawn_at"] == "2026-04-02T00:00:00+00:00"

    with pytest.raises(errors.Conflict):  # the offer e-mail's link no longer works
        answer(matching, resident_token, "accept")
    # the resident is ready again and meets someone else; the partner who left is not there
    other = approved(matching, "partner", partner_application("Tanaka Emi"))
    run = call(matching, "run_matching")
    assert run["partners"] == 1
    [proposal] = run["proposals"]
    assert (proposal["resident_id"], proposal["partner_id"]) == (resident, other)
    assert leaving not in [a["partner_id"] for a in proposal["alternatives"]]


def test_a_withdrawn_residents_proposal_cannot_be_approved(matching, matching_config):
    resident = approved(matching, "resident", application("Maya Gurung"))
    approved(matching, "partner", partner_application("Sato Yuki"))
    [proposal] = call(matching, "run_matching")["proposals"]

    withdrawn = call(matching, "withdraw_participant", resident, {"reason": "no_longer_needed"})
    assert withdrawn["cancelled_pairings"] == [proposal["pairing_id"]]
    with pytest.raises(errors.Conflict):
        call(matching, "approve_pairing", proposal["pairing_id"])
    assert of_type(matching_config, "pairing_offered") == []
    assert call(matching, "run_matching")["residents"] == 0
    # a proposal was never shown to the partner: nobody is to be told it is off
    [event] = of_type(matching_config, "participant_withdrawn")
    assert event["cancelled_pairings"] == [proposal["pairing_id"]]
    assert event["cancelled_offers"] == []


def test_a_withdrawal_names_the_other_side_of_each_offer_but_not_of_a_proposal(
        matching, matching_config):
    maya = approved(matching, "resident", application("Maya Gurung", locale="ne-NP"))
    ana = approved(matching, "resident", application("Ana Santos"))
    leaving = approved(matching, "partner", partner_application("Sato Yuki", capacity=2))
    proposals = {p["resident_id"]: p["pairing_id"]
                 for p in call(matching, "run_matching")["proposals"]}
    assert set(proposals) == {maya, ana}
    call(matching, "approve_pairing", proposals[maya])  # offered; Ana's stays a proposal

    withdrawn = call(matching, "withdraw_participant", leaving, {"reason": "own_request"})
    assert sorted(withdrawn["cancelled_pairings"]) == sorted(proposals.values())
    [event] = of_type(matching_config, "participant_withdrawn")
    assert sorted(event["cancelled_pairings"]) == sorted(proposals.values())
    assert event["cancelled_offers"] == [{"pairing_id": proposals[maya], "other": {
        "participant_id": maya, "name": "Maya Gurung", "email": "maya.gurung@example.org",
        "locale": "ne"}}]


def test_an_applicant_can_withdraw_before_screening(matching, matching_config):
    applicant = call(matching, "apply_partner", partner_application("Sato Yuki"))["id"]
    withdrawn = call(matching, "withdraw_participant", applicant, {"reason": "own_request"})
    assert (withdrawn["status"], withdrawn["cancelled_pairings"]) == ("withdrawn", [])
    [event] = of_type(matching_config, "participant_withdrawn")
    assert event["previous_status"] == "applied"
    assert event["cancelled_offers"] == []
    with pytest.raises(errors.Conflict):
        call(matching, "approve_participant", applicant, {})


def test_someone_in_a_running_pairing_withdraws_only_once_it_is_closed_early(
        matching, matching_config):
    resident = approved(matching, "resident", application("Maya Gurung"))
    approved(matching, "partner", partner_application("Sato Yuki"))
    pairing_id, resident_token, partner_token = offer(matching, matching_config)
    answer(matching, resident_token, "accept")
    answer(matching, partner_token, "accept")

    with pytest.raises(errors.Conflict, match=f"pairing {pairing_id} is active: close it early"):
        call(matching, "withdraw_participant", resident, {"reason": "moved"})
    assert status_of(matching_config, resident) == "approved"
    assert call(matching, "get_pairing", pairing_id)["state"] == "active"
    assert of_type(matching_config, "participant_withdrawn") == []

    call(matching, "close_pairing", pairing_id, {"reason": "moved"})
    withdrawn = call(matching, "withdraw_participant", resident, {"reason": "moved"})
    assert (withdrawn["status"], withdrawn["cancelled_pairings"]) == ("withdrawn", [])
    assert call(matching, "get_pairing", pairing_id)["state"] == "closed_early"


def test_a_volunteer_with_an_assigned_request_is_refused_then_never_asked_again(
        matching, matching_config):
    helper = approved(matching, "volunteer", volunteer("Near Volunteer"))
    request = call(matching, "create_spot_request", spot_body())
    call(matching, "accept_spot_request", request["id"], {"volunteer_id": helper})
    with pytest.raises(errors.Conflict, match="assigned to this volunteer"):
        call(matching, "withdraw_participant", helper, {"reason": "moved"})

    call(matching, "cancel_spot_request", request["id"], {"reason": "volunteer moving"})
    call(matching, "withdraw_participant", helper, {"reason": "moved"})
    later = call(matching, "create_spot_request", spot_body())
    assert call(matching, "spot_candidates", later["id"])["candidates"] == []
    with pytest.raises(errors.Conflict):
        call(matching, "accept_spot_request", later["id"], {"volunteer_id": helper})


def test_two_withdrawals_at_once_change_it_once_and_emit_one_event(matching, matching_config):
    resident = approved(matching, "resident", application("Maya Gurung"))
    approved(matching, "partner", partner_application("Sato Yuki"))
    [proposal] = call(matching, "run_matching")["proposals"]

    # (nameko's hook hands both callers the first result: what counts is in the database)
    threads = [eventlet.spawn(call, matching, "withdraw_participant", resident,
                              {"reason": "moved"}) for _ in range(2)]
    assert {t.wait()["status"] for t in threads} == {"withdrawn"}
    assert status_of(matching_config, resident) == "withdrawn"
    [event] = of_type(matching_config, "participant_withdrawn")
    assert event["cancelled_pairings"] == [proposal["pairing_id"]]


@pytest.mark.parametrize("method, body, field", [
    ("reject_participant", {"reason": "too_young"}, "reason"),
    ("reject_participant", {}, "reason"),
    ("reject_participant", {"reason": "other"}, "note"),
    ("reject_participant", {"reason": "other", "note": "   "}, "note"),
    ("reject_participant", {"reason": "duplicate", "note": "x" * 501}, "note"),
    ("reject_participant", {"reason": "duplicate", "why": "x"}, "why"),
    ("withdraw_participant", {"reason": "duplicate"}, "reason"),
    ("withdraw_participant", {"reason": "other"}, "note"),
])
def test_bad_reasons_are_invalid_input_naming_the_field(matching, matching_config, method,
                                                        body, field):
    applicant = call(matching, "apply_resident", application("Maya Gurung"))["id"]
    with pytest.raises(errors.InvalidInput) as caught:
        call(matching, method, applicant, body)
    assert field in caught.value.details
    assert status_of(matching_config, applicant) == "applied"


def test_other_with_a_note_is_accepted(matching):
    applicant = call(matching, "apply_resident", application("Maya Gurung"))["id"]
    rejected = call(matching, "reject_participant", applicant,
                    {"reason": "other", "note": "lives outside the Tokyo area"})
    assert rejected["status_note"] == "lives outside the Tokyo area"


@pytest.mark.parametrize("participant_id", ["not-a-uuid",
                                            "00000000-0000-4000-8000-000000000000"])
def test_an_unknown_participant_is_not_found(matching, participant_id):
    with pytest.raises(errors.NotFound):
        call(matching, "withdraw_participant", participant_id, {"reason": "moved"})
    with pytest.raises(errors.NotFound):
        call(matching, "reject_participant", participant_id, {"reason": "duplicate"})


def test_what_is_logged_of_a_departure_names_no_one(matching, caplog):
    applicant = call(matching, "apply_resident", application("Maya Gurung"))["id"]
    caplog.clear()
    call(matching, "reject_participant", applicant,
         {"reason": "other", "note": "Maya said she found help elsewhere"})
    other = approved(matching, "partner", partner_application("Sato Yuki"))
    call(matching, "withdraw_participant", other, {"reason": "moved"})
    call(matching, "list_participants", {})
    assert "participant rejected" in caplog.text and applicant in caplog.text
    for personal in ("Maya", "Sato", "@example.org", "found help"):
        assert personal not in caplog.text
