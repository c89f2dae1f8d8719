"""The public lists the site fetches on every page (programs, classes, donation tiers, impact)
carry an ETag and Cache-Control, and the gateway answers 304 to an If-None-Match naming the
current tag (RFC 9110: weak comparison, lists of tags, `*`), through the real services."""

from __future__ import annotations

import pytest
import requests
from gateway.auth import issue_token

PUBLIC_LISTS = ("/api/programs?lang=ja", "/api/classes", "/api/donation-tiers",
                "/api/impact?from=2026-01&to=2026-03")


@pytest.fixture
def platform(platform_factory):
    # No card is charged here: Stripe points nowhere.
    started = platform_factory("programs", "donations", "gateway", stripe="http://127.0.0.1:9")
    token = issue_token(started.staff_secret, "aiko@jii.example", "staff")
    return {"url": started.url, "staff": {"Authorization": f"Bearer {token}"}}


def get(platform, path: str, **headers: str) -> requests.Response:
    return requests.get(f"{platform['url']}{path}", headers=headers, timeout=10)


@pytest.mark.parametrize("path", PUBLIC_LISTS)
def test_a_public_list_answers_304_to_its_current_tag_weak_listed_or_star(platform, path):
    first = get(platform, path)
    assert first.status_code == 200, first.text
    tag = first.headers["ETag"]
    assert tag.startswith('"') and tag.endswith('"'), "a strong validator"
    assert first.headers["Cache-Control"].startswith(("public, max-age=", "no-cache"))
    assert get(platform, path).headers["ETag"] == tag, "the same answer, the same tag"

    for offered in (tag, f"W/{tag}", f'"older", {tag}', f'W/"a,b", W/{tag}', "*"):
        again = get(platform, path, **{"If-None-Match": offered})
        assert again.status_code == 304, offered
        assert again.content == b""
        assert again.headers["ETag"] == tag
        assert again.headers["Cache-Control"] == first.headers["Cache-Control"]
        assert "Content-Type" not in again.headers

    stale = get(platform, path, **{"If-None-Match": f'"older", W/"{tag[1:-2]}"'})
    assert stale.status_code == 200
    assert stale.json() == first.json()


def test_a_change_to_the_list_changes_the_tag_and_the_old_one_gets_the_new_body(platform):
    before = get(platform, "/api/classes")
    assert before.json()["classes"] == []
    assert before.headers["Cache-Control"] == "no-cache", "seats left change with each sign-up"
    created = requests.post(f"{platform['url']}/api/staff/classes", headers=platform["staff"],
                            timeout=10, json={
        "title": "Hanamaru Class Toshima", "venue": "Ikebukuro Library",
        "schedule": "Sundays 14:00-15:30", "level": "katakana", "capacity": 8,
        "sessions": [{"starts_at": "2026-06-07T14:00:00+09:00"}]})
    assert created.status_code == 201, created.text

    after = get(platform, "/api/classes", **{"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200
    assert after.headers["ETag"] != before.headers["ETag"]
    assert [c["id"] for c in after.json()["classes"]] == [created.json()["id"]]


def test_each_language_of_the_catalogue_has_its_own_tag(platform):
    tags = {lang: get(platform, f"/api/programs?lang={lang}").headers["ETag"]
            for lang in ("ja", "en", "ne")}
    assert len(set(tags.values())) == 3
    crossed = get(platform, "/api/programs?lang=en", **{"If-None-Match": tags["ja"]})
    assert crossed.status_code == 200


def test_a_refused_query_is_not_cached_and_the_contract_documents_304(platform):
    refused = get(platform, "/api/programs?lang=ja&colour=red", **{"If-None-Match": "*"})
    assert refused.status_code == 400
    assert "ETag" not in refused.headers
    document = get(platform, "/api/openapi.json").json()
    for path in ("/api/programs", "/api/classes", "/api/donation-tiers", "/api/impact"):
        operation = document["paths"][path]["get"]
        assert "304" in operation["responses"], path
        assert {"ETag", "Cache-Control"} <= set(operation["responses"]["200"]["headers"]), path
        assert "If-None-Match" in {p.get("name") for p in operation["parameters"]}, path
