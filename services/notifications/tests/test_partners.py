"""The partner list, the once-a-month impact mailing, opt-out tokens and erasure, on real
PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from notifications import partners
from notifications.unsubscribe import UnsubscribeLinks
from servicekit.db import connect
from servicekit.links import LinkInvalid

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"
PLEDGE = {"pledge_id": "6f1c1d1e-0000-4000-8000-000000000003",
          "supporter_id": "6f1c1d1e-0000-4000-8000-000000000001", "name": "Ann Lee",
          "email": "Ann@Example.org", "locale": "en"}
EVENT_A = "0e6f1f7c-1111-4000-8000-00000000000a"
EVENT_B = "0e6f1f7c-1111-4000-8000-00000000000b"


@pytest.fixture
def conn(make_database):
    with connect(make_database("notifications", MIGRATIONS)) as connection:
        yield connection


def _figures(month: str, updated: str = "28") -> dict:
    return {"month": month, "residents_supported": 1, "updated_at": f"{month}-{updated}T00:00:00Z"}


def test_an_older_pledge_event_arriving_late_does_not_undo_a_newer_state(conn) -> None:
    partners.record_pledge(conn, "pledge_canceled", {**PLEDGE, "status": "canceled"},
                           "2026-04-10T00:00:00+00:00")
    partners.record_pledge(conn, "pledge_started", PLEDGE, "2026-03-01T00:00:00+00:00")
    assert partners.active_partners(conn) == []


def test_a_supporter_with_two_active_pledges_is_one_recipient(conn) -> None:
    partners.record_pledge(conn, "pledge_started", PLEDGE, "2026-03-01T00:00:00+00:00")
    partners.record_pledge(conn, "pledge_started", {
        **PLEDGE, "pledge_id": "6f1c1d1e-0000-4000-8000-000000000004",
        "email": "ann@example.org"}, "2026-03-02T00:00:00+00:00")
    assert len(partners.active_partners(conn)) == 1


def test_a_month_is_mailed_once_when_the_next_begins_and_old_months_never(conn) -> None:
    for month in ("2026-01", "2026-03"):
        partners.record_impact(conn, _figures(month))
        assert partners.months_to_mail(conn, month, EVENT_A) == []  # Feb unknown: no old news

    partners.record_impact(conn, _figures("2026-04"))
    [(figures, event_id)] = partners.months_to_mail(conn, "2026-04", EVENT_A)
    assert (figures["month"], event_id) == ("2026-03", EVENT_A)

    # A later trigger does not start it again; a retry of the first resumes it.
    partners.record_impact(conn, _figures("2026-04", "29"))
    assert partners.months_to_mail(conn, "2026-04", EVENT_B) == []
    assert [e for _, e in partners.months_to_mail(conn, "2026-04", EVENT_A)] == [EVENT_A]


def test_late_figures_for_a_month_already_over_start_its_mailing(conn) -> None:
    partners.record_impact(conn, _figures("2026-05"))
    assert partners.months_to_mail(conn, "2026-05", EVENT_A) == []  # no April yet
    partners.record_impact(conn, _figures("2026-04"))
    [(figures, _)] = partners.months_to_mail(conn, "2026-04", EVENT_B)
    assert figures["month"] == "2026-04"


def test_a_month_mailed_from_the_next_months_news_has_figures_as_fresh_as_that_news(conn):
    # programs said April early (one payment), then April's final figures and May's first
    # together; May's update is handled first and starts April's mailing.
    partners.record_impact(conn, {**_figures("2026-04", "01"), "residents_supported": 0,
                                  "yen_raised": 3000})
    april_final = {**_figures("2026-04", "01"), "residents_supported": 25, "yen_raised": 53000}
    partners.record_impact(conn, {**_figures("2026-05", "02"),
                                  "previous_month": {**april_final, "updated_at": None}})
    [(figures, _)] = partners.months_to_mail(conn, "2026-05", EVENT_A)
    assert (figures["month"], figures["residents_supported"], figures["yen_raised"]) == (
        "2026-04", 25, 53000)


def test_a_month_without_any_figures_is_not_mailed_as_zeros(conn) -> None:
    empty_april = {"month": "2026-04", "residents_supported": 0, "yen_raised": 0,
                   **{key: 0 for key in partners.MEASURED}}
    partners.record_impact(conn, {**_figures("2026-05"), "previous_month": empty_april})
    assert partners.months_to_mail(conn, "2026-05", EVENT_A) == []


def test_unsubscribe_tokens_carry_the_address_and_list_and_refuse_forgeries() -> None:
    links = UnsubscribeLinks("secret-one-0123456789abcdef0123456789", "https://api.j-ii.org/")
    url = links.url("Ann@Example.org", "impact_update")
    token = url.rsplit("/", 1)[1]
    assert url == f"https://api.j-ii.org/api/unsubscribe/{token}"
    assert links.read(token) == ("ann@example.org", "impact_update")
    with pytest.raises(LinkInvalid):
        UnsubscribeLinks("another-secret-0123456789abcdef012345", "https://x").read(token)
    with pytest.raises(LinkInvalid):
        links.read(token[:-2] + "xx")


def test_an_anonymised_supporter_leaves_only_a_hash_in_the_delivery_log(conn) -> None:
    partners.record_pledge(conn, "pledge_started", PLEDGE, "2026-03-01T00:00:00+00:00")
    conn.execute("INSERT INTO unsubscribes (recipient, list) VALUES ('ann@example.org', 'x')")
    conn.execute(
        "INSERT INTO deliveries (delivery_key, event_id, kind, recipient, locale, message_id,"
        " status) VALUES (%s, %s, 'donation_thanks', 'Ann@Example.org', 'en', '<m@x>', 'sent')",
        (f"{EVENT_A}:donation_thanks:ann@example.org", EVENT_A))

    partners.forget_supporter(conn, PLEDGE["supporter_id"],
                              partners.email_sha256("ann@example.org"))

    assert partners.active_partners(conn) == []
    assert conn.execute("SELECT count(*) AS n FROM unsubscribes").fetchone()["n"] == 0
    row = conn.execute("SELECT delivery_key, recipient FROM deliveries").fetchone()
    assert row["recipient"] == "erased" and "ann@" not in row["delivery_key"]


def test_a_message_still_deferred_when_its_recipient_is_erased_is_never_sent(conn) -> None:
    from notifications.deliveries import Outgoing, send_once

    conn.execute(
        "INSERT INTO deliveries (delivery_key, event_id, kind, recipient, locale, message_id,"
        " status, error) VALUES (%s, %s, 'refund_notice', 'Ann@Example.org', 'en', '<m@x>',"
        " 'deferred', '451 try later')",
        (f"{EVENT_B}:refund_notice:ann@example.org", EVENT_B))
    partners.forget_supporter(conn, PLEDGE["supporter_id"],
                              partners.email_sha256("ann@example.org"))

    class NoMailer:  # the event's retry must not get as far as building a message
        def __getattr__(self, name):
            raise AssertionError(f"mailer.{name} used for an erased recipient")

    class OnThisConnection:
        def retrying(self, work, within, batched=False):
            return work(conn)

    retried = Outgoing("refund_notice", "Ann@Example.org", "Ann Lee", "en", {})
    assert send_once(OnThisConnection(), NoMailer(), event_id=EVENT_B,
                     message=retried) == "duplicate"
    row = conn.execute("SELECT status, recipient, error FROM deliveries").fetchone()
    assert (row["status"], row["recipient"]) == ("suppressed", "erased")
