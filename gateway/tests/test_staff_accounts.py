"""Admins managing staff accounts over the API: add with a given or temporary password,
disable (its refresh cookie stops at once), enable, reset a password, change a role; nobody
else may, and admins cannot lock themselves out."""


import pytest
import requests
from test_staff_console_session import refresh, refresh_cookie
from test_staff_session import PASSWORD, add_staff, sign_in

ACCOUNTS = "/api/staff/accounts"


@pytest.fixture
def admin(gateway, gateway_config) -> dict:
    """A signed-in admin: the bearer header and the account's id."""
    account = add_staff(gateway_config["DATABASE_URL"], "admin@j-ii.org", "admin")
    token = sign_in(gateway, "admin@j-ii.org").json()["token"]
    return {"headers": {"Authorization": f"Bearer {token}"}, "id": account.id}


def api(gateway, method: str, path: str, admin: dict, body=None):
    return requests.request(method, f"{gateway}{path}", json=body, headers=admin["headers"],
                            timeout=10)


def test_an_admin_adds_an_account_with_a_temporary_password_shown_once(gateway, admin):
    added = api(gateway, "POST", ACCOUNTS, admin, {"email": "aiko@j-ii.org", "role": "staff"})
    assert added.status_code == 201, added.text
    temporary = added.json()["temporary_password"]
    assert len(temporary) >= 16
    account = added.json()["account"]
    assert (account["email"], account["role"], account["disabled"]) == (
        "aiko@j-ii.org", "staff", False)
    assert sign_in(gateway, "aiko@j-ii.org", temporary).json()["role"] == "staff"

    listed = api(gateway, "GET", ACCOUNTS, admin).json()["accounts"]
    assert [a["email"] for a in listed] == ["admin@j-ii.org", "aiko@j-ii.org"]
    assert "temporary_password" not in str(listed) and "password_hash" not in str(listed)

    given = api(gateway, "POST", ACCOUNTS, admin,
                {"email": "ken@j-ii.org", "role": "consultant", "password": PASSWORD})
    assert given.status_code == 201 and "temporary_password" not in given.json()
    assert sign_in(gateway, "ken@j-ii.org").status_code == 201


@pytest.mark.parametrize("body", [
    {"email": "not-an-address", "role": "staff"}, {"email": "a@j-ii.org", "role": "owner"},
    {"email": "a@j-ii.org", "role": "staff", "password": "short"},
    {"email": "a@j-ii.org", "role": "staff", "admin": True}, {"role": "staff"}])
def test_an_account_request_it_cannot_take_is_400_and_adds_nothing(gateway, admin, body):
    answer = api(gateway, "POST", ACCOUNTS, admin, body)
    assert answer.status_code == 400, answer.text
    assert len(api(gateway, "GET", ACCOUNTS, admin).json()["accounts"]) == 1


def test_the_same_address_twice_is_a_conflict(gateway, admin):
    api(gateway, "POST", ACCOUNTS, admin, {"email": "aiko@j-ii.org", "role": "staff"})
    again = api(gateway, "POST", ACCOUNTS, admin, {"email": "AIKO@j-ii.org", "role": "admin"})
    assert again.status_code == 409


def test_disabling_ends_the_accounts_sessions_and_enabling_lets_it_sign_in_again(
        gateway, gateway_config, admin):
    account = add_staff(gateway_config["DATABASE_URL"], "aiko@j-ii.org")
    signed_in = sign_in(gateway, "aiko@j-ii.org")
    cookie = refresh_cookie(signed_in)
    held = {"headers": {"Authorization": f"Bearer {signed_in.json()['token']}"}}
    assert api(gateway, "GET", "/api/staff/events", held).status_code == 200

    disabled = api(gateway, "POST", f"{ACCOUNTS}/{account.id}/disable", admin)
    assert disabled.status_code == 200 and disabled.json()["disabled"] is True
    assert refresh(gateway, cookie).status_code == 401  # the open session ended
    # ...and the bearer token it still holds opens nothing, though 15 minutes are not up.
    assert api(gateway, "GET", "/api/staff/events", held).status_code == 401
    assert sign_in(gateway, "aiko@j-ii.org").status_code == 401

    enabled = api(gateway, "POST", f"{ACCOUNTS}/{account.id}/enable", admin)
    assert enabled.json()["disabled"] is False and enabled.json()["disabled_at"] is None
    assert sign_in(gateway, "aiko@j-ii.org").status_code == 201
    assert refresh(gateway, cookie).status_code == 401, "the old session stays ended"


