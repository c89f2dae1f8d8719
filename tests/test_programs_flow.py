"""End to end through the gateway: the program catalog, Hanamaru sign-ups under load, capacity
changes, the guardian's withdrawal link, case notes kept from the wrong roles, the staff
search of consultations, the public impact figures, and bad requests that change nothing."""

from __future__ import annotations

import html
import re
from urllib.parse import urljoin

import eventlet
import pytest
import requests
from gateway.auth import issue_token
from servicekit.testing import query, wait_until


@pytest.fixture
def platform(platform_factory):
    # Fifty families sign up at once from fifty homes; here they share one address, so the
    # per-client rate limit on public POSTs is lifted.
    started = platform_factory("programs", "gateway", overrides={
        "programs": {"IMPACT_TICK_SECONDS": 0.2},
        "gateway": {"RPC_TIMEOUT_SECONDS": 30, "RATE_LIMIT_BURST": 1000,
                    "RATE_LIMIT_PER_MINUTE": 60000}})
    secret = started.staff_secret
    return {
        "url": started.url,
        "db": started.database("programs"),
        "auth": lambda role: {"Authorization": "Bearer " + issue_token(secret, f"{role}-1",
                                                                         role)},
    }


def child(n: int, **overrides) -> dict:
    body = {"child_first_name": f"Kid{n}", "child_last_name": "Rai", "child_grade": "小学1年",
            "languages": ["ne"], "guardian_name": f"Parent {n}",
            "guardian_email": f"parent{n}@example.org", "guardian_locale": "ne-NP",
            "participation_consent": True, "photo_consent": True}
    body.update(overrides)
    return body


def new_class(platform, capacity: int, **overrides) -> dict:
    body = {"title": "Hanamaru Class Toshima", "venue": "Ikebukuro Library",
            "schedule": "Sundays 14:00-15:30", "level": "katakana", "capacity": capacity,
            "sessions": [{"starts_at": "2026-06-07T14:00:00+09:00"},
                         {"starts_at": "2026-06-14T14:00:00+09:00"}], **overrides}
    response = requests.post(f"{platform['url']}/api/staff/classes", json=body, timeout=10,
                             headers=platform["auth"]("staff"))
    assert response.status_code == 201, response.text
    return response.json()


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/problem+json")
    return response.json()


def table_counts(db: str) -> dict:
    return query(db, """SELECT (SELECT count(*) FROM enrollments) AS enrollments,
                               (SELECT count(*) FROM consultations) AS consultations,
                               (SELECT count(*) FROM outbox
                                 WHERE routing_key <> 'impact_updated') AS events""")[0]


def test_the_catalog_describes_four_programs_in_japanese_english_and_nepali(platform):
    names = {}
    for lang in ("ja", "en", "ne-NP"):
        response = requests.get(f"{platform['url']}/api/programs", params={"lang": lang},
                                timeout=10)
        assert response.status_code == 200
        body = response.json()
        assert body["lang"] == lang[:2]
        assert [p["id"] for p in body["programs"]] == [
            "otonari-san-family-friend", "spot-otonari-san", "hanamaru-class",
            "daily-life-consultation"]
        assert all(p["name"] and p["tagline"] and p["description"] for p in body["programs"])
        names[lang] = [p["name"] for p in body["programs"]]
    assert len({tuple(n) for n in names.values()}) == 3  # really three languages
    fallback = requests.get(f"{platform['url']}/api/programs?lang=fr", timeout=10).json()
    assert fallback["lang"] == "en"
    assert_problem(requests.get(f"{platform['url']}/api/programs?lang=???", timeout=10), 400)


