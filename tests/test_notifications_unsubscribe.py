"""End to end: the monthly impact update reaches active partners only, and the one-click
unsubscribe (RFC 8058) POSTed to the gateway stops the next one for that person only; the same
link opened in a browser only asks, and its button unsubscribes. Staff read the delivery log
through the gateway."""

from __future__ import annotations

import re
import uuid
from typing import Any
from urllib.parse import urljoin

import pytest
import requests
from gateway.auth import issue_token
from notifications.unsubscribe import UnsubscribeLinks
from servicekit.events import Envelope
from servicekit.events.relay import event_exchange, make_publisher
from servicekit.testing import query, wait_until

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
           "Accept-Language": "ne-NP,ne;q=0.9,en;q=0.5"}


@pytest.fixture
def platform(platform_factory):
    started = platform_factory("notifications", "gateway",
                               overrides={"notifications": {"MAIL_FROM": "info@j-ii.org"}})
    return {"url": started.url, "config": started.configs["notifications"],
            "gateway": started.configs["gateway"]}


def publish(config: dict[str, Any], source: str, event_type: str, data: dict[str, Any],
            occurred_at: str | None = None) -> Envelope:
    event = Envelope.new(source, event_type, data, correlation_id="e2e")
    if occurred_at:
        event = Envelope(**{**event.to_dict(), "occurred_at": occurred_at})
    make_publisher(config["AMQP_URI"]).publish(
        event.to_dict(), exchange=event_exchange(event.exchange), routing_key=event.type)
    return event


def partner(email: str, name: str, locale: str = "en") -> dict[str, Any]:
    return {"supporter_id": str(uuid.uuid4()), "pledge_id": str(uuid.uuid4()), "name": name,
            "email": email, "locale": locale, "amount": 3000, "currency": "jpy",
            "started_at": "2026-03-01T00:00:00+00:00"}


def pledge_event(p: dict[str, Any], status: str) -> dict[str, Any]:
    return {**{k: p[k] for k in ("supporter_id", "pledge_id", "name", "email", "locale",
                                 "amount", "currency")},
            "status": status, "occurred_at": "2026-03-15T00:00:00+00:00", "actor": "supporter"}


def impact(month: str) -> dict[str, Any]:
    return {"month": month, "residents_supported": 40, "pairings_completed": 3,
            "spot_requests_done": 9, "children_enrolled": 14, "sessions_held": 4,
            "attendances": 50, "consultations_resolved": 6, "yen_raised": 420000,
            "yen_raised_by_source": {"monthly": 420000},
            "updated_at": f"{month}-28T00:00:00+00:00"}


def impact_mail_to(smtp_sink, month_words: str) -> list[str]:
    return sorted(m["To"].addresses[0].addr_spec for m in smtp_sink.messages()
                  if month_words in str(m["Subject"]))


def test_impact_update_goes_to_active_partners_and_one_click_unsubscribe_stops_only_that_one(
    platform, smtp_sink
):
    config = platform["config"]
    ann, ben = partner("ann@example.org", "Ann Lee"), partner("ben@example.org", "Ben Ito")
    paused, gone = partner("cho@example.org", "Cho Park"), partner("dev@example.org", "Dev Rai")
    for p in (ann, ben, paused, gone):
        publish(config, "donations", "pledge_started", p,
                occurred_at="2026-03-01T00:00:00+00:00")
    publish(config, "donations", "pledge_paused", pledge_event(paused, "paused"),
            occurred_at="2026-03-15T00:00:00+00:00")
    publish(config, "donations", "pledge_canceled", {**pledge_event(gone, "canceled"),
                                                     "reason": "moving abroad"},
            occurred_at="2026-03-15T00:00:00+00:00")
    wait_until(lambda: query(config["DATABASE_URL"],
                             "SELECT count(*) AS n FROM partners WHERE status <> 'active'"
                             )[0]["n"] == 2, message="the partner list")

    # April's figures change many times during April: nothing is mailed until May begins.
    publish(config, "programs", "impact_updated", impact("2026-04"))
    publish(config, "programs", "impact_updated", impact("2026-05"))
    publish(config, "programs", "impact_updated", {**impact("2026-05"),
                                                   "updated_at": "2026-05-29T00:00:00+00:00"})
    wait_until(lambda: len(impact_mail_to(smtp_sink, "April 2026")) == 2,
               message="April's update to the two active partners")
    assert impact_mail_to(smtp_sink, "April 2026") == ["ann@example.org", "ben@example.org"]
    # One relay connection for the whole mailing (the last two messages), not one per partner.
    assert len(set(smtp_sink.connections()[-2:])) == 1

    [ann_mail] = [m for m in smtp_sink.messages() if m["To"].addresses[0].addr_spec
                  == "ann@example.org"]
    assert ann_mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = str(ann_mail["List-Unsubscribe"]).strip("<>")
    assert link.startswith(platform["url"] + "/api/unsubscribe/")
    assert link in ann_mail.get_body(("plain",)).get_content()

    # What a mail client does for the one-click button (RFC 8058).
    answer = requests.post(link, data="List-Unsubscribe=One-Click", timeout=10,
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"unsubscribed": True, "list": "impact_update"}

    publish(config, "programs", "impact_updated", impact("2026-06"))
    wait_until(lambda: impact_mail_to(smtp_sink, "May 2026"), message="May's update")
    assert impact_mail_to(smtp_sink, "May 2026") == ["ben@example.org"]

    # Transactional mail to Ann is untouched by the opt-out.
    publish(config, "donations", "payment_failed", {
        "supporter_id": ann["supporter_id"], "name": ann["name"], "email": ann["email"],
        "locale": "en", "pledge_id": ann["pledge_id"], "donation_id": None,
        "source": "monthly", "amount": 3000, "currency": "jpy", "failure_reason": "expired",
        "failed_at": "2026-06-27T00:00:00+00:00"})
    wait_until(lambda: any("could not be processed" in str(m["Subject"])
                           for m in smtp_sink.messages()), message="the payment failure mail")


