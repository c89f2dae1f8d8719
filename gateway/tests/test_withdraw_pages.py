"""The guardian's withdrawal link opened in a browser: a page naming the child and the class that
changes nothing, a button whose POST withdraws and answers with a page; the site's JSON stays."""

from __future__ import annotations

import html
import re
from urllib.parse import urljoin

import pytest
import requests
from gateway_fakes import CALLS, WorkerContext
from page_checks import assert_page
from servicekit import errors
from servicekit.rpc import rpc

TOKEN = "eyJlbnJvbGxtZW50IjoiNWU3YyJ9.aGVsbG8.c2lnbmF0dXJl-_x"
CLASS_TITLE = "Hanamaru Class Shinjuku"
CHILD = "Aarav"
NASTY_TITLE = '<script>alert("x")</script> & Co'
NASTY_CHILD = '<img src=x onerror="alert(1)">'
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
CONFIRM_TITLES = {
    "ja": f"「{CLASS_TITLE}」への {CHILD} さんのお申し込みを取り消しますか？",
    "en": f"Cancel {CHILD}'s place in {CLASS_TITLE}?",
    "ne": f"{CLASS_TITLE} मा {CHILD} को स्थान रद्द गर्न चाहनुहुन्छ?",
}
NEXT_FAMILY = {"ja": "お席はお待ちいただいている次のご家族にお譲りします",
               "en": "the place goes to the next family waiting",
               "ne": "त्यो स्थान पर्खिरहेको अर्को परिवारले पाउनेछ"}
LEAVES_THE_LIST = {"ja": "キャンセル待ちから外れます", "en": f"{CHILD} leaves the waiting list",
                   "ne": "प्रतीक्षा सूचीबाट हटाइनेछ"}
BUTTONS = {"ja": "お申し込みを取り消す", "en": "Cancel the sign-up", "ne": "भर्ना रद्द गर्नुहोस्"}
DONE = {"ja": "お申し込みを取り消しました", "en": "The sign-up has been cancelled",
        "ne": "भर्ना रद्द गरिएको छ"}
ALREADY = {"ja": "このお申し込みはすでに取り消されています",
           "en": "This sign-up is already cancelled",
           "ne": "यो भर्ना पहिले नै रद्द भइसकेको छ"}
INVALID = {"ja": "このリンクは無効です", "en": "This link is not valid",
           "ne": "यो लिङ्क मान्य छैन"}


class FakePrograms:
    """The two link methods. The token's last part picks the case: `.waitlisted`, `.withdrawn`
    (already), `.nasty` (names that are HTML), `.forged` (not signed), `.gone` (no such
    enrolment); anything else is a confirmed seat."""

    name = "programs"
    ctx = WorkerContext()

    @rpc
    def enrollment_by_link(self, token: str) -> dict:
        CALLS.record(self.ctx, "enrollment_by_link", token)
        return self._view(token, token.rsplit(".", 1)[-1])

    @rpc
    def withdraw_by_link(self, token: str) -> dict:
        CALLS.record(self.ctx, "withdraw_by_link", token)
        return {**self._view(token, token.rsplit(".", 1)[-1]), "status": "withdrawn"}

    def _view(self, token: str, case: str) -> dict:
        if case == "forged":
            raise errors.BadSignature("this link is not valid")
        if case == "gone":
            raise errors.NotFound("no such enrollment")
        if case == "broken":
            raise RuntimeError("a bug in programs")
        nasty = token.endswith(".nasty")
        return {"class_title": NASTY_TITLE if nasty else CLASS_TITLE,
                "child_first_name": NASTY_CHILD if nasty else CHILD,
                "status": case if case in ("waitlisted", "withdrawn") else "confirmed",
                "guardian_email": "never shown"}

    @rpc
    def ping(self) -> str:
        return "pong"


@pytest.fixture
def programs(start_service, calls):
    return start_service(FakePrograms)


