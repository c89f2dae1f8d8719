"""What events carry so people can be told: the contact each side of a pairing agreed to
share, and the volunteer of a cancelled spot request."""

from __future__ import annotations

from test_matching_pairing_outcomes import spot_body, volunteer
from test_matching_service import (
    application,
    approved,
    call,
    events,
    offer,
    partner_application,
)


def last(config, kind: str) -> dict:
    return [e for e in events(config) if e["type"] == kind][-1]["data"]


def respond(matching, token: str, **body) -> dict:
    return call(matching, "respond_to_pairing", {"token": token, "answer": "accept", **body})


def test_pairing_started_carries_what_each_side_agreed_to_share(matching, matching_config):
    approved(matching, "resident", application("Maya Gurung"))
    approved(matching, "partner", partner_application("Sato Yuki"))
    _, resident_token, partner_token = offer(matching, matching_config)
    respond(matching, resident_token, share_contact=True)
    assert respond(matching, partner_token)["state"] == "active"  # no consent given
    started = last(matching_config, "pairing_started")
    assert started["shared_contact"] == {"resident": ["name", "email"], "partner": []}


def test_an_acceptance_clicked_again_replaces_the_consent(matching, matching_config):
    approved(matching, "resident", application("Maya Gurung"))
    approved(matching, "partner", partner_application("Sato Yuki"))
    _, resident_token, partner_token = offer(matching, matching_config)
    respond(matching, resident_token, share_contact=True)
    respond(matching, resident_token, share_contact=False)
    respond(matching, partner_token, share_contact=True)
    started = last(matching_config, "pairing_started")
    assert started["shared_contact"] == {"resident": [], "partner": ["name", "email"]}


def test_cancelling_an_assigned_request_names_its_volunteer_and_an_open_one_none(
        matching, matching_config):
    helper = approved(matching, "volunteer", volunteer("Near Volunteer"))
    assigned = call(matching, "create_spot_request", spot_body())
    call(matching, "accept_spot_request", assigned["id"], {"volunteer_id": helper})
    call(matching, "cancel_spot_request", assigned["id"], {"reason": "sorted out"})
    cancelled = last(matching_config, "spot_request_cancelled")
    assert cancelled["volunteer"]["participant_id"] == helper
    assert cancelled["volunteer"]["email"] == "near.volunteer@example.org"

    still_open = call(matching, "create_spot_request", spot_body())
    call(matching, "cancel_spot_request", still_open["id"], {"reason": "sorted out"})
    assert "volunteer" not in last(matching_config, "spot_request_cancelled")
