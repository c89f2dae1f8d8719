"""Staff sign-in through the real gateway and its own database."""

import requests
from gateway.accounts import add_account
from servicekit.db import connect

PASSWORD = "a long enough password"


def add_staff(url, email="staff@j-ii.org", role="staff"):
    with connect(url) as conn:
        account = add_account(conn, email, PASSWORD, role)
        conn.commit()
    return account


def sign_in(gateway, email="staff@j-ii.org", password=PASSWORD):
    return requests.post(f"{gateway}/api/staff/session", timeout=10,
                         json={"email": email, "password": password})


def test_right_password_gives_a_bearer_token_with_the_accounts_role(gateway, gateway_config):
    add_staff(gateway_config["DATABASE_URL"], role="consultant")
    response = sign_in(gateway, email="STAFF@j-ii.org")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["role"] == "consultant" and body["token_type"] == "Bearer"
    assert body["expires_in"] > 0 and body["token"].count(".") == 2


def test_wrong_password_and_unknown_email_get_the_same_401(gateway, gateway_config):
    add_staff(gateway_config["DATABASE_URL"])
    wrong = sign_in(gateway, password="not the password")
    unknown = sign_in(gateway, email="nobody@j-ii.org")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"]
    assert wrong.headers["Content-Type"].startswith("application/problem+json")


def test_repeated_failures_lock_the_account_even_for_the_right_password(gateway, gateway_config):
    add_staff(gateway_config["DATABASE_URL"])
    for _ in range(5):
        assert sign_in(gateway, password="guessing").status_code == 401
    locked = sign_in(gateway)
    assert locked.status_code == 401
    assert "token" not in locked.json()


def test_locked_unknown_and_wrong_password_answers_are_identical(gateway, gateway_config):
    add_staff(gateway_config["DATABASE_URL"], email="locked@j-ii.org")
    add_staff(gateway_config["DATABASE_URL"], email="open@j-ii.org")
    for _ in range(5):
        sign_in(gateway, email="locked@j-ii.org", password="guessing")
    answers = [sign_in(gateway, email="locked@j-ii.org"),
               sign_in(gateway, email="open@j-ii.org", password="guessing"),
               sign_in(gateway, email="nobody@j-ii.org")]

    def comparable(response):
        body = {k: v for k, v in response.json().items() if k != "request_id"}
        headers = {k: v for k, v in response.headers.items()
                   if k.lower() not in ("x-request-id", "date", "content-length")}
        return response.status_code, body, headers

    first, *others = [comparable(answer) for answer in answers]
    assert first[0] == 401
    assert others == [first, first]


def test_malformed_sign_in_is_a_400_with_field_errors(gateway):
    response = requests.post(f"{gateway}/api/staff/session", timeout=10,
                             json={"email": "not-an-email"})
    assert response.status_code == 400
    assert {"email", "password"} <= set(response.json()["errors"])
