"""`jii migrate` creates a service's database and applies the kit's and its own migrations."""

from __future__ import annotations

import uuid

import pytest
from jii_cli.main import main
from jii_cli.workspace import repo_root
from servicekit.migrations import drop_database
from servicekit.testing import PG_SERVER


@pytest.fixture
def fresh_database_url(monkeypatch):
    url = f"{PG_SERVER}/jii_test_cli_{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv("DONATIONS_DATABASE_URL", url)
    yield url
    drop_database(url)


def test_migrate_applies_kit_migrations_to_a_new_database_and_is_idempotent(
    fresh_database_url, capsys
):
    name = fresh_database_url.rsplit("/", 1)[1]
    assert main(["migrate", "donations"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("donations: applied ")
    assert f"to {name}: 0000-kit-outbox-inbox" in out

    assert main(["migrate", "donations"]) == 0
    assert capsys.readouterr().out == f"donations: {name} is up to date\n"


def test_migrate_reports_an_unreachable_database_without_its_password(monkeypatch, capsys):
    monkeypatch.setenv("DONATIONS_DATABASE_URL", "postgresql://jii:s3cret@127.0.0.1:1/jii_x")
    assert main(["migrate", "donations"]) == 1
    err = capsys.readouterr().err
    assert "donations: cannot reach database jii_x" in err
    assert "s3cret" not in err


def test_migrate_refuses_an_unknown_service(capsys):
    assert main(["migrate", "billing"]) == 1
    assert "unknown service billing" in capsys.readouterr().err


def test_repo_root_honours_jii_root_and_refuses_a_wrong_one(monkeypatch, tmp_path):
    monkeypatch.setenv("JII_ROOT", str(tmp_path))
    assert main(["migrate"]) == 1
    monkeypatch.delenv("JII_ROOT")
    monkeypatch.chdir(tmp_path)  # outside the checkout: found from the package's location
    assert (repo_root() / "services" / "donations" / "config.yml").is_file()