def test_fifty_concurrent_sign_ups_over_http_fill_ten_seats_and_queue_forty_in_order(platform):
    cls = new_class(platform, capacity=10)
    url = f"{platform['url']}/api/classes/{cls['id']}/enrollments"

    def sign_up(n: int) -> requests.Response:
        return requests.post(url, json=child(n), timeout=60)

    responses = list(eventlet.GreenPool(50).imap(sign_up, range(50)))
    assert [r.status_code for r in responses] == [201] * 50
    results = [r.json() for r in responses]
    assert sorted(r["status"] for r in results).count("confirmed") == 10
    waiting = [r for r in results if r["status"] == "waitlisted"]
    assert sorted(r["position"] for r in waiting) == list(range(1, 41))
    in_arrival_order = query(platform["db"], "SELECT id FROM enrollments WHERE"
                                             " status = 'waitlisted' ORDER BY arrival")
    by_id = {r["id"]: r["position"] for r in waiting}
    assert [by_id[str(row["id"])] for row in in_arrival_order] == list(range(1, 41))

    listed = requests.get(f"{platform['url']}/api/classes", timeout=10).json()["classes"]
    assert [(c["seats_left"], c["waitlist_length"]) for c in listed] == [(0, 40)]

    # The staff withdraw a child: the first waiting takes the seat, and it is announced.
    seated = next(r for r in results if r["status"] == "confirmed")
    response = requests.post(
        f"{platform['url']}/api/staff/classes/{cls['id']}/enrollments/{seated['id']}/withdraw",
        json={"reason": "moved away"}, headers=platform["auth"]("staff"), timeout=10)
    assert response.status_code == 200, response.text
    first_waiting = next(r["id"] for r in waiting if r["position"] == 1)
    assert response.json()["promoted"] == first_waiting
    promoted = query(platform["db"], "SELECT envelope->'data'->>'enrollment_id' AS id FROM"
                                     " outbox WHERE routing_key = 'class_enrollment_promoted'")
    assert promoted == [{"id": first_waiting}]


def test_bad_sign_ups_get_problems_and_change_nothing(platform):
    cls = new_class(platform, capacity=1, waitlist_limit=1)
    url = f"{platform['url']}/api/classes/{cls['id']}/enrollments"
    assert requests.post(url, json=child(1), timeout=10).status_code == 201
    assert requests.post(url, json=child(2), timeout=10).status_code == 201
    before = table_counts(platform["db"])

    no_consent = child(3, participation_consent=False)
    assert "participation_consent" in assert_problem(
        requests.post(url, json=no_consent, timeout=10), 400)["errors"]
    missing = child(3)
    del missing["participation_consent"]
    assert_problem(requests.post(url, json=missing, timeout=10), 400)
    assert_problem(requests.post(url, json=child(1), timeout=10), 409)  # the same child again
    assert_problem(requests.post(url, json=child(3), timeout=10), 409)  # waitlist full
    unknown = f"{platform['url']}/api/classes/3f2e1d0c-9b8a-4c7d-8e6f-5a4b3c2d1e0f/enrollments"
    assert_problem(requests.post(unknown, json=child(3), timeout=10), 404)
    assert_problem(requests.post(url, data="{not json", timeout=10,
                                 headers={"Content-Type": "application/json"}), 400)
    bad_topic = {"topic": "astrology", "language": "ne", "summary": "help", "name": "Ram",
                 "email": "ram@example.org", "locale": "ne"}
    assert "topic" in assert_problem(requests.post(
        f"{platform['url']}/api/consultations", json=bad_topic, timeout=10), 400)["errors"]
    assert table_counts(platform["db"]) == before


