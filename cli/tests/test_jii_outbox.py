"""`jii outbox status` shows each service's backlog from its own database."""

from __future__ import annotations

import json
import uuid

import pytest
from jii_cli.main import main
from jii_cli.workspace import repo_root
from psycopg.types.json import Jsonb
from servicekit.db import connect


@pytest.fixture
def donations_db(make_database, monkeypatch) -> str:
    url = make_database("donations", repo_root() / "services" / "donations" / "migrations")
    monkeypatch.setenv("DONATIONS_DATABASE_URL", url)
    return url


def add_outbox_row(url: str, age_seconds: int, published: bool) -> None:
    with connect(url) as conn:
        conn.execute(
            """INSERT INTO outbox (event_id, exchange, routing_key, envelope, created_at,
                                   published_at)
               VALUES (%s, 'donations.events', 'payment_succeeded', %s,
                       now() - make_interval(secs => %s),
                       CASE WHEN %s THEN now() END)""",
            (uuid.uuid4(), Jsonb({"type": "payment_succeeded"}), age_seconds, published),
        )


def test_outbox_status_counts_pending_and_published_events_and_ages_the_oldest(
    donations_db, capsys
):
    add_outbox_row(donations_db, 600, published=True)
    add_outbox_row(donations_db, 90, published=False)
    add_outbox_row(donations_db, 5, published=False)

    assert main(["outbox", "status", "donations", "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["service"] == "donations"
    assert (row["pending"], row["published"], row["unrouted"]) == (2, 1, 0)
    assert 90 <= row["oldest_pending_seconds"] < 120
    assert row["last_published_at"]

    assert main(["outbox", "status", "donations"]) == 0
    header, line = capsys.readouterr().out.splitlines()
    assert header.split() == ["service", "pending", "oldest", "pending", "unrouted",
                              "published", "last", "published"]
    assert line.split()[:3] == ["donations", "2", line.split()[2]]
    assert line.split()[2].endswith("s")  # about 90 seconds, shown in seconds


def test_outbox_status_reports_an_unreachable_database_and_exits_non_zero(
    monkeypatch, capsys
):
    monkeypatch.setenv("MATCHING_DATABASE_URL", "postgresql://postgres@127.0.0.1:1/jii_matching")
    assert main(["outbox", "status", "matching"]) == 1
    assert "matching  error: " in capsys.readouterr().out
