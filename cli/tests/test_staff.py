"""`jii staff add` makes an account the gateway accepts at sign-in."""

import io
from datetime import timedelta

import pytest
from gateway.accounts import authenticate
from jii_cli.main import main as jii
from servicekit.db import connect


def test_staff_add_creates_an_account_that_signs_in_with_its_role(
    gateway_database, monkeypatch, capsys
):
    monkeypatch.setenv("GATEWAY_DATABASE_URL", gateway_database)
    monkeypatch.setattr("sys.stdin", io.StringIO("correct horse battery\n"))
    assert jii(["staff", "add", "Kaori@j-ii.org", "--role", "consultant",
                "--password-stdin"]) == 0
    assert "role consultant" in capsys.readouterr().out
    with connect(gateway_database) as conn:
        account = authenticate(conn, "kaori@j-ii.org", "correct horse battery",
                               max_attempts=5, lockout=timedelta(minutes=1))
    assert account is not None and account.role == "consultant"


def test_staff_add_refuses_a_short_password_and_a_second_account_for_one_email(
    gateway_database, monkeypatch, capsys
):
    monkeypatch.setenv("GATEWAY_DATABASE_URL", gateway_database)
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert jii(["staff", "add", "a@j-ii.org", "--role", "staff", "--password-stdin"]) == 1
    assert "at least" in capsys.readouterr().err
    for expected in (0, 1):
        monkeypatch.setattr("sys.stdin", io.StringIO("a long enough password\n"))
        assert jii(["staff", "add", "a@j-ii.org", "--role", "staff",
                    "--password-stdin"]) == expected
    assert "already exists" in capsys.readouterr().err


def test_staff_add_refuses_an_address_that_is_not_an_email_before_asking_the_password(
    gateway_database, monkeypatch, capsys
):
    monkeypatch.setenv("GATEWAY_DATABASE_URL", gateway_database)
    stdin = io.StringIO("a long enough password\n")
    monkeypatch.setattr("sys.stdin", stdin)
    for address in ("not-an-email", "a@", "@j-ii.org", "two words@j-ii.org", ""):
        assert jii(["staff", "add", address, "--role", "staff", "--password-stdin"]) == 1
        assert "not an e-mail address" in capsys.readouterr().err
    assert stdin.tell() == 0  # the password was never read
    with connect(gateway_database) as conn:
        assert conn.execute("SELECT count(*) AS n FROM staff_accounts").fetchone()["n"] == 0


def test_staff_add_refuses_an_unknown_role_with_the_roles_listed(
    gateway_database, monkeypatch, capsys
):
    monkeypatch.setenv("GATEWAY_DATABASE_URL", gateway_database)
    with pytest.raises(SystemExit) as exit:
        jii(["staff", "add", "a@j-ii.org", "--role", "boss", "--password-stdin"])
    assert exit.value.code == 2
    error = capsys.readouterr().err
    assert "invalid choice: 'boss'" in error and "'consultant'" in error