def test_a_password_reset_signs_the_account_out_and_only_the_new_password_works(
        gateway, gateway_config, admin):
    account = add_staff(gateway_config["DATABASE_URL"], "aiko@j-ii.org")
    cookie = refresh_cookie(sign_in(gateway, "aiko@j-ii.org"))
    reset = api(gateway, "POST", f"{ACCOUNTS}/{account.id}/password", admin, {})
    assert reset.status_code == 200, reset.text
    temporary = reset.json()["temporary_password"]
    assert refresh(gateway, cookie).status_code == 401
    assert sign_in(gateway, "aiko@j-ii.org").status_code == 401
    assert sign_in(gateway, "aiko@j-ii.org", temporary).status_code == 201

    chosen = api(gateway, "POST", f"{ACCOUNTS}/{account.id}/password", admin,
                 {"password": "another long password"})
    assert "temporary_password" not in chosen.json()
    assert sign_in(gateway, "aiko@j-ii.org", "another long password").status_code == 201


def test_a_role_change_holds_from_the_accounts_next_request(gateway, gateway_config, admin):
    account = add_staff(gateway_config["DATABASE_URL"], "aiko@j-ii.org")
    signed_in = sign_in(gateway, "aiko@j-ii.org")
    cookie = refresh_cookie(signed_in)
    held = {"headers": {"Authorization": f"Bearer {signed_in.json()['token']}"}}
    assert api(gateway, "GET", "/api/staff/events", held).status_code == 200
    changed = api(gateway, "PUT", f"{ACCOUNTS}/{account.id}/role", admin,
                  {"role": "consultant"})
    assert changed.status_code == 200 and changed.json()["role"] == "consultant"
    # The token issued as staff now acts as a consultant, who may not read the feed.
    assert api(gateway, "GET", "/api/staff/events", held).status_code == 403
    assert refresh(gateway, cookie).json()["role"] == "consultant"
    assert api(gateway, "PUT", f"{ACCOUNTS}/{account.id}/role", admin,
               {"role": "owner"}).status_code == 400


def test_an_admin_cannot_disable_or_demote_themselves(gateway, admin):
    me = admin["id"]
    assert api(gateway, "POST", f"{ACCOUNTS}/{me}/disable", admin).status_code == 409
    assert api(gateway, "PUT", f"{ACCOUNTS}/{me}/role", admin,
               {"role": "staff"}).status_code == 409
    assert api(gateway, "PUT", f"{ACCOUNTS}/{me}/role", admin,
               {"role": "admin"}).status_code == 200
    assert sign_in(gateway, "admin@j-ii.org").status_code == 201


@pytest.mark.parametrize("account_id", ["0b7c6c1e-3f5a-4d2e-9a7b-5c1d2e3f4a5b", "not-a-uuid"])
def test_an_unknown_account_is_404(gateway, admin, account_id):
    for method, action, body in (("POST", "disable", None), ("POST", "enable", None),
                                 ("POST", "password", {}), ("PUT", "role", {"role": "staff"})):
        answer = api(gateway, method, f"{ACCOUNTS}/{account_id}/{action}", admin, body)
        assert answer.status_code == 404, (action, answer.text)


@pytest.mark.parametrize("role", ["staff", "consultant"])
def test_only_admins_manage_accounts(gateway, gateway_config, admin, role):
    account = add_staff(gateway_config["DATABASE_URL"], f"{role}@j-ii.org", role)
    token = sign_in(gateway, f"{role}@j-ii.org").json()["token"]
    other = {"headers": {"Authorization": f"Bearer {token}"}}
    for method, path, body in (
            ("GET", ACCOUNTS, None),
            ("POST", ACCOUNTS, {"email": "x@j-ii.org", "role": "admin"}),
            ("POST", f"{ACCOUNTS}/{admin['id']}/disable", None),
            ("POST", f"{ACCOUNTS}/{account.id}/enable", None),
            ("POST", f"{ACCOUNTS}/{admin['id']}/password", {}),
            ("PUT", f"{ACCOUNTS}/{account.id}/role", {"role": "admin"})):
        assert api(gateway, method, path, other, body).status_code == 403, (method, path)
        assert requests.request(method, f"{gateway}{path}", json=body,
                                timeout=10).status_code == 401
    assert sign_in(gateway, "admin@j-ii.org").status_code == 201
    listed = api(gateway, "GET", ACCOUNTS, admin).json()["accounts"]
    assert {a["email"]: a["role"] for a in listed}[f"{role}@j-ii.org"] == role
