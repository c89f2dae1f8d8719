"""What staff see: participants, pairings, spot requests and runs, newest first in keyset pages,
through the real entrypoints on PostgreSQL."""

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


def page_through(matching, method: str, key: str, **query) -> list[dict]:
    rows, after = [], None
    while True:
        page = call(matching, method, {**query, **({"after": after} if after else {})})
        rows += page[key]
        if page["next"] is None:
            return rows
        after = page["next"]


def names(rows: list[dict]) -> list[str]:
    return [r["name"] for r in rows]


def test_participants_are_listed_newest_first_with_what_screening_needs(matching, clock):
    resident = call(matching, "apply_resident", application(
        "Maya Gurung", locale="ne-NP", area="nakano", languages=[
            {"code": "ne", "level": "native"}, {"code": "en", "level": "conversational"}]))["id"]
    clock.advance(hours=1)
    partner = approved(matching, "partner", partner_application("Sato Yuki", capacity=2))
    clock.advance(hours=1)
    call(matching, "apply_volunteer", volunteer("Kato Ren"))

    page = call(matching, "list_participants", {})
    assert names(page["participants"]) == ["Kato Ren", "Sato Yuki", "Maya Gurung"]
    assert page["next"] is None
    maya = page["participants"][2]
    assert maya == {
        "id": resident, "role": "resident", "status": "applied", "name": "Maya Gurung",
        "email": "maya.gurung@example.org", "locale": "ne", "area": "nakano",
        "languages": [{"code": "ne", "level": "native"},
                      {"code": "en", "level": "conversational"}],
        "cleared": False, "capacity": 1, "applied_at": "2026-04-01T00:00:00+00:00",
        "approved_at": None, "rejected_at": None, "withdrawn_at": None,
        "status_reason": None, "status_note": None}
    sato = page["participants"][1]
    assert (sato["id"], sato["status"], sato["cleared"], sato["capacity"]) == (
        partner, "approved", True, 2)
    assert sato["approved_at"] == "2026-04-01T01:00:00+00:00"


def test_participant_filters_combine(matching):
    call(matching, "apply_resident", application("Maya Gurung", area="nakano", languages=[
        {"code": "ne", "level": "native"}]))
    approved(matching, "resident", application("Ana Santos", languages=[
        {"code": "pt", "level": "native"}, {"code": "en", "level": "basic"}]))
    approved(matching, "partner", partner_application("Sato Yuki"))
    rejected = call(matching, "apply_partner", partner_application("Dup Licate"))["id"]
    call(matching, "reject_participant", rejected, {"reason": "duplicate"})

    def listed(**query) -> set[str]:
        return set(names(call(matching, "list_participants", query)["participants"]))

    assert listed(role="resident") == {"Maya Gurung", "Ana Santos"}
    assert listed(role="partner", status="approved") == {"Sato Yuki"}
    assert listed(status="rejected") == {"Dup Licate"}
    assert listed(area="nakano") == {"Maya Gurung"}
    assert listed(language="en") == {"Ana Santos", "Sato Yuki", "Dup Licate"}  # any level
    assert listed(language="ne", role="partner") == set()
    [dup] = call(matching, "list_participants", {"status": "rejected"})["participants"]
    assert (dup["status_reason"], dup["rejected_at"]) == ("duplicate",
                                                          "2026-04-01T00:00:00+00:00")


def test_pages_neither_repeat_nor_skip_while_new_applications_arrive(matching, clock):
    for k in range(7):
        call(matching, "apply_resident", application(f"Person {k}"))
        clock.advance(minutes=1)
    first = call(matching, "list_participants", {"limit": 3})
    assert names(first["participants"]) == ["Person 6", "Person 5", "Person 4"]
    # two newcomers between page 1 and page 2: they go on top, not into the pages walked
    for k in (7, 8):
        call(matching, "apply_resident", application(f"Person {k}"))
        clock.advance(minutes=1)
    rest = page_through(matching, "list_participants", "participants", limit=3,
                        after=first["next"])
    assert names(first["participants"] + rest) == [f"Person {k}" for k in range(6, -1, -1)]
    assert names(call(matching, "list_participants", {"limit": 2})["participants"]) == [
        "Person 8", "Person 7"]


