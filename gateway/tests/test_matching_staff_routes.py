"""The staff's matching lists, runs and departures through the gateway: who may, what is
refused before any RPC (400), what reaches the service, and what comes back.

A fake matching service on the test's broker answers; the real one is tested in
services/matching.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import requests
from gateway.auth import issue_token
from gateway_fakes import CALLS, WorkerContext
from servicekit import errors
from servicekit.paging import encode_cursor
from servicekit.rpc import rpc
from servicekit.testing import wait_until

PROBLEM_JSON = "application/problem+json"
PARTICIPANT_ID = "6f1d2c3b-4a59-4e68-9d7c-0b1a2c3d4e5f"
BUSY_ID = "00000000-0000-4000-8000-00000000b054"  # in an active pairing
RUN_ID = "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f"
EMAIL = "maya.gurung@example.org"
SPOT_ID = "3a4b5c6d-7e8f-4a1b-9c2d-3e4f5a6b7c8d"
STARTED_ID = "00000000-0000-4000-8000-0000005ba47e"  # a request that has begun
VOLUNTEER_ID = "0b6f2d1e-3c4a-4b5d-8e9f-1a2b3c4d5e6f"
MISSING_ID = "00000000-0000-4000-8000-000000000000"
CURSOR = encode_cursor(datetime(2026, 4, 1, tzinfo=UTC), PARTICIPANT_ID)
LIST_ROUTES = ["/api/staff/participants", "/api/staff/pairings", "/api/staff/spot-requests",
               "/api/staff/matching/runs", f"/api/staff/matching/runs/{RUN_ID}",
               f"/api/staff/participants/{PARTICIPANT_ID}"]
REASSIGNMENT = {"volunteer_id": VOLUNTEER_ID, "reason": "volunteer_unavailable"}
POST_ROUTES = [(f"/api/staff/participants/{PARTICIPANT_ID}/reject", {"reason": "duplicate"}),
               (f"/api/staff/participants/{PARTICIPANT_ID}/withdraw", {"reason": "moved"}),
               (f"/api/staff/spot-requests/{SPOT_ID}/reassign", REASSIGNMENT)]
MAYA = {
    "id": PARTICIPANT_ID, "role": "resident", "status": "applied", "name": "Maya Gurung",
    "email": EMAIL, "locale": "ne", "area": "nakano",
    "languages": [{"code": "ne", "level": "native"}], "cleared": False, "capacity": 1,
    "applied_at": "2026-04-01T00:00:00+00:00", "approved_at": None, "rejected_at": None,
    "withdrawn_at": None, "status_reason": None, "status_note": None,
}
MAYA_IN_FULL = {
    **MAYA, "gender": "female", "coordinates": {"lat": 35.7074, "lon": 139.6638},
    "household_size": 3, "children_ages": [2, 5], "experience_ages": [],
    "interests": ["cooking"], "slots": ["sat-morning"],
    "preferences": {"partner_gender": "female"}, "cleared": None, "capacity": None,
    "waiting_runs": 2,
    "pairings": [{"id": RUN_ID, "state": "declined",
                  "other": {"id": VOLUNTEER_ID, "name": "Sato Yuki"},
                  "proposed_at": "2026-04-02T00:00:00+00:00",
                  "offered_at": "2026-04-02T00:00:00+00:00", "started_at": None,
                  "ends_at": None, "finished_at": None, "close_reason": None}],
    "spot_requests": None, "hours_last_30_days": None,
}


class FakeMatching:
    name = "matching"
    ctx = WorkerContext()

    @rpc
    def list_participants(self, query: dict) -> dict:
        CALLS.record(self.ctx, "list_participants", query)
        return {"participants": [{**MAYA, "profile": {"secret": "not for the list"}}],
                "next": "WyIyMDI2Il0"}

    @rpc
    def list_pairings(self, query: dict) -> dict:
        CALLS.record(self.ctx, "list_pairings", query)
        return {"pairings": [], "next": None}

    @rpc
    def list_spot_requests(self, query: dict) -> dict:
        CALLS.record(self.ctx, "list_spot_requests", query)
        return {"spot_requests": [], "next": None}

    @rpc
    def list_runs(self, query: dict) -> dict:
        CALLS.record(self.ctx, "list_runs", query)
        return {"runs": [], "next": None}

    @rpc
    def get_run(self, run_id: str) -> dict:
        CALLS.record(self.ctx, "get_run", run_id)
        if run_id != RUN_ID:
            raise errors.NotFound("no such matching run")
        return {"run_id": RUN_ID, "requested_by": "staff-1",
                "created_at": "2026-04-01T00:00:00+00:00", "residents": 1, "partners": 1,
                "settings": {}, "timings": {"total_seconds": 0.01}, "unmatched": [],
                "proposals": [{"pairing_id": PARTICIPANT_ID, "state": "proposed",
                               "resident": {"id": "r", "name": "Maya Gurung"},
                               "partner": {"id": "p", "name": "Sato Yuki"}, "score": 0.8,
                               "breakdown": {"language": 1.0, "total": 0.8},
                               "alternatives": [{"partner": {"id": "q", "name": "Tanaka Emi"},
                                                 "score": 0.7,
                                                 "breakdown": {"total": 0.7}}]}]}

    @rpc
    def reject_participant(self, participant_id: str, body: dict) -> dict:
        CALLS.record(self.ctx, "reject_participant", participant_id, body)
        return {"id": participant_id, "role": "resident", "status": "rejected",
                "status_reason": body["reason"], "status_note": body.get("note"),
                "rejected_at": "2026-04-01T00:00:00+00:00", "withdrawn_at": None,
                "cancelled_pairings": []}

    @rpc
    def withdraw_participant(self, participant_id: str, body: dict) -> dict:
        CALLS.record(self.ctx, "withdraw_participant", participant_id, body)
        if participant_id == BUSY_ID:
            raise errors.Conflict("pairing 1234 is active: close it early first")
        return {"id": participant_id, "role": "partner", "status": "withdrawn",
                "status_reason": body["reason"], "status_note": None, "rejected_at": None,
                "withdrawn_at": "2026-04-01T00:00:00+00:00",
                "cancelled_pairings": [RUN_ID]}

    @rpc
    def get_participant(self, participant_id: str) -> dict:
        CALLS.record(self.ctx, "get_participant", participant_id)
        if participant_id != PARTICIPANT_ID:
            raise errors.NotFound("no such participant")
        return {**MAYA_IN_FULL, "profile": {"secret": "not for the answer"}}

    @rpc
    def reassign_spot_request(self, request_id: str, body: dict) -> dict:
        CALLS.record(self.ctx, "reassign_spot_request", request_id, body)
        if request_id == STARTED_ID:
            raise errors.Conflict("the spot request has already started")
        return {"id": request_id, "status": "assigned", "kind": "city_hall",
                "starts_at": "2026-04-11T01:00:00+00:00", "area": "shinjuku",
                "languages": ["ne", "en"], "volunteer_id": body["volunteer_id"],
                "hours": None}

    @rpc
    def approve_participant(self, participant_id: str, body: dict) -> dict:
        CALLS.record(self.ctx, "approve_participant", participant_id, body)
        return {"id": participant_id, "status": "approved", "cleared": True}

    @rpc
    def ping(self) -> str:
        return "pong"


@pytest.fixture
def matching(start_service, calls):
    return start_service(FakeMatching)


@pytest.fixture
def as_role(gateway_config):
    def headers(role: str) -> dict:
        return {"Authorization": "Bearer " + issue_token(
            gateway_config["STAFF_TOKEN_SECRET"], "staff-1", role)}

    return headers


def get(gateway, path, headers=None, **params) -> requests.Response:
    return requests.get(f"{gateway}{path}", params=params, headers=headers or {}, timeout=10)


def post(gateway, path, body, headers=None) -> requests.Response:
    return requests.post(f"{gateway}{path}", json=body, headers=headers or {}, timeout=10)


def problem(response: requests.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == PROBLEM_JSON
    return response.json()


@pytest.mark.parametrize("path", LIST_ROUTES)
def test_lists_need_a_staff_or_admin_token(gateway, matching, as_role, path):
    assert problem(get(gateway, path), 401)["type"] == "/problems/unauthorized"
    assert problem(get(gateway, path, as_role("consultant")), 403)["type"] == \
        "/problems/forbidden"
    for role in ("staff", "admin"):
        assert get(gateway, path, as_role(role)).status_code == 200


@pytest.mark.parametrize("path, body", POST_ROUTES)
def test_turning_away_needs_a_staff_or_admin_token(gateway, matching, calls, as_role, path,
                                                   body):
    problem(post(gateway, path, body), 401)
    problem(post(gateway, path, body, as_role("consultant")), 403)
    assert calls.items == []
    assert post(gateway, path, body, as_role("admin")).status_code == 200


def test_the_participant_list_forwards_the_filters_and_shows_only_its_fields(
        gateway, matching, calls, as_role, capfd, caplog):
    answer = get(gateway, "/api/staff/participants", as_role("staff"), role="partner",
                 status="applied", area="nakano", language="ne", limit="20", after=CURSOR)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"participants": [MAYA], "next": "WyIyMDI2Il0"}
    # the query as sent: the service loads it through the same schema
    [((query,), _)] = calls.of("list_participants")
    assert query == {"role": "partner", "status": "applied", "area": "nakano",
                     "language": "ne", "limit": "20", "after": CURSOR}
    # personal data travels to the staff member, not into any log line
    # the request is logged (the access log line follows the answer, hence the wait)...
    wait_until(lambda: "/api/staff/participants" in caplog.text, message="the access log")
    logged = caplog.text + "".join(capfd.readouterr())
    assert EMAIL not in logged and "Maya" not in logged  # ...what it answered is not


def test_spot_request_days_reach_the_service_as_from_and_to(gateway, matching, calls,
                                                            as_role):
    answer = get(gateway, "/api/staff/spot-requests", as_role("staff"),
                 **{"from": "2026-04-01", "to": "2026-04-30", "kind": "hospital"})
    assert answer.status_code == 200, answer.text
    [((query,), _)] = calls.of("list_spot_requests")
    assert query == {"from": "2026-04-01", "to": "2026-04-30", "kind": "hospital"}


@pytest.mark.parametrize("path, params, field", [
    ("/api/staff/participants", {"limit": "0"}, "limit"),
    ("/api/staff/participants", {"limit": "201"}, "limit"),
    ("/api/staff/participants", {"limit": "ten"}, "limit"),
    ("/api/staff/participants", {"after": "not a cursor!"}, "after"),
    ("/api/staff/participants", {"after": "abc_-1"}, "after"),  # shaped like one, but is not
    ("/api/staff/participants", {"role": "mentor"}, "role"),
    ("/api/staff/participants", {"status": "banned"}, "status"),
    ("/api/staff/participants", {"language": "Nepali"}, "language"),
    ("/api/staff/participants", {"rol": "partner"}, "rol"),
    ("/api/staff/participants", {"area": "shinjuku\x00"}, "area"),
    ("/api/staff/pairings", {"state": "happy"}, "state"),
    ("/api/staff/pairings", {"participant_id": "42"}, "participant_id"),
    ("/api/staff/spot-requests", {"from": "2026-04-31"}, "from"),
    ("/api/staff/spot-requests", {"to": "tomorrow"}, "to"),
    ("/api/staff/spot-requests", {"kind": "karaoke"}, "kind"),
    ("/api/staff/matching/runs", {"limit": "-1"}, "limit"),
])
def test_bad_filters_are_400_naming_the_field_and_never_reach_the_service(
        gateway, matching, calls, as_role, path, params, field):
    body = problem(get(gateway, path, as_role("staff"), **params), 400)
    assert (body["type"], body["in"]) == ("/problems/invalid-query", "query")
    assert field in body["errors"] and field in body["detail"]
    assert "body" not in body["detail"]
    assert calls.items == []


@pytest.mark.parametrize("path, body, field", [
    ("reject", {}, "reason"),
    ("reject", {"reason": "too_young"}, "reason"),
    ("reject", {"reason": "moved"}, "reason"),  # a withdrawal reason
    ("reject", {"reason": "duplicate", "note": "x" * 501}, "note"),
    ("reject", {"reason": "duplicate", "why": "x"}, "why"),
    ("withdraw", {"reason": "duplicate"}, "reason"),
    ("withdraw", {"reason": 3}, "reason"),
])
def test_bad_reasons_are_400_naming_the_field(gateway, matching, calls, as_role, path, body,
                                              field):
    answer = post(gateway, f"/api/staff/participants/{PARTICIPANT_ID}/{path}", body,
                  as_role("staff"))
    assert field in problem(answer, 400)["errors"]
    assert calls.items == []


def test_a_rejection_reaches_the_service_and_answers_the_new_status(gateway, matching, calls,
                                                                   as_role):
    answer = post(gateway, f"/api/staff/participants/{PARTICIPANT_ID}/reject",
                  {"reason": "other", "note": "outside the area"}, as_role("staff"))
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "rejected"
    [((participant_id, body), _)] = calls.of("reject_participant")
    assert (participant_id, body) == (PARTICIPANT_ID,
                                      {"reason": "other", "note": "outside the area"})


def test_a_withdrawal_refused_by_the_service_is_409(gateway, matching, as_role):
    answer = post(gateway, f"/api/staff/participants/{BUSY_ID}/withdraw", {"reason": "moved"},
                  as_role("staff"))
    assert "close it early first" in problem(answer, 409)["detail"]
    done = post(gateway, f"/api/staff/participants/{PARTICIPANT_ID}/withdraw",
                {"reason": "moved"}, as_role("admin"))
    assert done.json()["cancelled_pairings"] == [RUN_ID]


def test_a_run_is_shown_again_or_404(gateway, matching, as_role):
    run = get(gateway, f"/api/staff/matching/runs/{RUN_ID}", as_role("staff")).json()
    [proposal] = run["proposals"]
    assert proposal["alternatives"][0]["partner"]["name"] == "Tanaka Emi"
    assert proposal["breakdown"] == {"language": 1.0, "total": 0.8}
    missing = get(gateway, "/api/staff/matching/runs/00000000-0000-4000-8000-000000000000",
                  as_role("staff"))
    assert problem(missing, 404)["detail"] == "no such matching run"


def test_one_participant_in_full_shows_only_its_fields_and_logs_no_personal_data(
        gateway, matching, calls, as_role, capfd, caplog):
    answer = get(gateway, f"/api/staff/participants/{PARTICIPANT_ID}", as_role("staff"))
    assert answer.status_code == 200, answer.text
    assert answer.json() == MAYA_IN_FULL
    assert calls.of("get_participant")[0][0] == (PARTICIPANT_ID,)
    wait_until(lambda: f"/api/staff/participants/{PARTICIPANT_ID}" in caplog.text,
               message="the access log")
    logged = caplog.text + "".join(capfd.readouterr())
    assert EMAIL not in logged and "Maya" not in logged and "Sato" not in logged


def test_an_unknown_participant_is_404_and_a_malformed_id_400_before_any_rpc(
        gateway, matching, calls, as_role):
    missing = get(gateway, f"/api/staff/participants/{MISSING_ID}", as_role("admin"))
    assert problem(missing, 404)["detail"] == "no such participant"
    calls.items.clear()
    for bad in ("42", "not-a-uuid", PARTICIPANT_ID[:-1] + "g"):
        body = problem(get(gateway, f"/api/staff/participants/{bad}", as_role("staff")), 400)
        assert body["type"] == "/problems/invalid-input"
        assert "participant_id" in body["errors"]
    assert calls.items == []


def test_a_reassignment_reaches_the_service_and_answers_the_new_volunteer(
        gateway, matching, calls, as_role):
    body = {**REASSIGNMENT, "note": "caught the flu"}
    answer = post(gateway, f"/api/staff/spot-requests/{SPOT_ID}/reassign", body,
                  as_role("staff"))
    assert answer.status_code == 200, answer.text
    assert (answer.json()["status"], answer.json()["volunteer_id"]) == ("assigned",
                                                                        VOLUNTEER_ID)
    [((request_id, sent), _)] = calls.of("reassign_spot_request")
    assert (request_id, sent) == (SPOT_ID, body)


def test_a_reassignment_the_service_refuses_is_409(gateway, matching, as_role):
    answer = post(gateway, f"/api/staff/spot-requests/{STARTED_ID}/reassign", REASSIGNMENT,
                  as_role("admin"))
    assert problem(answer, 409)["detail"] == "the spot request has already started"


@pytest.mark.parametrize("body, field", [
    ({"reason": "volunteer_unavailable"}, "volunteer_id"),
    ({"volunteer_id": "42", "reason": "volunteer_unavailable"}, "volunteer_id"),
    ({"volunteer_id": VOLUNTEER_ID}, "reason"),
    ({"volunteer_id": VOLUNTEER_ID, "reason": "bored"}, "reason"),
    ({"volunteer_id": VOLUNTEER_ID, "reason": "moved"}, "reason"),
    ({**REASSIGNMENT, "note": "x" * 501}, "note"),
    ({**REASSIGNMENT, "why": "x"}, "why"),
])
def test_bad_reassignments_are_400_naming_the_field(gateway, matching, calls, as_role, body,
                                                    field):
    answer = post(gateway, f"/api/staff/spot-requests/{SPOT_ID}/reassign", body,
                  as_role("staff"))
    assert field in problem(answer, 400)["errors"]
    assert calls.items == []


def test_an_approval_may_leave_its_body_out_and_the_service_gets_an_empty_one(
        gateway, matching, calls, as_role):
    path = f"{gateway}/api/staff/participants/{PARTICIPANT_ID}/approve"
    bare = requests.post(path, headers=as_role("staff"), timeout=10)
    assert bare.status_code == 200, bare.text
    with_capacity = post(gateway, f"/api/staff/participants/{PARTICIPANT_ID}/approve",
                         {"capacity": 2}, as_role("staff"))
    assert with_capacity.json() == {"id": PARTICIPANT_ID, "status": "approved", "cleared": True}
    assert [args for args, _ in calls.of("approve_participant")] == [
        (PARTICIPANT_ID, {}), (PARTICIPANT_ID, {"capacity": 2})]
    calls.items.clear()
    too_many = post(gateway, f"/api/staff/participants/{PARTICIPANT_ID}/approve",
                    {"capacity": 9}, as_role("staff"))
    assert "capacity" in problem(too_many, 400)["errors"]
    not_json = requests.post(path, data="capacity=2", headers={
        **as_role("staff"), "Content-Type": "application/x-www-form-urlencoded"}, timeout=10)
    problem(not_json, 415)
    assert calls.items == []