def unsubscribed(config: dict[str, Any]) -> list[tuple[str, str]]:
    return [(row["recipient"], row["list"]) for row in query(
        config["DATABASE_URL"], "SELECT recipient, list FROM unsubscribes ORDER BY recipient")]


def test_the_link_opened_in_a_browser_asks_first_and_its_button_unsubscribes(platform):
    config = platform["config"]
    link = UnsubscribeLinks(config["UNSUBSCRIBE_SECRET"], platform["url"]).url(
        "Ann@Example.org", "impact_update")

    # Opening the link (or a scanner prefetching it) changes nothing.
    page = requests.get(link, headers=BROWSER, timeout=10)
    assert page.status_code == 200, page.text
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert '<html lang="ne">' in page.text
    assert unsubscribed(config) == []

    # The button: the form's POST, as a browser submits it.
    [action] = re.findall(r'<form method="post" action="([^"]+)">', page.text)
    done = requests.post(urljoin(link, action.replace("&amp;", "&")),
                         data="List-Unsubscribe=One-Click", timeout=10,
                         headers={**BROWSER, "Content-Type": "application/x-www-form-urlencoded"})
    assert done.status_code == 200, done.text
    assert done.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "तपाईंको सदस्यता रद्द गरिएको छ" in done.text
    assert unsubscribed(config) == [("ann@example.org", "impact_update")]

    # A mail client's one-click POST of the same link afterwards: JSON, and harmless.
    again = requests.post(link, data="List-Unsubscribe=One-Click", timeout=10,
                          headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert again.json() == {"unsubscribed": True, "list": "impact_update"}
    assert unsubscribed(config) == [("ann@example.org", "impact_update")]


def test_a_forged_unsubscribe_link_is_refused_with_a_problem_document(platform):
    forged = f"{platform['url']}/api/unsubscribe/eyJlIjoiYUBiLmMifQ.forged"
    answer = requests.post(forged, timeout=10)
    assert answer.status_code == 400
    assert answer.headers["Content-Type"].startswith("application/problem+json")
    assert answer.json()["type"] == "/problems/bad-signature"

    # ...or with a page, when a browser submits the form of a forged link's page.
    page = requests.post(forged, data="List-Unsubscribe=One-Click", timeout=10,
                         headers={**BROWSER, "Content-Type": "application/x-www-form-urlencoded"})
    assert page.status_code == 400
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "यो लिङ्क मान्य छैन" in page.text
    assert unsubscribed(platform["config"]) == []


def _staff(platform, role: str = "staff") -> dict[str, str]:
    token = issue_token(platform["gateway"]["STAFF_TOKEN_SECRET"], "s@j-ii.org", role)
    return {"Authorization": f"Bearer {token}"}


def test_staff_read_the_delivery_log_by_address_or_by_event(platform, smtp_sink):
    config = platform["config"]
    event = publish(config, "donations", "payment_refunded", {
        "supporter_id": str(uuid.uuid4()), "name": "Ann Lee", "email": "Ann@Example.org",
        "locale": "en", "payment_id": str(uuid.uuid4()), "refund_id": str(uuid.uuid4()),
        "source": "card_one_time", "receipt_number": "R2026-000007", "amount": 1000,
        "payment_amount": 3000, "refunded_total": 1000, "fully_refunded": False,
        "currency": "jpy", "refunded_at": "2026-04-02T00:00:00+00:00"})
    wait_until(smtp_sink.messages, message="the refund notice")
    url = f"{platform['url']}/api/staff/mail"

    by_email = requests.get(url, params={"email": "ann@example.org"},
                            headers=_staff(platform), timeout=10)
    by_event = requests.get(url, params={"event": event.id}, headers=_staff(platform),
                            timeout=10)

    assert by_email.status_code == 200, by_email.text
    [entry] = by_email.json()["deliveries"]
    assert entry["kind"] == "refund_notice" and entry["status"] == "sent"
    assert entry["attempts"] == 1 and entry["last_attempt_at"]
    assert entry["event_id"] == event.id
    assert by_event.json() == by_email.json()


@pytest.mark.parametrize(("headers", "status"), [
    ({}, 401),
    ({"Authorization": "Bearer not-a-token"}, 401),
    ("consultant", 403),
])
def test_the_delivery_log_refuses_missing_bad_and_wrong_role_tokens(platform, headers, status):
    if isinstance(headers, str):
        headers = _staff(platform, headers)
    answer = requests.get(f"{platform['url']}/api/staff/mail",
                          params={"email": "ann@example.org"}, headers=headers, timeout=10)
    assert answer.status_code == status


@pytest.mark.parametrize("params", [{}, {"email": "a@b.org", "event": str(uuid.uuid4())},
                                    {"event": "not-a-uuid"}, {"email": "nope"}])
def test_the_delivery_log_needs_exactly_one_valid_filter(platform, params):
    answer = requests.get(f"{platform['url']}/api/staff/mail", params=params,
                          headers=_staff(platform), timeout=10)
    assert answer.status_code == 400
    assert answer.headers["Content-Type"].startswith("application/problem+json")
