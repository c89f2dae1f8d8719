"""`jii mail log` shows staff what notifications did for a person or an event."""

from __future__ import annotations

import json
from pathlib import Path

from jii_cli.main import main as jii
from servicekit.db import connect

ROOT = Path(__file__).resolve().parents[1]
EVENT = "0e6f1f7c-1111-4000-8000-000000000001"
OTHER = "0e6f1f7c-1111-4000-8000-000000000002"


def _seed(url: str) -> None:
    with connect(url) as conn:
        for key, event, kind, recipient, status, error in [
            ("k1", EVENT, "pairing_offered", "Sita@Example.net", "sent", None),
            ("k2", EVENT, "pairing_offered", "hanako@example.com", "failed", "SMTP 550 at RCPT"),
            ("k3", OTHER, "impact_update", "sita@example.net", "suppressed", "unsubscribed"),
            ("k4", OTHER, "donation_thanks", "ram@example.org", "unknown", "no outcome recorded"),
        ]:
            conn.execute(
                "INSERT INTO deliveries (delivery_key, event_id, kind, recipient, locale,"
                " message_id, status, error) VALUES (%s, %s, %s, %s, 'ja', '<x@jii.local>', %s,"
                " %s)", (key, event, kind, recipient, status, error))


def test_mail_log_by_email_lists_every_delivery_to_that_address(make_database, monkeypatch,
                                                                 capsys):
    url = make_database("notifications", ROOT / "services/notifications/migrations")
    _seed(url)
    monkeypatch.setenv("NOTIFICATIONS_DATABASE_URL", url)

    assert jii(["mail", "log", "--email", "sita@example.net", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert sorted((r["kind"], r["status"]) for r in rows) == [
        ("impact_update", "suppressed"), ("pairing_offered", "sent")]

    assert jii(["mail", "log", "--event", EVENT]) == 0
    table = capsys.readouterr().out
    assert "hanako@example.com" in table and "SMTP 550 at RCPT" in table
    assert "impact_update" not in table


def test_mail_log_lists_messages_whose_outcome_is_unknown_with_their_message_id(
        make_database, monkeypatch, capsys):
    url = make_database("notifications", ROOT / "services/notifications/migrations")
    _seed(url)
    monkeypatch.setenv("NOTIFICATIONS_DATABASE_URL", url)
    assert jii(["mail", "log", "--unknown"]) == 0
    [line] = capsys.readouterr().out.splitlines()[1:]
    assert "ram@example.org" in line and "<x@jii.local>" in line


def test_mail_log_needs_one_filter_and_a_valid_event_id(make_database, monkeypatch, capsys):
    monkeypatch.setenv("NOTIFICATIONS_DATABASE_URL",
                       make_database("notifications", ROOT / "services/notifications/migrations"))
    assert jii(["mail", "log", "--event", "nope"]) == 1
    assert "not an event id" in capsys.readouterr().err
    assert jii(["mail", "log", "--email", "nobody@example.org"]) == 0
    assert "no deliveries" in capsys.readouterr().out
