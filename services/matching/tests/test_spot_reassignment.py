"""Handing an assigned spot request to another volunteer: who may take it, what is announced
(once), the reminder starting over, and two staff doing it at once; real entrypoints on
PostgreSQL with the injected clock."""

from __future__ import annotations

from datetime import UTC, datetime

import eventlet
import pytest
from matching.clock import Clock
from matching.service import MatchingService
from nameko.testing.services import entrypoint_hook
from nameko.testing.utils import get_extension
from servicekit import errors
from servicekit.db import connect
from servicekit.testing import query, wait_until
from test_matching_pairing_outcomes import spot_body, volunteer
from test_matching_service import application, approved, call, events, partner_application

# The clock reads 2026-04-01 00:00 UTC; the request is on Saturday 11 April, 10:00 in Tokyo.
STARTS_AT = "2026-04-11T01:00:00+00:00"
EVE = datetime(2026, 4, 9, 15, 0, tzinfo=UTC)  # midnight of the 10th in Tokyo: reminders due


def reassign(container, request_id: str, body: dict, staff: str = "staff-7") -> dict:
    with entrypoint_hook(container, "reassign_spot_request",
                         context_data={"staff_subject": staff, "staff_role": "staff"}) as hook:
        return hook(request_id, body)


def spot_events(config, kind: str) -> list[dict]:
    return [e["data"] for e in events(config) if e["type"] == kind]


def request_row(config, request_id: str) -> dict:
    [row] = query(config["DATABASE_URL"], "SELECT * FROM spot_requests WHERE id = %s",
                  (request_id,))
    return row


@pytest.fixture
def assigned(matching):
    """An assigned request (Nepali or English) and the volunteers around it."""
    first = approved(matching, "volunteer", volunteer("First Volunteer"))
    second = approved(matching, "volunteer", volunteer("Second Volunteer", area="nakano"))
    request = call(matching, "create_spot_request", spot_body(starts_at=STARTS_AT))
    call(matching, "accept_spot_request", request["id"], {"volunteer_id": first})
    return {"id": request["id"], "first": first, "second": second}


def test_the_new_volunteer_takes_over_announced_once_and_is_reminded_again(
        matching, matching_config, clock, assigned):
    clock.now = EVE
    assert call(matching, "remind_spot_requests")["reminders"] == 1  # to the first volunteer
    assert request_row(matching_config, assigned["id"])["reminder_sent_at"] == EVE
    assigned_before = len(spot_events(matching_config, "spot_request_assigned"))

    clock.advance(hours=2)
    result = reassign(matching, assigned["id"], {
        "volunteer_id": assigned["second"], "reason": "volunteer_unavailable",
        "note": "caught the flu"})
    assert (result["id"], result["status"], result["volunteer_id"]) == (
        assigned["id"], "assigned", assigned["second"])

    [unassigned] = spot_events(matching_config, "spot_request_unassigned")
    assert unassigned == {
        "spot_request_id": assigned["id"], "kind": "city_hall", "starts_at": STARTS_AT,
        "area": "shinjuku", "area_name": {"ja": "新宿区", "en": "Shinjuku"},
        "reason": "volunteer_unavailable", "unassigned_at": "2026-04-09T17:00:00+00:00",
        "volunteer": {"participant_id": assigned["first"], "name": "First Volunteer",
                      "email": "first.volunteer@example.org", "locale": "ja"}}
    announced = spot_events(matching_config, "spot_request_assigned")
    assert len(announced) == assigned_before + 1
    assert announced[-1]["volunteer"]["participant_id"] == assigned["second"]
    assert announced[-1]["requester"] == {"name": "Maya Gurung", "email": "maya@example.org",
                                          "locale": "ne"}
    kinds = [e["type"] for e in events(matching_config)]
    assert kinds[-2:] == ["spot_request_unassigned", "spot_request_assigned"]

    row = request_row(matching_config, assigned["id"])
    assert str(row["volunteer_id"]) == assigned["second"]
    assert row["reminder_sent_at"] is None
    assert row["assigned_at"] == datetime(2026, 4, 9, 17, tzinfo=UTC)  # their load from now
    [handover] = query(matching_config["DATABASE_URL"], "SELECT * FROM spot_reassignments")
    assert (str(handover["from_volunteer_id"]), str(handover["to_volunteer_id"]),
            handover["reason"], handover["note"], handover["reassigned_by"]) == (
        assigned["first"], assigned["second"], "volunteer_unavailable", "caught the flu",
        "staff-7")

    # the next tick reminds both sides again, naming the new volunteer; then no more
    assert call(matching, "remind_spot_requests")["reminders"] == 1
    reminders = spot_events(matching_config, "spot_request_reminder_due")
    assert [r["volunteer"]["participant_id"] for r in reminders] == [
        assigned["first"], assigned["second"]]
    assert call(matching, "remind_spot_requests")["reminders"] == 0

    # the first volunteer no longer holds anything up: they can leave
    call(matching, "withdraw_participant", assigned["first"], {"reason": "own_request"})


