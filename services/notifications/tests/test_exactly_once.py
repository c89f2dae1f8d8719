"""A thank-you is never sent twice: the attempt is recorded before SMTP, its outcome after, and
the outcome write survives a lost database connection (real PostgreSQL, real SMTP sink)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest
from notification_examples import EXAMPLES
from notifications import messages
from notifications.deliveries import DeliveryTiming, deliver_all, send_once
from notifications.mailer import (
    Mailer,
    PermanentDeliveryError,
    SmtpSettings,
    TemporaryDeliveryError,
)
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool
from servicekit.db import Session
from servicekit.testing import query

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"
EVENT_ID = "5e000000-0000-4000-8000-000000000001"
HANDLER = "notifications.donations.payment_succeeded"


@pytest.fixture
def database(make_database) -> Iterator[tuple[str, Session]]:
    url = make_database("notifications", MIGRATIONS)
    pool = ConnectionPool(url, min_size=1, max_size=3, open=True,
                          kwargs={"row_factory": dict_row, "autocommit": False})
    yield url, Session(pool)
    pool.close()


def _thanks() -> list[messages.Outgoing]:
    data = EXAMPLES[("donations", "payment_succeeded")]
    return messages.payment_succeeded(data, messages.Audience(staff_email="staff@j-ii.org"))


def _drop_connections(url: str) -> None:
    query(url, "SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity"
               " WHERE datname = current_database() AND pid <> pg_backend_pid()")


class _Interrupted(BaseException):
    """The process dying right after the relay took the message (SIGKILL, OOM)."""


class AfterSending:
    """The real mailer, with something happening right after the relay accepted a message."""

    def __init__(self, mailer: Mailer, then) -> None:
        self.mailer, self.then = mailer, then

    @contextmanager
    def session(self):
        with self.mailer.session() as session:
            real_send = session.send

            def send(message):
                message_id = real_send(message)
                self.then()
                return message_id

            session.send = send
            yield session


def _inbox(url: str) -> list[str]:
    return [row["handler"] for row in query(url, "SELECT handler FROM inbox")]


@pytest.mark.parametrize("handler", [None, HANDLER])
def test_a_connection_lost_after_the_relay_accepted_still_logs_sent_and_nothing_is_resent(
        database, smtp_sink, handler):
    url, db = database
    mailer = Mailer(SmtpSettings(port=smtp_sink.port, timeout=5))
    deliver_all(db, AfterSending(mailer, lambda: _drop_connections(url)), EVENT_ID, _thanks(),
                handler=handler)
    deliver_all(db, mailer, EVENT_ID, _thanks(), handler=handler)  # the event redelivered
    assert len(smtp_sink.messages()) == 1
    [row] = query(url, "SELECT status, attempts FROM deliveries")
    assert (row["status"], row["attempts"]) == ("sent", 1)
    assert _inbox(url) == ([handler] if handler else [])


def test_the_inbox_row_commits_with_the_last_outcome_and_a_handled_event_sends_nothing(
        database, smtp_sink):
    url, db = database
    mailer = Mailer(SmtpSettings(port=smtp_sink.port, timeout=5))
    seen: list[list[str]] = []
    # Right after the relay took the message, before the outcome: not handled yet.
    deliver_all(db, AfterSending(mailer, lambda: seen.append(_inbox(url))), EVENT_ID,
                _thanks(), handler=HANDLER)
    assert seen == [[]]
    assert _inbox(url) == [HANDLER]
    # Only the inbox row is left to stop a second send.
    assert query(url, "DELETE FROM deliveries RETURNING status") == [{"status": "sent"}]
    assert deliver_all(db, mailer, EVENT_ID, _thanks(), handler=HANDLER) is None
    assert len(smtp_sink.messages()) == 1


def test_an_event_without_messages_is_marked_handled(database):
    url, db = database
    assert deliver_all(db, None, EVENT_ID, [], handler=HANDLER) == {}
    assert _inbox(url) == [HANDLER]


def test_an_attempt_cut_short_is_not_sent_blindly_again_but_settled_as_unknown(
        database, smtp_sink):
    url, db = database
    mailer = Mailer(SmtpSettings(port=smtp_sink.port, timeout=5))
    timing = DeliveryTiming(outcome_grace_seconds=0.5)

    def die() -> None:
        raise _Interrupted

    with pytest.raises(_Interrupted):
        deliver_all(db, AfterSending(mailer, die), EVENT_ID, _thanks(), timing, HANDLER)
    # Redelivered at once: the attempt may still be running elsewhere, so the event waits.
    with pytest.raises(TemporaryDeliveryError):
        deliver_all(db, mailer, EVENT_ID, _thanks(), timing, HANDLER)
    assert _inbox(url) == [], "not handled while an attempt has no outcome"
    time.sleep(0.6)
    assert deliver_all(db, mailer, EVENT_ID, _thanks(), timing, HANDLER) == {
        "0:donation_thanks": "unknown"}
    assert _inbox(url) == [HANDLER]
    assert deliver_all(db, mailer, EVENT_ID, _thanks(), timing) == {
        "0:donation_thanks": "duplicate"}
    assert len(smtp_sink.messages()) == 1
    [row] = query(url, "SELECT status, error FROM deliveries")
    assert row["status"] == "unknown" and "may or may not" in row["error"]


def test_a_message_that_cannot_be_built_leaves_no_claim_in_the_log(database, smtp_sink):
    # The usual claim is written before the message is built (notifications.deliveries):
    # a build that fails withdraws it, so the log reads as if nothing was tried.
    url, db = database
    mailer = Mailer(SmtpSettings(port=smtp_sink.port, timeout=5))
    [thanks] = _thanks()
    unusable = replace(thanks, to_addr="not an address")
    with pytest.raises(PermanentDeliveryError):
        send_once(db, mailer, event_id=EVENT_ID, message=unusable)
    assert query(url, "SELECT status FROM deliveries") == []
    assert smtp_sink.messages() == []


def test_the_usual_claim_logs_the_locale_and_message_id_the_sent_message_carries(
        database, smtp_sink):
    url, db = database
    mailer = Mailer(SmtpSettings(port=smtp_sink.port, timeout=5, message_id_domain="jii.test"))
    [thanks] = _thanks()
    assert send_once(db, mailer, event_id=EVENT_ID, message=replace(thanks, locale="ne-NP")
                     ) == "sent"
    [row] = query(url, "SELECT status, locale, message_id FROM deliveries")
    [sent] = smtp_sink.messages()
    assert (row["status"], row["locale"]) == ("sent", "ne")
    assert row["message_id"] == sent["Message-ID"] and sent["Content-Language"] == "ne"