def test_ties_on_the_timestamp_are_cut_by_id_without_losing_a_row(matching):
    for k in range(5):  # the clock does not move: one applied_at for all
        call(matching, "apply_resident", application(f"Person {k}"))
    walked = page_through(matching, "list_participants", "participants", limit=2)
    assert sorted(names(walked)) == [f"Person {k}" for k in range(5)]
    assert [r["id"] for r in walked] == sorted((r["id"] for r in walked), reverse=True)


def test_pairings_show_both_names_dates_and_the_last_checkin(matching, matching_config,
                                                             clock):
    resident = approved(matching, "resident", application("Maya Gurung"))
    partner = approved(matching, "partner", partner_application("Sato Yuki"))
    pairing_id, resident_token, partner_token = offer(matching, matching_config)
    clock.advance(days=1)
    answer(matching, resident_token, "accept")
    answer(matching, partner_token, "accept")
    clock.advance(days=20)
    call(matching, "log_checkin", pairing_id, {"met_on": "2026-04-20"})
    # two residents more; a run proposes one and supersedes it with the next
    approved(matching, "resident", application("Ana Santos"))
    approved(matching, "partner", partner_application("Tanaka Emi"))
    clock.advance(days=1)
    superseded = call(matching, "run_matching")["proposals"][0]["pairing_id"]
    clock.advance(days=1)
    [latest] = call(matching, "run_matching")["proposals"]

    listed = call(matching, "list_pairings", {})["pairings"]
    assert [p["id"] for p in listed] == [latest["pairing_id"], pairing_id]  # no superseded
    active = listed[1]
    assert active["resident"] == {"id": resident, "name": "Maya Gurung"}
    assert active["partner"] == {"id": partner, "name": "Sato Yuki"}
    assert active["state"] == "active" and active["score"] > 0
    assert active["proposed_at"] == active["offered_at"] == "2026-04-01T00:00:00+00:00"
    assert active["started_at"] == "2026-04-02T00:00:00+00:00"
    assert active["ends_at"] == "2026-10-02T00:00:00+00:00"
    assert active["last_checkin_at"] == "2026-04-22T00:00:00+00:00"
    assert listed[0]["last_checkin_at"] is None and listed[0]["state"] == "proposed"

    by_state = call(matching, "list_pairings", {"state": "superseded"})["pairings"]
    assert [p["id"] for p in by_state] == [superseded]
    mine = call(matching, "list_pairings", {"participant_id": partner})["pairings"]
    assert [p["id"] for p in mine] == [pairing_id]
    one = call(matching, "list_pairings", {"limit": 1})
    assert [p["id"] for p in one["pairings"]] == [latest["pairing_id"]] and one["next"]


def test_spot_requests_by_tokyo_day_with_requester_and_volunteer(matching, clock):
    helper = approved(matching, "volunteer", volunteer("Near Volunteer"))
    # 16:00 UTC on the 10th is 01:00 on the 11th in Tokyo
    late = call(matching, "create_spot_request", spot_body(
        name="Ana Santos", kind="hospital", starts_at="2026-04-10T16:00:00+00:00"))
    clock.advance(minutes=1)
    early = call(matching, "create_spot_request", spot_body(
        starts_at="2026-04-10T14:59:00+00:00"))  # 23:59 on the 10th in Tokyo
    clock.advance(minutes=1)
    call(matching, "accept_spot_request", late["id"], {"volunteer_id": helper})

    def listed(**query) -> list[str]:
        return [r["id"] for r in call(matching, "list_spot_requests", query)["spot_requests"]]

    assert listed() == [early["id"], late["id"]]  # newest first
    assert listed(**{"from": "2026-04-11", "to": "2026-04-11"}) == [late["id"]]
    assert listed(**{"from": "2026-04-10", "to": "2026-04-10"}) == [early["id"]]
    assert listed(**{"from": "2026-04-11"}) == [late["id"]]
    assert listed(to="2026-04-10") == [early["id"]]
    assert listed(status="assigned") == [late["id"]]
    assert listed(kind="city_hall") == [early["id"]]
    [row] = call(matching, "list_spot_requests", {"status": "assigned"})["spot_requests"]
    assert row["requester_name"] == "Ana Santos" and row["kind"] == "hospital"
    assert row["volunteer"] == {"id": helper, "name": "Near Volunteer"}
    assert row["starts_at"] == "2026-04-10T16:00:00+00:00" and row["area"] == "shinjuku"
    [open_row] = call(matching, "list_spot_requests", {"status": "open"})["spot_requests"]
    assert open_row["volunteer"] is None