def test_case_notes_are_for_consultants_and_admins_only(platform):
    url = platform["url"]
    response = requests.post(f"{url}/api/consultations", timeout=10, json={
        "topic": "work", "language": "ne", "urgency": "high", "summary": "Unpaid wages",
        "name": "Ram Thapa", "email": "ram@example.org", "locale": "ne"})
    assert response.status_code == 201 and response.json()["status"] == "intake"
    notes = f"{url}/api/staff/consultations/{response.json()['id']}/notes"

    written = requests.post(notes, json={"body": "Labour office visit on Monday."},
                            headers=platform["auth"]("consultant"), timeout=10)
    assert written.status_code == 201, written.text
    read = requests.get(notes, headers=platform["auth"]("consultant"), timeout=10)
    assert read.status_code == 200
    assert [n["body"] for n in read.json()["notes"]] == ["Labour office visit on Monday."]
    assert requests.get(notes, headers=platform["auth"]("admin"), timeout=10).status_code == 200

    assert_problem(requests.get(notes, headers=platform["auth"]("staff"), timeout=10), 403)
    assert_problem(requests.get(notes, timeout=10), 401)
    assert_problem(requests.post(notes, json={"body": "x"}, headers=platform["auth"]("staff"),
                                 timeout=10), 403)
    assert query(platform["db"], "SELECT count(*) AS n FROM case_notes")[0]["n"] == 1


def test_a_capacity_raise_seats_the_waitlist_and_a_lowering_below_the_seats_is_refused(
    platform
):
    cls = new_class(platform, capacity=1)
    url = f"{platform['url']}/api/classes/{cls['id']}/enrollments"
    kids = [requests.post(url, json=child(n), timeout=10).json() for n in range(4)]
    capacity = f"{platform['url']}/api/staff/classes/{cls['id']}/capacity"

    raised = requests.post(capacity, json={"capacity": 3}, headers=platform["auth"]("staff"),
                           timeout=10)
    assert raised.status_code == 200, raised.text
    assert raised.json()["promoted"] == [kids[1]["id"], kids[2]["id"]]
    assert (raised.json()["seats_left"], raised.json()["waitlist_length"]) == (0, 1)
    before = table_counts(platform["db"])
    refused = assert_problem(requests.post(capacity, json={"capacity": 2}, timeout=10,
                                           headers=platform["auth"]("admin")), 409)
    assert "3 children have a seat" in refused["detail"]
    assert_problem(requests.post(capacity, json={"capacity": 5}, timeout=10,
                                 headers=platform["auth"]("consultant")), 403)
    assert table_counts(platform["db"]) == before


def test_the_guardian_withdraws_with_the_link_from_the_event_and_the_next_child_is_seated(
    platform
):
    cls = new_class(platform, capacity=1)
    url = f"{platform['url']}/api/classes/{cls['id']}/enrollments"
    seated, waiting = (requests.post(url, json=child(n), timeout=10).json() for n in range(2))
    [link] = query(platform["db"], "SELECT envelope->'data'->>'withdraw_url' AS url FROM outbox"
                                   " WHERE routing_key = 'class_enrollment_confirmed'")
    assert link["url"].startswith(f"{platform['url']}/api/class-enrollments/withdraw/")

    shown = requests.get(link["url"], timeout=10)
    assert shown.status_code == 200, shown.text
    assert shown.json() == {"class_title": "Hanamaru Class Toshima",
                            "child_first_name": "Kid0", "status": "confirmed"}
    answers = [requests.post(link["url"], timeout=10) for _ in range(2)]
    assert [a.status_code for a in answers] == [200, 200]
    assert answers[0].json() == answers[1].json() == {**shown.json(), "status": "withdrawn"}
    promoted = query(platform["db"], "SELECT envelope->'data' AS data FROM outbox"
                                     " WHERE routing_key = 'class_enrollment_promoted'")
    assert [p["data"]["enrollment_id"] for p in promoted] == [waiting["id"]]
    assert promoted[0]["data"]["withdraw_url"] != link["url"]  # the promoted child's own
    assert_problem(requests.post(link["url"] + "x", timeout=10), 400)
    roster = requests.get(f"{platform['url']}/api/staff/classes/{cls['id']}", timeout=10,
                          headers=platform["auth"]("staff")).json()
    assert {e["id"]: e["status"] for e in roster["enrollments"]} == \
        {seated["id"]: "withdrawn", waiting["id"]: "confirmed"}