def test_a_request_not_yet_reminded_is_reminded_once_with_the_new_volunteer(
        matching, matching_config, clock, assigned):
    reassign(matching, assigned["id"], {"volunteer_id": assigned["second"],
                                        "reason": "requester_request"})
    assert call(matching, "remind_spot_requests")["reminders"] == 0  # not the day before yet
    clock.now = EVE
    assert call(matching, "remind_spot_requests")["reminders"] == 1
    [reminder] = spot_events(matching_config, "spot_request_reminder_due")
    assert reminder["volunteer"]["participant_id"] == assigned["second"]


@pytest.fixture
def others(matching):
    """Participants who may not take the request, each for one reason."""
    applicant = call(matching, "apply_volunteer", volunteer("Not Yet Approved"))["id"]
    withdrawn = approved(matching, "volunteer", volunteer("Gone Away"))
    call(matching, "withdraw_participant", withdrawn, {"reason": "moved"})
    return {
        "applicant": applicant, "withdrawn": withdrawn,
        "partner": approved(matching, "partner", partner_application("A Partner")),
        "resident": approved(matching, "resident", application("A Resident")),
        "japanese_only": approved(matching, "volunteer", volunteer(
            "Only Japanese", languages=[{"code": "ja", "level": "native"}])),
        "basic_english": approved(matching, "volunteer", volunteer(
            "Basic English", languages=[{"code": "ja", "level": "native"},
                                        {"code": "en", "level": "basic"}])),
    }


@pytest.mark.parametrize("who, detail", [
    ("first", "already assigned"),
    ("applicant", "only a cleared volunteer"),
    ("withdrawn", "only a cleared volunteer"),
    ("partner", "only a cleared volunteer"),
    ("resident", "only a cleared volunteer"),
    ("japanese_only", "speaks none of the request's languages"),
    ("basic_english", "speaks none of the request's languages"),
])
def test_a_volunteer_who_may_not_take_it_is_refused_and_nothing_changes(
        matching, matching_config, assigned, others, who, detail):
    volunteer_id = {**assigned, **others}[who]
    before = events(matching_config)
    with pytest.raises(errors.Conflict) as caught:
        reassign(matching, assigned["id"], {"volunteer_id": volunteer_id,
                                            "reason": "volunteer_unavailable"})
    assert detail in caught.value.message
    assert events(matching_config) == before
    assert str(request_row(matching_config, assigned["id"])["volunteer_id"]) == \
        assigned["first"]


def test_a_speaker_of_either_language_may_take_it(matching, matching_config, assigned):
    nepali = approved(matching, "volunteer", volunteer("Nepali Speaker", languages=[
        {"code": "ne", "level": "conversational"}, {"code": "ja", "level": "native"}]))
    assert reassign(matching, assigned["id"], {
        "volunteer_id": nepali, "reason": "volunteer_unreachable"})["volunteer_id"] == nepali


def test_a_reassignment_made_on_a_stale_view_is_refused_and_the_earlier_one_stands(
        matching, matching_config, assigned):
    # Two staff looked at the same request; the first hands it to the second volunteer.
    reassign(matching, assigned["id"], {"volunteer_id": assigned["second"],
                                        "reason": "volunteer_unavailable",
                                        "replacing": assigned["first"]})
    third = approved(matching, "volunteer", volunteer("Third Volunteer"))
    before = events(matching_config)
    with pytest.raises(errors.Conflict) as caught:
        reassign(matching, assigned["id"], {"volunteer_id": third,
                                            "reason": "volunteer_unavailable",
                                            "replacing": assigned["first"]})
    assert "meanwhile" in caught.value.message
    assert events(matching_config) == before
    assert str(request_row(matching_config, assigned["id"])["volunteer_id"]) == \
        assigned["second"]


def test_an_unknown_volunteer_or_request_is_not_found(matching, assigned):
    with pytest.raises(errors.NotFound):
        reassign(matching, assigned["id"], {"volunteer_id": "00000000-0000-4000-8000-"
                                            "000000000000", "reason": "other", "note": "x"})
    for request_id in ("00000000-0000-4000-8000-000000000000", "nope"):
        with pytest.raises(errors.NotFound):
            reassign(matching, request_id, {"volunteer_id": assigned["second"],
                                            "reason": "volunteer_unavailable"})