def url(gateway: str, token: str = TOKEN) -> str:
    return f"{gateway}/api/class-enrollments/withdraw/{token}"


def title_of(response: requests.Response) -> str:
    return html.unescape(re.search(r"<h1>(.*?)</h1>", response.text, re.S).group(1))


def text_of(response: requests.Response) -> str:
    return html.unescape(response.text)


def test_the_link_opened_in_a_browser_names_the_child_and_the_class_and_withdraws_no_one(
        gateway, programs, calls):
    response = requests.get(url(gateway), headers=BROWSER, timeout=10)

    assert assert_page(response) == "ja"
    assert title_of(response) == CONFIRM_TITLES["ja"]
    [form] = re.findall(r"<form [^>]*>", response.text)
    assert form == f'<form method="post" action="./{TOKEN}?lang=ja">'
    assert "<input" not in response.text  # the token in the URL is the whole request
    assert "never shown" not in response.text
    assert [args for args, _ in calls.of("enrollment_by_link")] == [(TOKEN,)]
    assert calls.of("withdraw_by_link") == []


@pytest.mark.parametrize("lang", ["ja", "en", "ne"])
def test_the_confirmation_says_what_happens_in_each_language(gateway, programs, lang):
    response = requests.get(url(gateway), params={"lang": lang}, headers=BROWSER, timeout=10)

    assert assert_page(response) == lang
    assert title_of(response) == CONFIRM_TITLES[lang]
    assert NEXT_FAMILY[lang] in text_of(response)
    assert f'<button type="submit">{BUTTONS[lang]}</button>' in response.text
    assert f'action="./{TOKEN}?lang={lang}"' in response.text


@pytest.mark.parametrize("lang", ["ja", "en", "ne"])
def test_a_waiting_child_is_told_they_leave_the_waiting_list(gateway, programs, lang):
    response = requests.get(url(gateway, TOKEN + ".waitlisted"), params={"lang": lang},
                            headers=BROWSER, timeout=10)

    assert assert_page(response) == lang
    assert CHILD in title_of(response) and CLASS_TITLE in title_of(response)
    assert LEAVES_THE_LIST[lang] in text_of(response)
    assert NEXT_FAMILY[lang] not in text_of(response)
    assert BUTTONS[lang] in response.text


@pytest.mark.parametrize("accept_language, lang", [("ne-NP, en;q=0.5", "ne"),
                                                   ("en-US,en;q=0.9", "en"),
                                                   ("fr-FR", "ja")])
def test_accept_language_picks_the_language_when_the_link_does_not(
        gateway, programs, accept_language, lang):
    response = requests.get(url(gateway), timeout=10,
                            headers={**BROWSER, "Accept-Language": accept_language})

    assert assert_page(response) == lang


@pytest.mark.parametrize("lang", ["ja", "en", "ne"])
def test_an_already_withdrawn_sign_up_shows_no_button(gateway, programs, calls, lang):
    response = requests.get(url(gateway, TOKEN + ".withdrawn"), params={"lang": lang},
                            headers=BROWSER, timeout=10)

    assert assert_page(response) == lang
    assert title_of(response) == ALREADY[lang]
    assert CHILD in text_of(response) and CLASS_TITLE in text_of(response)
    assert "<form" not in response.text and BUTTONS[lang] not in response.text
    assert calls.of("withdraw_by_link") == []


@pytest.mark.parametrize("lang", ["ja", "en", "ne"])
def test_the_button_withdraws_and_answers_with_a_page(gateway, programs, calls, lang):
    shown = requests.get(url(gateway), params={"lang": lang}, headers=BROWSER, timeout=10)
    action = re.search(r'<form method="post" action="([^"]+)">', shown.text).group(1)

    # What the browser does with the form: an empty form-encoded body, to the action's URL.
    response = requests.post(urljoin(shown.url, html.unescape(action)), data="",
                             headers={**BROWSER, **FORM}, timeout=10)

    assert response.request.url == f"{url(gateway)}?lang={lang}"
    assert assert_page(response) == lang
    assert title_of(response) == DONE[lang]
    assert CHILD in text_of(response) and CLASS_TITLE in text_of(response)
    assert "<form" not in response.text
    assert [args for args, _ in calls.of("withdraw_by_link")] == [(TOKEN,)]


