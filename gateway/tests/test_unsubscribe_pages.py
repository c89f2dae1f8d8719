"""The unsubscribe link opened in a browser: a confirmation page that changes nothing, and a form
whose POST answers with a page; mail clients' one-click POST keeps its JSON (RFC 8058)."""

from __future__ import annotations

import base64
import hashlib
import html
import re

import pytest
import requests
from gateway_fakes import FakeNotifications
from page_checks import assert_page, page_language

TOKEN = "eyJlIjoiYW5uQGV4YW1wbGUub3JnIiwibCI6ImltcGFjdF91cGRhdGUifQ.c2lnbmF0dXJl-_x"
COMPRESSED = ".eJyrVkpVslJKzEvOzcxL1VEqSk0sLs1RslIqzs9NVaoFAHcnCT4.c2ln"
FORGED = "eyJlIjoiYUBiLmMifQ.forged"
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
ONE_CLICK = "List-Unsubscribe=One-Click"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
BUTTONS = {"ja": "配信を停止する", "en": "Unsubscribe", "ne": "सदस्यता रद्द गर्नुहोस्"}
DONE = {"ja": "配信を停止いたしました", "en": "You have been unsubscribed",
        "ne": "तपाईंको सदस्यता रद्द गरिएको छ"}
INVALID = {"ja": "このリンクは無効です", "en": "This link is not valid",
           "ne": "यो लिङ्क मान्य छैन"}


@pytest.fixture
def notifications(start_service, calls):
    return start_service(FakeNotifications)


def url(gateway: str, token: str = TOKEN) -> str:
    return f"{gateway}/api/unsubscribe/{token}"



def test_the_link_opened_in_a_browser_asks_first_and_unsubscribes_no_one(
        gateway, notifications, calls):
    response = requests.get(url(gateway), headers=BROWSER, timeout=10)

    assert assert_page(response) == "ja"
    [form] = re.findall(r"<form [^>]*>", response.text)
    assert form == f'<form method="post" action="./{TOKEN}?lang=ja">'
    assert '<input type="hidden" name="List-Unsubscribe" value="One-Click">' in response.text
    assert "領収書" in response.text  # receipts and other messages continue
    assert calls.of("unsubscribe") == []


def test_the_page_is_the_same_whatever_the_client_accepts(gateway, notifications, calls):
    for accept in ("application/json", "*/*"):
        response = requests.get(url(gateway), headers={"Accept": accept}, timeout=10)
        assert_page(response)
    assert calls.of("unsubscribe") == []


def test_a_compressed_token_is_a_token_too(gateway, notifications):
    response = requests.get(url(gateway, COMPRESSED), timeout=10)

    assert_page(response)
    assert f'action="./{COMPRESSED}?lang=ja"' in response.text