def test_a_guardian_opening_the_link_in_a_browser_confirms_on_a_page_and_the_form_withdraws(
    platform
):
    cls = new_class(platform, capacity=1)
    url = f"{platform['url']}/api/classes/{cls['id']}/enrollments"
    seated, waiting = (requests.post(url, json=child(n), timeout=10).json() for n in range(2))
    [link] = query(platform["db"], "SELECT envelope->'data'->>'withdraw_url' AS url FROM outbox"
                                   " WHERE routing_key = 'class_enrollment_confirmed'")
    browser = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8",
               "Accept-Language": "ne-NP,ne;q=0.9,en;q=0.5"}

    def statuses() -> dict:
        return {str(row["id"]): row["status"]
                for row in query(platform["db"], "SELECT id, status FROM enrollments")}

    page = requests.get(link["url"], headers=browser, timeout=10)
    assert page.status_code == 200, page.text
    assert page.headers["Content-Type"].startswith("text/html")
    assert '<html lang="ne">' in page.text
    assert "Kid0" in page.text and "Hanamaru Class Toshima" in page.text
    assert statuses() == {seated["id"]: "confirmed", waiting["id"]: "waitlisted"}

    action = re.search(r'<form method="post" action="([^"]+)">', page.text).group(1)
    done = requests.post(urljoin(page.url, html.unescape(action)), data="", timeout=10,
                         headers={**browser,
                                  "Content-Type": "application/x-www-form-urlencoded"})
    assert done.status_code == 200, done.text
    assert "<form" not in done.text
    assert statuses() == {seated["id"]: "withdrawn", waiting["id"]: "confirmed"}
    again = requests.get(link["url"], headers=browser, timeout=10)
    assert again.status_code == 200 and "<form" not in again.text  # already withdrawn


def test_staff_page_through_consultations_newest_first(platform):
    url = platform["url"]
    opened = [requests.post(f"{url}/api/consultations", timeout=10, json={
        "topic": topic, "language": "ne", "summary": "help", "name": f"Resident {n}",
        "email": f"r{n}@example.org", "locale": "ne"}).json()["id"]
        for n, topic in enumerate(["work", "housing", "work"])]
    search = f"{url}/api/staff/consultations"
    first = requests.get(search, params={"topic": "work", "limit": 1}, timeout=10,
                         headers=platform["auth"]("consultant"))
    assert first.status_code == 200, first.text
    second = requests.get(search, params={"topic": "work", "limit": 1,
                                          "after": first.json()["next"]},
                          headers=platform["auth"]("consultant"), timeout=10).json()
    assert [c["id"] for c in first.json()["consultations"] + second["consultations"]] == \
        [opened[2], opened[0]]
    assert second["next"] is None
    assert_problem(requests.get(search, timeout=10), 401)
    assert "status" in assert_problem(requests.get(
        search, params={"status": "open"}, headers=platform["auth"]("staff"), timeout=10),
        400)["errors"]


def test_sessions_and_attendance_reach_the_public_impact_figures(platform):
    cls = new_class(platform, capacity=3)
    url = f"{platform['url']}/api/classes/{cls['id']}/enrollments"
    kids = [requests.post(url, json=child(n), timeout=10).json() for n in range(3)]
    for session, present in zip(cls["sessions"], (kids, kids[:2]), strict=True):
        response = requests.post(
            f"{platform['url']}/api/staff/classes/{cls['id']}/sessions/{session['id']}"
            "/attendance", json={"present": [k["id"] for k in present]},
            headers=platform["auth"]("staff"), timeout=10)
        assert response.status_code == 200, response.text

    def totals() -> dict:
        return requests.get(f"{platform['url']}/api/impact", timeout=10).json()["totals"]

    wait_until(lambda: totals()["attendances"] == 5, timeout=30, message="the ledger")
    figures = totals()
    assert (figures["sessions_held"], figures["children_enrolled"]) == (2, 3)
    assert figures["residents_supported"] == 3
    assert_problem(requests.get(f"{platform['url']}/api/impact?from=2026-13", timeout=10), 400)