@pytest.mark.parametrize("accept", [None, "*/*", "application/json",
                                    "application/json, text/html;q=0.5"])
def test_json_clients_still_get_json(gateway, programs, calls, accept):
    headers = {"Accept": accept} if accept else {}

    shown = requests.get(url(gateway), headers=headers, timeout=10)
    done = requests.post(url(gateway), headers=headers, timeout=10)

    for response, status in ((shown, "confirmed"), (done, "withdrawn")):
        assert response.status_code == 200, response.text
        assert response.headers["Content-Type"] == "application/json"
        assert "Accept" in response.headers["Vary"]
        assert response.json() == {"class_title": CLASS_TITLE, "child_first_name": CHILD,
                                   "status": status}
    assert [args for args, _ in calls.of("withdraw_by_link")] == [(TOKEN,)]


@pytest.mark.parametrize("token, status", [
    ("eyJ9.abc.forged", 400),  # not signed by programs (or expired)
    ("abc!def", 400), ("...", 400), ("%3Cscript%3E", 400), ("x" * 1025, 400),  # not its shape
    ("eyJ9.abc.gone", 404),  # no such enrolment
])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_link_refused_is_a_problem_or_a_page(gateway, programs, token, status, method):
    problem = requests.request(method, url(gateway, token), timeout=10)
    page = requests.request(method, url(gateway, token), params={"lang": "en"},
                            headers=BROWSER, timeout=10)

    assert problem.status_code == status
    assert problem.headers["Content-Type"] == "application/problem+json"
    assert assert_page(page, status) == "en"
    assert title_of(page) == INVALID["en"]
    assert "info@j-ii.org" in page.text
    assert "<form" not in page.text


def test_a_malformed_token_never_reaches_programs(gateway, programs, calls):
    for method in ("GET", "POST"):
        requests.request(method, url(gateway, "abc!def"), headers=BROWSER, timeout=10)
    assert calls.items == []


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_browser_gets_a_retry_page_when_programs_is_down_and_it_is_logged(
        gateway, method, caplog):
    page = requests.request(method, url(gateway), params={"lang": "ne"}, headers=BROWSER,
                            timeout=10)
    logged = [r.msg for r in caplog.records if isinstance(r.msg, dict)]
    assert any(line.get("event") == "service unavailable" for line in logged)
    problem = requests.request(method, url(gateway), timeout=10)

    assert assert_page(page, 503) == "ne"
    assert int(page.headers["Retry-After"]) > 0
    assert "फेरि प्रयास" in page.text
    assert problem.status_code == 503
    assert problem.headers["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_bug_behind_the_link_is_a_500_problem_with_the_request_id_even_for_a_browser(
        gateway, programs, method):
    response = requests.request(method, url(gateway, TOKEN + ".broken"), headers=BROWSER,
                                timeout=10)
    assert response.status_code == 500
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["request_id"] == response.headers["X-Request-ID"]
    assert "a bug in programs" not in response.text


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_names_from_the_service_are_shown_escaped(gateway, programs, method):
    response = requests.request(method, url(gateway, TOKEN + ".nasty"), params={"lang": "en"},
                                headers=BROWSER, timeout=10)

    assert_page(response)
    assert "<script" not in response.text and "<img" not in response.text
    assert html.escape(NASTY_TITLE) in response.text
    assert html.escape(NASTY_CHILD) in response.text
    assert NASTY_TITLE in text_of(response) and NASTY_CHILD in text_of(response)
    assert f"<title>{html.escape(title_of(response))}</title>" in response.text