def test_the_style_block_is_the_one_the_policy_allows(gateway, notifications):
    response = requests.get(url(gateway), timeout=10)

    style = re.search(r"<style>(.*?)</style>", response.text, re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in response.headers["Content-Security-Policy"]
    assert " style=" not in response.text  # inline style attributes would be blocked


@pytest.mark.parametrize("lang", ["ja", "en", "ne"])
def test_the_page_is_written_in_each_language(gateway, notifications, lang):
    response = requests.get(url(gateway), params={"lang": lang}, timeout=10)

    assert assert_page(response) == lang
    assert BUTTONS[lang] in response.text
    assert f'action="./{TOKEN}?lang={lang}"' in response.text


@pytest.mark.parametrize("accept_language, lang", [
    ("ne-NP, en;q=0.5", "ne"),  # a regional tag is not beaten by a plain one further down
    ("en-US,en;q=0.9,ja;q=0.8", "en"),
    ("de-DE, de;q=0.9, ne;q=0.3, en;q=0.2", "ne"),
    ("ja", "ja"),
    ("fr-FR, de;q=0.5", "ja"),
    (None, "ja"),
])
def test_accept_language_picks_the_language(gateway, notifications, accept_language, lang):
    headers = {"Accept-Language": accept_language} if accept_language else {}

    assert page_language(requests.get(url(gateway), headers=headers, timeout=10)) == lang


@pytest.mark.parametrize("asked, lang", [("en", "en"), ("ne-NP", "ne"), ("fr", "ne"),
                                         ("", "ne")])
def test_lang_in_the_query_overrides_accept_language_when_we_write_it(
        gateway, notifications, asked, lang):
    response = requests.get(url(gateway), params={"lang": asked},
                            headers={"Accept-Language": "ne"}, timeout=10)

    assert page_language(response) == lang


@pytest.mark.parametrize("token", [
    "%3Cscript%3Ealert(1)", "a%20b", "%2E%2E%2E", "x" * 1025, "tok%22en",
    "%C3%A9t%C3%A9",
])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_malformed_token_is_400_as_a_problem_or_a_page(gateway, notifications, calls,
                                                         token, method):
    problem = requests.request(method, url(gateway, token), timeout=10)
    page = requests.request(method, url(gateway, token), params={"lang": "en"},
                            headers=BROWSER, timeout=10)

    assert problem.status_code == 400
    assert problem.headers["Content-Type"] == "application/problem+json"
    assert problem.json()["type"] == "/problems/bad-signature"
    assert problem.json()["detail"] == "the unsubscribe link is not valid"
    assert assert_page(page, 400) == "en"
    assert INVALID["en"] in page.text
    assert "<form" not in page.text
    assert calls.of("unsubscribe") == []  # never sent on to the service


@pytest.mark.parametrize("lang", ["ja", "en", "ne"])
def test_the_form_posted_by_a_browser_unsubscribes_and_answers_with_a_page(
        gateway, notifications, calls, lang):
    response = requests.post(url(gateway), params={"lang": lang}, data=ONE_CLICK,
                             headers={**BROWSER, **FORM}, timeout=10)

    assert assert_page(response) == lang
    assert DONE[lang] in response.text
    assert [args for args, _ in calls.of("unsubscribe")] == [(TOKEN,)]


@pytest.mark.parametrize("accept", [None, "*/*", "application/json",
                                    "application/json, text/html;q=0.5"])
@pytest.mark.parametrize("body", ["form", "multipart", "none"])
def test_one_click_posts_of_mail_clients_still_get_json(gateway, notifications, calls,
                                                        accept, body):
    headers = {"Accept": accept} if accept else {}
    if body == "form":
        response = requests.post(url(gateway), data=ONE_CLICK, headers={**headers, **FORM},
                                 timeout=10)
    elif body == "multipart":
        response = requests.post(url(gateway), files={"List-Unsubscribe": (None, "One-Click")},
                                 headers=headers, timeout=10)
        assert response.request.headers["Content-Type"].startswith("multipart/form-data")
    else:
        response = requests.post(url(gateway), headers=headers, timeout=10)

    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {"unsubscribed": True, "list": "impact_update"}
    assert [args for args, _ in calls.of("unsubscribe")] == [(TOKEN,)]


def test_a_link_we_did_not_sign_is_a_problem_or_a_page(gateway, notifications):
    problem = requests.post(url(gateway, FORGED), data=ONE_CLICK, headers=FORM, timeout=10)
    page = requests.post(url(gateway, FORGED), params={"lang": "ne"}, data=ONE_CLICK,
                         headers={**BROWSER, **FORM}, timeout=10)

    assert problem.status_code == 400
    assert problem.json()["type"] == "/problems/bad-signature"
    assert assert_page(page, 400) == "ne"
    assert INVALID["ne"] in page.text


def test_the_confirmation_page_is_shown_even_for_a_forged_token(gateway, notifications, calls):
    # Only the service can check a signature, and the GET must not call it: the POST refuses.
    assert_page(requests.get(url(gateway, FORGED), headers=BROWSER, timeout=10))
    assert calls.of("unsubscribe") == []


def test_a_browser_gets_a_retry_page_when_notifications_is_down(gateway):
    page = requests.post(url(gateway), data=ONE_CLICK, params={"lang": "en"},
                         headers={**BROWSER, **FORM}, timeout=10)
    problem = requests.post(url(gateway), data=ONE_CLICK, headers=FORM, timeout=10)

    assert assert_page(page, 503) == "en"
    assert "try again" in page.text
    assert int(page.headers["Retry-After"]) > 0
    assert problem.status_code == 503
    assert problem.headers["Content-Type"] == "application/problem+json"


def test_pages_escape_what_they_show():
    from gateway import pages

    text = '<img src=x onerror="alert(1)">'
    assert pages.paragraphs(text) == f"<p>{html.escape(text)}</p>"
    assert "<img" not in pages.page("en", "<b>", pages.paragraphs(text)).get_data(as_text=True)
