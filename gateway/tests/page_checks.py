"""What every HTML page of the gateway must carry, checked on a received response."""

from __future__ import annotations

import re

import requests


def page_language(response: requests.Response) -> str:
    return re.search(r'<html lang="([^"]+)">', response.text).group(1)


def assert_page(response: requests.Response, status: int = 200) -> str:
    """The response is one of our pages, with the headers every page carries; its language."""
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src" not in policy
    assert "form-action 'self'" in policy and "frame-ancestors 'none'" in policy
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "<script" not in response.text
    lang = page_language(response)
    assert response.headers["Content-Language"] == lang
    return lang
