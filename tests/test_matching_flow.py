"""End to end through the gateway: applications, a batch run, a pairing accepted by signed
links and completed six months later by the service's timer, a spot request, and bad input
answered as problem+json."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from browser.applicants import PARTNER, RESIDENT
from gateway.auth import issue_token
from matching.clock import Clock, MovableClock
from matching.service import MatchingService
from nameko.testing.utils import get_container, get_extension
from servicekit.testing import query, wait_until


@pytest.fixture
def clock():
    return MovableClock(datetime(2026, 4, 1, tzinfo=UTC))


@pytest.fixture
def platform(platform_factory, clock):
    def on_the_test_clock(name, runner):
        if name == "matching":
            get_extension(get_container(runner, MatchingService), Clock).source = clock

    started = platform_factory("matching", "gateway", public_url="https://jii.example.org",
                               overrides={"matching": {"MATCHING_TICK_SECONDS": 0.2}},
                               prepare=on_the_test_clock)
    token = issue_token(started.staff_secret, "staff@jii.example.org", "staff")
    return {"url": started.url, "db": started.database("matching"),
            "staff": {"Authorization": f"Bearer {token}"},
            "secret": started.staff_secret}


def post(platform, path, body=None, staff=False):
    return requests.post(f"{platform['url']}{path}", json=body if body is not None else {},
                         headers=platform["staff"] if staff else {}, timeout=30)


def get(platform, path):
    return requests.get(f"{platform['url']}{path}", headers=platform["staff"], timeout=30)


def token_in(url: str) -> str:
    return parse_qs(urlparse(url).query)["token"][0]


def test_a_family_is_paired_accepts_by_link_and_completes_six_months_later(platform, clock):
    resident = post(platform, "/api/applications/residents", RESIDENT)
    partner = post(platform, "/api/applications/partners", PARTNER)
    assert (resident.status_code, partner.status_code) == (201, 201), resident.text
    again = post(platform, "/api/applications/residents", {**RESIDENT, "name": "M. Gurung"})
    assert again.status_code == 409 and "info@j-ii.org" in again.json()["detail"], again.text
    for applicant in (resident, partner):
        approved = post(platform, f"/api/staff/participants/{applicant.json()['id']}/approve",
                        staff=True)
        assert approved.status_code == 200, approved.text

    run = post(platform, "/api/staff/matching/runs", staff=True)
    assert run.status_code == 201, run.text
    [proposal] = run.json()["proposals"]
    assert proposal["breakdown"]["children"] == 1.0
    offered = post(platform, f"/api/staff/pairings/{proposal['pairing_id']}/approve",
                   staff=True)
    assert offered.json()["state"] == "offered"

    [offer] = query(platform["db"], "SELECT envelope->'data' AS d FROM outbox "
                                    "WHERE routing_key = 'pairing_offered'")
    links = offer["d"]
    assert links["resident"]["locale"] == "ne" and links["partner"]["name"] == "Sato Yuki"
    for side, share in (("resident", True), ("partner", False)):
        token = token_in(links[side]["accept_url"])
        answered = post(platform, "/api/pairing-responses",
                        {"token": token, "answer": "accept", "share_contact": share})
        assert answered.status_code == 200, answered.text
    assert answered.json()["state"] == "active"
    [started] = query(platform["db"], "SELECT envelope->'data' AS d FROM outbox "
                                      "WHERE routing_key = 'pairing_started'")
    assert started["d"]["shared_contact"] == {"resident": ["name", "email"], "partner": []}

    pairing_path = f"/api/staff/pairings/{proposal['pairing_id']}"
    clock.advance(days=20)  # 21 April: the meeting of the 20th is reported
    checkin = post(platform, f"{pairing_path}/checkins", {"met_on": "2026-04-20"}, staff=True)
    assert checkin.status_code == 201, checkin.text
    ends_at = datetime.fromisoformat(get(platform, pairing_path).json()["ends_at"])
    assert ends_at == datetime(2026, 10, 1, tzinfo=UTC)

    clock.now = ends_at  # the service's own timer notices
    wait_until(lambda: get(platform, pairing_path).json()["state"] == "completed",
               message="the timer to complete the pairing")
    report = get(platform, "/api/staff/reports/matching").json()
    assert report["pairings_by_state"] == {"completed": 1}
    assert report["completion_rate"] == 1.0


def test_a_spot_request_through_the_gateway_from_creation_to_completion(platform, clock):
    volunteer = post(platform, "/api/applications/volunteers", {**PARTNER, "name": "Kenji"})
    post(platform, f"/api/staff/participants/{volunteer.json()['id']}/approve", staff=True)
    created = post(platform, "/api/spot-requests", {
        "name": "Maya Gurung", "email": "maya@example.org", "locale": "ne", "kind": "hospital",
        "starts_at": "2026-04-11T10:00:00+09:00", "area": "shinjuku", "languages": ["en"]})
    assert created.status_code == 201, created.text
    spot = f"/api/staff/spot-requests/{created.json()['id']}"
    [candidate] = get(platform, f"{spot}/candidates").json()["candidates"]
    assert candidate["volunteer_id"] == volunteer.json()["id"]
    assert post(platform, f"{spot}/accept", {"volunteer_id": candidate["volunteer_id"]},
                staff=True).json()["status"] == "assigned"
    early = post(platform, f"{spot}/complete", {"hours": 3}, staff=True)
    assert early.status_code == 400 and "hours" in early.json()["errors"], early.text
    clock.now = datetime(2026, 4, 11, 5, tzinfo=UTC)  # 14:00 in Tokyo, after the visit
    done = post(platform, f"{spot}/complete", {"hours": 3}, staff=True)
    assert (done.json()["status"], done.json()["hours"]) == ("completed", 3.0)


def test_an_assigned_spot_request_is_announced_to_both_sides_once_the_day_before(
        platform, clock):
    volunteer = post(platform, "/api/applications/volunteers", {**PARTNER, "name": "Kenji"})
    post(platform, f"/api/staff/participants/{volunteer.json()['id']}/approve", staff=True)
    created = post(platform, "/api/spot-requests", {
        "name": "Maya Gurung", "email": "maya@example.org", "locale": "ne", "kind": "city_hall",
        "starts_at": "2026-04-11T10:00:00+09:00", "area": "shinjuku", "languages": ["en"]})
    spot = f"/api/staff/spot-requests/{created.json()['id']}"
    post(platform, f"{spot}/accept", {"volunteer_id": volunteer.json()["id"]}, staff=True)

    def reminders():
        return query(platform["db"], "SELECT envelope->'data' AS data FROM outbox"
                                     " WHERE routing_key = 'spot_request_reminder_due'")

    clock.now = datetime(2026, 4, 9, 14, 59, tzinfo=UTC)  # 23:59 on the 9th in Tokyo
    wait_until(lambda: query(platform["db"], "SELECT 1 FROM outbox WHERE routing_key ="
                                             " 'spot_request_assigned'"), message="assigned")
    clock.now = datetime(2026, 4, 9, 15, 0, tzinfo=UTC)  # midnight: the 10th, the day before
    [reminder] = wait_until(reminders, message="the reminder, the day before in Tokyo")
    assert reminder["data"]["requester"]["email"] == "maya@example.org"
    assert reminder["data"]["volunteer"]["name"] == "Kenji"
    clock.advance(hours=2)
    wait_until(lambda: query(platform["db"], "SELECT 1 FROM spot_requests"
                                             " WHERE reminder_sent_at IS NOT NULL"))
    time.sleep(0.6)  # three more ticks: still one reminder
    assert len(reminders()) == 1


@pytest.mark.parametrize("change, field", [
    ({"languages": [{"code": "xx", "level": "fluent"}]}, "languages"),
    ({"area": "atlantis"}, "area"),
    ({"slots": ["saturday"]}, "slots"),
    ({"slots": [7]}, "slots.0"),
    ({"children_ages": [3, 18]}, "children_ages.1"),
    ({"household_size": 0}, "household_size"),
])
def test_bad_applications_are_400_problems_naming_the_field(platform, change, field):
    response = post(platform, "/api/applications/residents", {**RESIDENT, **change})
    assert response.status_code == 400, response.text
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert any(key == field or key.startswith(f"{field}.") for key in response.json()["errors"])
    assert query(platform["db"], "SELECT count(*) AS n FROM participants")[0]["n"] == 0


def test_staff_routes_refuse_missing_and_wrong_role_tokens(platform):
    assert requests.post(f"{platform['url']}/api/staff/matching/runs", timeout=10
                         ).status_code == 401
    consultant = issue_token(platform["secret"], "c@jii.example.org", "consultant")
    response = requests.post(f"{platform['url']}/api/staff/matching/runs", timeout=10,
                             headers={"Authorization": f"Bearer {consultant}"})
    assert response.status_code == 403
    assert query(platform["db"], "SELECT count(*) AS n FROM matching_runs")[0]["n"] == 0
