"""The console's session: a refresh cookie that rotates on use, ends at sign-out, is refused
from another origin and when replayed, and the console's files served with a strict policy."""

import requests
from gateway.sessions import COOKIE_NAME, COOKIE_PATH
from servicekit.db import connect
from test_staff_session import PASSWORD, add_staff, sign_in


def refresh(gateway, cookie: str | None, **headers):
    cookies = {COOKIE_NAME: cookie} if cookie else {}
    return requests.post(f"{gateway}/api/staff/session/refresh", cookies=cookies,
                         headers=headers, timeout=10)


def refresh_cookie(response) -> str:
    header = response.headers["Set-Cookie"]
    assert "HttpOnly" in header and "SameSite=Strict" in header
    assert f"Path={COOKIE_PATH}" in header
    assert "Secure" not in header  # plain http on loopback
    return response.cookies[COOKIE_NAME]


def test_sign_in_sets_a_refresh_cookie_that_buys_a_new_token_with_the_current_role(
        gateway, gateway_config):
    add_staff(gateway_config["DATABASE_URL"], role="staff")
    first = refresh_cookie(sign_in(gateway))
    with connect(gateway_config["DATABASE_URL"]) as conn:
        conn.execute("UPDATE staff_accounts SET role = 'admin'")
        conn.commit()
    answer = refresh(gateway, first)
    assert answer.status_code == 200, answer.text
    assert answer.json()["role"] == "admin" and answer.json()["email"] == "staff@j-ii.org"
    following = refresh_cookie(answer)
    assert following != first
    token = answer.json()["token"]
    events = requests.get(f"{gateway}/api/staff/events", timeout=10,
                          headers={"Authorization": f"Bearer {token}"})
    assert events.status_code == 200


def test_a_replayed_refresh_cookie_ends_the_whole_session(gateway, gateway_config):
    add_staff(gateway_config["DATABASE_URL"])
    first = refresh_cookie(sign_in(gateway))
    second = refresh_cookie(refresh(gateway, first))
    assert refresh(gateway, first).status_code == 401  # the stolen copy
    assert refresh(gateway, second).status_code == 401  # and so the rightful one too


def test_sign_out_revokes_the_session_and_clears_the_cookie(gateway, gateway_config):
    add_staff(gateway_config["DATABASE_URL"])
    cookie = refresh_cookie(sign_in(gateway))
    out = requests.delete(f"{gateway}/api/staff/session", cookies={COOKIE_NAME: cookie},
                          timeout=10)
    assert out.status_code == 204
    assert f"{COOKIE_NAME}=;" in out.headers["Set-Cookie"]
    assert refresh(gateway, cookie).status_code == 401


def test_refresh_from_another_origin_or_without_a_cookie_is_refused(gateway, gateway_config):
    add_staff(gateway_config["DATABASE_URL"])
    cookie = refresh_cookie(sign_in(gateway))
    assert refresh(gateway, cookie, Origin="https://evil.example").status_code == 403
    assert refresh(gateway, None).status_code == 401
    assert refresh(gateway, cookie, Origin=gateway).status_code == 200


def test_a_disabled_account_can_neither_refresh_nor_sign_in(gateway, gateway_config):
    add_staff(gateway_config["DATABASE_URL"])
    cookie = refresh_cookie(sign_in(gateway))
    with connect(gateway_config["DATABASE_URL"]) as conn:
        conn.execute("UPDATE staff_accounts SET disabled_at = now()")
        conn.commit()
    assert refresh(gateway, cookie).status_code == 401
    assert sign_in(gateway, password=PASSWORD).status_code == 401


def test_the_console_is_served_with_a_strict_content_security_policy(gateway):
    root = requests.get(f"{gateway}/staff", timeout=10, allow_redirects=False)
    assert root.status_code == 308 and root.headers["Location"].endswith("/staff/")
    page = requests.get(f"{gateway}/staff/", timeout=10)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert page.headers["Referrer-Policy"] == "no-referrer"
    script = requests.get(f"{gateway}/staff/app.js", timeout=10)
    assert script.status_code == 200 and "javascript" in script.headers["Content-Type"]
    for outside in ("../README.md", "..%2fREADME.md", ".hidden", "nothing.js"):
        assert requests.get(f"{gateway}/staff/{outside}", timeout=10).status_code == 404