def test_only_an_assigned_request_still_ahead_can_be_reassigned(matching, matching_config,
                                                               clock, assigned):
    body = {"volunteer_id": assigned["second"], "reason": "volunteer_unavailable"}
    still_open = call(matching, "create_spot_request", spot_body())
    with pytest.raises(errors.Conflict, match="is open: accept it instead"):
        reassign(matching, still_open["id"], body)
    done = call(matching, "create_spot_request",
                spot_body(starts_at="2026-04-01T00:30:00+00:00"))
    call(matching, "accept_spot_request", done["id"], {"volunteer_id": assigned["first"]})
    clock.advance(hours=2)  # the visit took place
    call(matching, "complete_spot_request", done["id"], {"hours": 1})
    with pytest.raises(errors.Conflict, match="is completed"):
        reassign(matching, done["id"], body)
    call(matching, "cancel_spot_request", still_open["id"], {"reason": "sorted out"})
    with pytest.raises(errors.Conflict, match="is cancelled"):
        reassign(matching, still_open["id"], body)

    clock.now = datetime.fromisoformat(STARTS_AT)  # the moment it starts
    before = events(matching_config)
    with pytest.raises(errors.Conflict, match="already started"):
        reassign(matching, assigned["id"], body)
    assert events(matching_config) == before


@pytest.mark.parametrize("body, field", [
    ({"reason": "volunteer_unavailable"}, "volunteer_id"),
    ({"volunteer_id": "42", "reason": "volunteer_unavailable"}, "volunteer_id"),
    ({"volunteer_id": None, "reason": "volunteer_unavailable"}, "volunteer_id"),
    ({"volunteer_id": "SECOND"}, "reason"),
    ({"volunteer_id": "SECOND", "reason": "bored"}, "reason"),
    ({"volunteer_id": "SECOND", "reason": "moved"}, "reason"),  # a withdrawal reason
    ({"volunteer_id": "SECOND", "reason": "other"}, "note"),  # say what
    ({"volunteer_id": "SECOND", "reason": "other", "note": "  "}, "note"),
    ({"volunteer_id": "SECOND", "reason": "other", "note": "x" * 501}, "note"),
    ({"volunteer_id": "SECOND", "reason": "volunteer_unavailable", "why": "x"}, "why"),
])
def test_bad_reassignments_are_invalid_input_naming_the_field(matching, matching_config,
                                                              assigned, body, field):
    body = {k: assigned["second"] if v == "SECOND" else v for k, v in body.items()}
    before = events(matching_config)
    with pytest.raises(errors.InvalidInput) as caught:
        reassign(matching, assigned["id"], body)
    assert field in caught.value.details
    assert events(matching_config) == before


@pytest.mark.parametrize("same_target", [True, False], ids=["same", "different"])
def test_two_staff_reassigning_at_once_give_one_result(
        matching, matching_config, clock, container_factory, assigned, same_target):
    other = container_factory(MatchingService, matching_config)
    get_extension(other, Clock).source = clock
    other.start()
    third = approved(matching, "volunteer", volunteer("Third Volunteer"))
    targets = [assigned["second"], assigned["second"] if same_target else third]
    url = matching_config["DATABASE_URL"]

    def attempt(args) -> str:
        container, volunteer_id = args
        try:
            return reassign(container, assigned["id"], {
                "volunteer_id": volunteer_id, "reason": "volunteer_unavailable"})[
                "volunteer_id"]
        except errors.Conflict:
            return "conflict"

    # Hold the request so both calls are under way (their snapshots taken) before either
    # can change it; then let them go.
    with connect(url) as holder:
        holder.execute("SELECT 1 FROM spot_requests WHERE id = %s FOR UPDATE",
                       (assigned["id"],))
        pool = eventlet.GreenPool()
        results = pool.imap(attempt, zip([matching, other], targets, strict=True))
        wait_until(lambda: query(url, """SELECT count(*) AS n FROM pg_stat_activity
                                         WHERE datname = current_database()
                                           AND wait_event_type = 'Lock'""")[0]["n"] == 2,
                   message="both reassignments waiting for the request")
        holder.rollback()
    outcome = list(results)

    winners = [r for r in outcome if r != "conflict"]
    assert len(winners) == 1 and outcome.count("conflict") == 1
    assert str(request_row(matching_config, assigned["id"])["volunteer_id"]) == winners[0]
    [unassigned] = spot_events(matching_config, "spot_request_unassigned")
    assert unassigned["volunteer"]["participant_id"] == assigned["first"]
    assigned_events = spot_events(matching_config, "spot_request_assigned")
    assert [e["volunteer"]["participant_id"] for e in assigned_events] == [
        assigned["first"], winners[0]]
    assert len(query(url, "SELECT id FROM spot_reassignments")) == 1