def test_staff_edit_a_class_and_a_lowering_below_the_seats_is_refused_unchanged(platform):
    cls = new_class(platform, capacity=1)
    for n in range(2):
        requests.post(f"{platform['url']}/api/classes/{cls['id']}/enrollments", json=child(n),
                      timeout=10)
    url = f"{platform['url']}/api/staff/classes/{cls['id']}"

    edited = requests.patch(url, json={"title": "Hanamaru Class Ikebukuro", "capacity": 2},
                            headers=platform["auth"]("admin"), timeout=10)
    assert edited.status_code == 200, edited.text
    assert (edited.json()["title"], edited.json()["capacity"], edited.json()["seats_left"],
            len(edited.json()["promoted"])) == ("Hanamaru Class Ikebukuro", 2, 0, 1)

    refused = assert_problem(requests.patch(url, json={"schedule": "Mondays", "capacity": 1},
                                            headers=platform["auth"]("staff"), timeout=10), 409)
    assert "cannot go below 2" in refused["detail"]
    for body in ({}, {"capacity": 0}, {"title": ""}, {"colour": "red"}):
        assert_problem(requests.patch(url, json=body, headers=platform["auth"]("staff"),
                                      timeout=10), 400)
    assert_problem(requests.patch(url, json={"title": "x"},
                                  headers=platform["auth"]("consultant"), timeout=10), 403)
    assert_problem(requests.patch(url, json={"title": "x"}, timeout=10), 401)
    roster = requests.get(url, headers=platform["auth"]("staff"), timeout=10).json()
    assert (roster["title"], roster["schedule"], roster["capacity"]) == (
        "Hanamaru Class Ikebukuro", "Sundays 14:00-15:30", 2)


def test_staff_cancel_a_session_ahead_and_the_families_with_a_seat_are_told(platform):
    from datetime import UTC, datetime, timedelta

    ahead = datetime.now(UTC) + timedelta(days=30)
    cls = new_class(platform, capacity=1, sessions=[
        {"starts_at": (ahead + timedelta(days=7 * n)).isoformat()} for n in range(2)])
    for n in range(2):  # one seat, one child waiting: only the first family is told
        requests.post(f"{platform['url']}/api/classes/{cls['id']}/enrollments", json=child(n),
                      timeout=10)
    session = cls["sessions"][0]["id"]
    url = f"{platform['url']}/api/staff/classes/{cls['id']}/sessions/{session}/cancel"
    before = table_counts(platform["db"])

    for role, status in (("consultant", 403), (None, 401)):
        headers = platform["auth"](role) if role else {}
        assert_problem(requests.post(url, json={"reason": "weather"}, headers=headers,
                                     timeout=10), status)
    for body in ({}, {"reason": "strike"}, {"reason": "other"}, {"reason": "weather", "x": 1}):
        assert_problem(requests.post(url, json=body, headers=platform["auth"]("staff"),
                                     timeout=10), 400)
    assert table_counts(platform["db"]) == before

    done = requests.post(url, json={"reason": "weather"}, headers=platform["auth"]("staff"),
                         timeout=10)
    assert done.status_code == 200, done.text
    assert (done.json()["cancelled"], done.json()["families_told"]) == (True, 1)
    [event] = query(platform["db"], "SELECT envelope->'data' AS data FROM outbox"
                                    " WHERE routing_key = 'class_session_cancelled'")
    assert [f["guardian"]["email"] for f in event["data"]["families"]] == ["parent0@example.org"]
    public = requests.get(f"{platform['url']}/api/classes", timeout=10).json()["classes"]
    [listed] = [c for c in public if c["id"] == cls["id"]]
    assert [s["cancelled"] for s in listed["sessions"]] == [True, False]
