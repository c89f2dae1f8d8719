"""One rule for query strings on every route: unknown or repeated parameters are refused, and
dates and months are checked at the calendar's edges, with a 400 naming the parameter and
saying it is a query parameter (not the body). None of these reaches a service."""

from __future__ import annotations

import pytest
import requests
from gateway.auth import issue_token

PROBLEM_JSON = "application/problem+json"
SUPPORTER = "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e"
REPORT = "/api/staff/reports/donations"


@pytest.fixture
def admin(gateway_config) -> dict[str, str]:
    return {"Authorization": "Bearer " + issue_token(
        gateway_config["STAFF_TOKEN_SECRET"], "admin-1", "admin")}


def refused(gateway: str, path: str, params, headers=None) -> dict:
    response = requests.get(f"{gateway}{path}", params=params, headers=headers, timeout=10)
    assert response.status_code == 400, response.text
    assert response.headers["Content-Type"] == PROBLEM_JSON
    body = response.json()
    assert (body["type"], body["in"]) == ("/problems/invalid-query", "query")
    assert "query" in body["detail"] and "body" not in body["detail"]
    return body


@pytest.mark.parametrize("path, params, field", [
    ("/api/impact", {"to": "0000-01"}, "to"),
    ("/api/impact", {"from": "9999-12"}, "from"),
    ("/api/impact", {"from": "2026-13"}, "from"),
    ("/api/impact", {"from": "2026-00"}, "from"),
    ("/api/impact", {"from": "1999-12"}, "from"),
    ("/api/impact", {"from": "2026-05", "to": "2026-04"}, "from"),
    (REPORT, {"from": "0001-01-01", "to": "2026-01-31"}, "from"),
    (REPORT, {"from": "2026-01-01", "to": "9999-12-31"}, "to"),
    (REPORT, {"from": "2026-02-30", "to": "2026-03-31"}, "from"),
    (REPORT, {"from": "2026-04-31", "to": "2026-05-31"}, "from"),
    (REPORT, {"from": "2026-04-01", "to": "2026-03-31"}, "from"),
    (REPORT, {"from": "20260101", "to": "2026-03-31"}, "from"),
    ("/api/staff/consultations", {"opened_from": "0000-01-01"}, "opened_from"),
    ("/api/staff/consultations", {"opened_to": "2026-06-31"}, "opened_to"),
    ("/api/staff/consultations", {"opened_from": "2026-05-01", "opened_to": "2026-04-01"},
     "opened_from"),
    ("/api/staff/follow-ups", {"until": "9999-12-31"}, "until"),
    ("/api/staff/follow-ups", {"until": "2026-W14-3"}, "until"),
    ("/api/staff/spot-requests", {"from": "2026-09-31"}, "from"),
    ("/api/staff/spot-requests", {"from": "2026-05-01", "to": "2026-04-30"}, "from"),
])
def test_dates_and_months_past_the_calendars_edges_are_400_naming_the_parameter(
    gateway, admin, path, params, field
):
    body = refused(gateway, path, params, admin)
    assert field in body["errors"] and field in body["detail"]


@pytest.mark.parametrize("path, staff", [
    ("/api/impact", False), ("/api/programs", False), ("/api/classes", False),
    ("/api/donation-tiers", False), ("/healthz", False),
    (REPORT, True), ("/api/staff/events", True), ("/api/staff/pairings", True),
    ("/api/staff/consultations", True), ("/api/staff/experts", True),
    (f"/api/staff/supporters/{SUPPORTER}/statements/2026", True),
    ("/api/staff/payments", True), ("/api/staff/accounts", True),
    ("/api/staff/dead-letters", True), ("/api/staff/dead-letters/gateway", True),
])
def test_an_unknown_query_parameter_is_refused_on_every_route(gateway, admin, path, staff):
    body = refused(gateway, path, {"utm_source": "newsletter"}, admin if staff else None)
    assert body["errors"]["utm_source"] == ["Unknown query parameter."]


def test_a_parameter_given_twice_is_refused(gateway):
    body = refused(gateway, "/api/impact?from=2026-01&from=2026-02", None)
    assert body["errors"] == {"from": ["Given more than once."]}


def test_a_link_opened_in_a_browser_takes_its_language_and_nothing_else(gateway):
    link = f"{gateway}/api/class-enrollments/withdraw/abc.def.ghi"
    taken = requests.get(link, params={"lang": "ne"}, timeout=10)
    assert taken.status_code != 400  # the service behind it is not running here: a 503
    refused(gateway, "/api/class-enrollments/withdraw/abc.def.ghi", {"utm_source": "mail"})