def test_a_run_can_be_read_again_with_names_alternatives_and_breakdowns(matching, clock):
    resident = approved(matching, "resident", application("Maya Gurung"))
    lonely = approved(matching, "resident", application("Far Away", area="hachijo"))
    partners = [approved(matching, "partner", partner_application(f"Partner {k}", area=area))
                for k, area in enumerate(["shinjuku", "nakano", "shibuya"])]
    made = call(matching, "run_matching")
    clock.advance(hours=1)
    call(matching, "approve_pairing", made["proposals"][0]["pairing_id"])

    run = call(matching, "get_run", made["run_id"])
    assert (run["run_id"], run["residents"], run["partners"]) == (made["run_id"], 2, 3)
    assert run["created_at"] == "2026-04-01T00:00:00+00:00"
    assert run["unmatched"] == [{"id": lonely, "name": "Far Away"}]
    [proposal] = run["proposals"]
    assert proposal["state"] == "offered"  # as it is now, not as it was proposed
    assert proposal["resident"] == {"id": resident, "name": "Maya Gurung"}
    assert proposal["partner"] == {"id": partners[0], "name": "Partner 0"}
    assert proposal["breakdown"] == made["proposals"][0]["breakdown"]
    assert {"language", "distance", "children", "interests", "availability", "waiting",
            "total"} <= set(proposal["breakdown"])
    alternatives = proposal["alternatives"]
    assert sorted(a["partner"]["name"] for a in alternatives) == ["Partner 1", "Partner 2"]
    assert {a["partner"]["id"] for a in alternatives} == set(partners[1:])
    scores = [a["score"] for a in alternatives]
    assert scores == sorted(scores, reverse=True)  # best first, as the run explained them
    assert all(set(a["breakdown"]) >= {"language", "total"} for a in alternatives)

    clock.advance(hours=1)
    later = call(matching, "run_matching")
    runs = call(matching, "list_runs", {})
    assert [r["run_id"] for r in runs["runs"]] == [later["run_id"], made["run_id"]]
    assert runs["runs"][1]["proposals"] == 1 and runs["next"] is None


@pytest.mark.parametrize("run_id", ["nope", "00000000-0000-4000-8000-000000000000"])
def test_an_unknown_run_is_not_found(matching, run_id):
    with pytest.raises(errors.NotFound):
        call(matching, "get_run", run_id)


@pytest.mark.parametrize("method, query, field", [
    ("list_participants", {"limit": 0}, "limit"),
    ("list_participants", {"limit": 201}, "limit"),
    ("list_participants", {"limit": "ten"}, "limit"),  # the query string as sent: text
    ("list_participants", {"after": "not-a-cursor"}, "after"),
    ("list_participants", {"after": "WyJ4IiwieSJd"}, "after"),  # ["x","y"]
    ("list_participants", {"role": "mentor"}, "role"),
    ("list_participants", {"status": "banned"}, "status"),
    ("list_participants", {"language": "klingon"}, "language"),
    ("list_participants", {"rol": "partner"}, "rol"),
    ("list_pairings", {"state": "happy"}, "state"),
    ("list_pairings", {"participant_id": "42"}, "participant_id"),
    ("list_spot_requests", {"from": "2026-04-31"}, "from"),
    ("list_spot_requests", {"from": "2026-04-12", "to": "2026-04-11"}, "from"),
    ("list_spot_requests", {"kind": "karaoke"}, "kind"),
    ("list_spot_requests", {"from": "0001-01-01"}, "from"),  # before UTC's year 1 in Tokyo
    ("list_spot_requests", {"to": "9999-12-31"}, "to"),
    ("list_participants", {"area": "shinjuku\x00"}, "area"),
    ("list_spot_requests", {"status": "lost"}, "status"),
    ("list_runs", {"limit": -1}, "limit"),
])
def test_bad_filters_are_invalid_input_naming_the_field(matching, method, query, field):
    with pytest.raises(errors.InvalidInput) as caught:
        call(matching, method, query)
    assert field in caught.value.details
