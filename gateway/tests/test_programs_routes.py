"""The programs routes added for staff and families: changing a class's capacity, searching
consultations, and the guardian's signed withdrawal link. Who may call each, what reaches the
service, and the problems a refusal becomes (the programs service itself is tested in its own
package and end to end)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import requests
from gateway.auth import issue_token
from gateway_fakes import CALLS, WorkerContext
from servicekit import errors
from servicekit.paging import encode_cursor
from servicekit.rpc import rpc

PROBLEM_JSON = "application/problem+json"
CLASS_ID = "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e"
EXPERT_ID = "3f2e1d0c-9b8a-4c7d-8e6f-5a4b3c2d1e0f"
TOKEN = "eyJlbnJvbGxtZW50IjoiNWU3YyJ9.aGVsbG8.c2lnbmF0dXJl-_x"
CURSOR = encode_cursor(datetime(2026, 4, 1, 3, tzinfo=UTC), EXPERT_ID)
CLASS = {"id": CLASS_ID, "title": "Hanamaru Class Shinjuku", "venue": "Shinjuku Community Centre",
         "schedule": "Saturdays 10:00-11:30", "level": "hiragana beginners", "capacity": 12,
         "seats_left": 0, "waitlist_length": 1, "waitlist_open": True, "status": "open",
         "sessions": [], "tutors": ["Suzuki Kei"], "waitlist_limit": None, "confirmed": 12}
CASE = {"id": EXPERT_ID, "status": "assigned", "topic": "work", "language": "ne",
        "urgency": "high", "resident_name": "Ram Thapa",
        "expert": {"id": EXPERT_ID, "name": "Sharma Anil"},
        "opened_at": "2026-04-01T03:00:00+00:00", "updated_at": "2026-04-01T04:00:00+00:00",
        "ended_at": None, "summary": "not for the list", "resident_email": "ram@example.org"}


class FakePrograms:
    """Answers with canned values; a capacity of 1 is refused, and a token ending in `.forged`
    is not one programs signed."""

    name = "programs"
    ctx = WorkerContext()

    @rpc
    def change_class_capacity(self, class_id: str, body: dict) -> dict:
        CALLS.record(self.ctx, "change_class_capacity", class_id, body)
        if body["capacity"] == 1:
            raise errors.Conflict("7 children have a seat in this class; the capacity cannot "
                                  "go below 7")
        if class_id != CLASS_ID:
            raise errors.NotFound("no such class")
        return {**CLASS, "capacity": body["capacity"], "promoted": ["5e7c"],
                "internal": "never shown"}

    @rpc
    def search_consultations(self, query: dict) -> dict:
        CALLS.record(self.ctx, "search_consultations", query)
        return {"consultations": [CASE], "next": "WyIyMDI2Il0"}

    @rpc
    def enrollment_by_link(self, token: str) -> dict:
        return self._link("enrollment_by_link", token, "confirmed")

    @rpc
    def withdraw_by_link(self, token: str) -> dict:
        return self._link("withdraw_by_link", token, "withdrawn")

    def _link(self, method: str, token: str, status: str) -> dict:
        CALLS.record(self.ctx, method, token)
        if token.endswith(".forged"):
            raise errors.BadSignature("this link is not valid")
        return {"class_title": "Hanamaru Class Shinjuku", "child_first_name": "Sita",
                "status": status, "guardian_email": "never shown"}

    @rpc
    def ping(self) -> str:
        return "pong"


@pytest.fixture
def programs(start_service, calls):
    return start_service(FakePrograms)


@pytest.fixture
def auth(gateway_config):
    def headers(role: str) -> dict:
        return {"Authorization": "Bearer " + issue_token(
            gateway_config["STAFF_TOKEN_SECRET"], f"{role}-1", role)}

    return headers


def assert_problem(response: requests.Response, status: int, slug: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == PROBLEM_JSON
    body = response.json()
    if slug:
        assert body["type"] == f"/problems/{slug}"
    return body


# -- capacity ------------------------------------------------------------------------------------

def capacity(gateway: str, body, headers: dict | None = None,
             class_id: str = CLASS_ID) -> requests.Response:
    return requests.post(f"{gateway}/api/staff/classes/{class_id}/capacity", json=body,
                         headers=headers or {}, timeout=10)


@pytest.mark.parametrize("role", ["staff", "admin"])
def test_staff_and_admins_change_a_capacity_and_see_who_was_promoted(
    gateway, programs, calls, auth, role
):
    response = capacity(gateway, {"capacity": 12}, auth(role))
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["capacity"], body["promoted"], body["confirmed"]) == (12, ["5e7c"], 12)
    assert "internal" not in body
    [((class_id, body), _)] = calls.of("change_class_capacity")
    assert (class_id, body) == (CLASS_ID, {"capacity": 12})


def test_lowering_below_the_seats_taken_is_a_409_that_says_how_many(gateway, programs, auth):
    body = assert_problem(capacity(gateway, {"capacity": 1}, auth("staff")), 409, "conflict")
    assert "7 children have a seat" in body["detail"]


def test_an_unknown_class_is_404(gateway, programs, auth):
    assert_problem(capacity(gateway, {"capacity": 5}, auth("staff"),
                            class_id="3f2e1d0c-9b8a-4c7d-8e6f-5a4b3c2d1e0f"), 404)


def test_capacity_needs_a_staff_token_of_the_class_roles(gateway, programs, calls, auth):
    assert_problem(capacity(gateway, {"capacity": 12}), 401, "unauthorized")
    assert_problem(capacity(gateway, {"capacity": 12}, auth("consultant")), 403, "forbidden")
    assert calls.of("change_class_capacity") == []


@pytest.mark.parametrize("body", [{"capacity": 0}, {"capacity": 501}, {"capacity": "12"},
                                  {"capacity": 2.5},
                                  {"capacity": None}, {}, {"capacity": 3, "seats": 4}])
def test_an_invalid_capacity_is_400_before_the_service_is_asked(
    gateway, programs, calls, auth, body
):
    problem = assert_problem(capacity(gateway, body, auth("staff")), 400, "invalid-input")
    assert set(problem["errors"]) <= {"capacity", "seats"}
    assert calls.of("change_class_capacity") == []


# -- consultation search -------------------------------------------------------------------------

def search(gateway: str, params: dict, headers: dict | None = None) -> requests.Response:
    return requests.get(f"{gateway}/api/staff/consultations", params=params,
                        headers=headers or {}, timeout=10)


@pytest.mark.parametrize("role", ["staff", "admin", "consultant"])
def test_case_roles_search_and_the_filters_reach_the_service(
    gateway, programs, calls, auth, role
):
    params = {"status": "assigned", "topic": "work", "urgency": "high",
              "expert_id": EXPERT_ID, "language": "ne-NP", "opened_from": "2026-04-01",
              "opened_to": "2026-04-30", "limit": "10", "after": CURSOR}
    response = search(gateway, params, auth(role))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["next"] == "WyIyMDI2Il0"
    [case] = body["consultations"]
    # Only the list's fields: what the service might carry besides never reaches the client.
    assert "summary" not in case and "resident_email" not in case
    assert case["expert"] == {"id": EXPERT_ID, "name": "Sharma Anil"}
    # Sent as the client gave them: programs loads them through the same schema.
    [((query,), _)] = calls.of("search_consultations")
    assert query == params


def test_search_without_filters_asks_for_everything(gateway, programs, calls, auth):
    assert search(gateway, {}, auth("staff")).status_code == 200
    assert calls.of("search_consultations")[0][0] == ({},)


@pytest.mark.parametrize("params, field", [
    ({"status": "open"}, "status"),
    ({"topic": "astrology"}, "topic"),
    ({"urgency": "whenever"}, "urgency"),
    ({"expert_id": "42"}, "expert_id"),
    ({"language": "???"}, "language"),
    ({"opened_from": "2026-13-01"}, "opened_from"),
    ({"opened_to": "yesterday"}, "opened_to"),
    ({"limit": "0"}, "limit"),
    ({"limit": "101"}, "limit"),
    ({"limit": "ten"}, "limit"),
    ({"after": "not a cursor!"}, "after"),
    ({"statsu": "intake"}, "statsu"),
])
def test_bad_filters_are_400_with_field_errors_before_the_service_is_asked(
    gateway, programs, calls, auth, params, field
):
    problem = assert_problem(search(gateway, params, auth("staff")), 400, "invalid-query")
    assert field in problem["errors"]
    assert calls.of("search_consultations") == []


def test_a_cursor_programs_did_not_make_is_400_on_after_before_the_service_is_asked(
    gateway, programs, calls, auth
):
    problem = assert_problem(search(gateway, {"after": "bad"}, auth("staff")), 400)
    assert problem["errors"] == {"after": ["Not a valid cursor."]}
    assert calls.of("search_consultations") == []


def test_search_needs_a_staff_token(gateway, programs, calls):
    assert_problem(search(gateway, {}), 401, "unauthorized")
    assert calls.of("search_consultations") == []


# -- the guardian's withdrawal link --------------------------------------------------------------

def link(gateway: str, token: str = TOKEN) -> str:
    return f"{gateway}/api/class-enrollments/withdraw/{token}"


def test_the_link_shows_the_class_the_first_name_and_the_status_without_a_token(
    gateway, programs, calls
):
    response = requests.get(link(gateway), timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {"class_title": "Hanamaru Class Shinjuku",
                               "child_first_name": "Sita", "status": "confirmed"}
    assert calls.of("enrollment_by_link") == [((TOKEN,), response.headers["X-Request-ID"])]
    assert calls.of("withdraw_by_link") == []  # looking withdraws nothing


def test_posting_to_the_link_withdraws_and_again_answers_the_same(gateway, programs, calls):
    answers = [requests.post(link(gateway), timeout=10) for _ in range(2)]
    assert [a.status_code for a in answers] == [200, 200]
    assert answers[0].json() == answers[1].json() == {
        "class_title": "Hanamaru Class Shinjuku", "child_first_name": "Sita",
        "status": "withdrawn"}
    assert [args for args, _ in calls.of("withdraw_by_link")] == [(TOKEN,), (TOKEN,)]


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_link_programs_did_not_sign_is_400_bad_signature(gateway, programs, method):
    response = requests.request(method, link(gateway, "eyJ9.abc.forged"), timeout=10)
    assert assert_problem(response, 400, "bad-signature")["detail"] == "this link is not valid"


@pytest.mark.parametrize("token", ["a" * 1025, "abc!def", "%20", "..."])
def test_a_token_not_shaped_like_one_is_400_without_asking_programs(
    gateway, programs, calls, token
):
    for method in ("get", "post"):
        response = requests.request(method, link(gateway, token), timeout=10)
        assert_problem(response, 400, "bad-signature")
    assert calls.items == []
