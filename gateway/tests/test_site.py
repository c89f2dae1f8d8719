"""The public site as the gateway serves it: pages and assets with their types, caching and a
strict Content-Security-Policy; no page holds inline script or style."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import requests
from gateway.capabilities import redact

WEB = Path(__file__).resolve().parents[2] / "web"
PAGES = ["/", "/donate", "/donate/thanks", "/pledge", "/pairings/respond", "/apply"]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_is_html_with_a_strict_policy_and_no_referrer(gateway, path):
    response = requests.get(f"{gateway}{path}", timeout=10)

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert "script-src 'self' https://js.stripe.com;" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("path", ["/pledge?token=abc.def", "/pairings/respond?token=abc.def"])
def test_pages_opened_by_a_signed_link_are_never_stored_and_their_token_never_logged(
        gateway, path):
    response = requests.get(f"{gateway}{path}", timeout=10)

    assert response.headers["Cache-Control"] == "no-store"
    assert "abc.def" not in redact(f'"GET {path} HTTP/1.1" 200')


def test_assets_have_their_type_are_cached_and_revalidated(gateway):
    script = requests.get(f"{gateway}/assets/donate.js", timeout=10)
    assert script.status_code == 200
    assert script.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert "max-age=3600" in script.headers["Cache-Control"]
    again = requests.get(f"{gateway}/assets/donate.js", timeout=10,
                         headers={"If-None-Match": script.headers["ETag"]})
    assert again.status_code == 304
    style = requests.get(f"{gateway}/assets/site.css", timeout=10)
    assert style.headers["Content-Type"] == "text/css; charset=utf-8"


@pytest.mark.parametrize("path", ["/assets/nothing.js", "/assets/../donate.html",
                                  "/assets/%2e%2e/%2e%2e/gateway/config.yml"])
def test_anything_outside_the_assets_is_not_found(gateway, path):
    response = requests.get(f"{gateway}{path}", timeout=10)

    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/problem+json"


def test_site_config_names_stripe_js_and_the_publishable_key(gateway):
    config = requests.get(f"{gateway}/api/site-config", timeout=10).json()

    assert config["stripe"]["js_url"] == "https://js.stripe.com/v3/"
    assert "publishable_key" in config["stripe"]


class _Inline(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        names = dict(attrs)
        if tag == "script":
            self._in_script = True
            if not names.get("src"):
                self.found.append("a script without src")
        if tag == "style":
            self.found.append("a style element")
        self.found += [f"{tag}[{name}]" for name in names
                       if name == "style" or name.startswith("on")]

    def handle_endtag(self, tag):
        self._in_script = self._in_script and tag != "script"

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.found.append("inline script")


@pytest.mark.parametrize("page", sorted(p.name for p in WEB.glob("*.html")))
def test_no_page_holds_inline_script_or_style(page):
    parser = _Inline()
    parser.feed((WEB / page).read_text(encoding="utf-8"))

    assert parser.found == []


def test_scripts_never_write_html_or_evaluate_text():
    for script in (WEB / "assets").glob("*.js"):
        text = script.read_text(encoding="utf-8")
        assert not re.search(r"innerHTML|outerHTML|insertAdjacentHTML|eval\(|new Function",
                             text), script.name


@pytest.mark.parametrize("path", [
    "/?utm_source=newsletter&utm_medium=email",
    "/donate?lang=ne&tier=partner",
    "/donate/thanks?payment_intent=pi_1&redirect_status=succeeded",
    "/apply?form=consultation&lang=en",
    "/pairings/respond?token=abc.def&answer=accept&lang=ne",
    "/assets/site.css?v=2",
])
def test_pages_take_whatever_query_their_script_reads_while_the_api_refuses_unknown_ones(
        gateway, path):
    assert requests.get(f"{gateway}{path}", timeout=10).status_code == 200
    refused = requests.get(f"{gateway}/api/donation-tiers?utm_source=newsletter", timeout=10)
    assert refused.status_code == 400
    assert "utm_source" in refused.json()["errors"]
