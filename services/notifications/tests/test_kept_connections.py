"""A relay connection kept between events: reused while it lives, redialed when the relay closed
it, and never the cause of a second copy or a lost message (real aiosmtpd sink, real
PostgreSQL, real broker)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from notification_examples import EXAMPLES
from notifications import messages
from notifications.deliveries import deliver_all
from notifications.mailer import (
    DeliveryOutcomeUnknown,
    Mailer,
    MailSession,
    SmtpSettings,
    TemporaryDeliveryError,
    build_message,
    delivery_key,
)
from notifications.render import render
from notifications_testkit import publish
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool
from servicekit.db import Session
from servicekit.devtools.smtp_sink import start_smtp_sink, stop
from servicekit.events import Envelope
from servicekit.testing import SmtpSink, query, wait_until

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"
TO_ADDR = "supporter@example.org"


def _settings(port: int) -> SmtpSettings:
    return SmtpSettings(port=port, timeout=5, from_addr="info@j-ii.org", helo_name="localhost")


def _message(settings: SmtpSettings, event_id: str):
    rendered = render("pledge_welcome", "en", {
        "name": "Hanako", "amount": 3000, "receipt_number": "R2026-000123",
        "paid_at": "2026-04-01T00:00:00+00:00", "manage_url": None})
    return build_message(rendered, to_addr=TO_ADDR, to_name="Hanako", settings=settings,
                         delivery_key=delivery_key(event_id, "pledge_welcome", TO_ADDR))


def _message_ids(sink: SmtpSink) -> list[str]:
    return [message["Message-ID"] for message in sink.messages()]


def _dialing(mailer: Mailer) -> list[int]:
    dialed: list[int] = []
    real_connect = mailer.connect
    mailer.connect = lambda: dialed.append(1) or real_connect()  # type: ignore[method-assign]
    return dialed


def test_a_kept_connection_carries_one_event_after_another(sink_factory) -> None:
    sink = sink_factory()
    mailer = Mailer(_settings(sink.port), keep=2)
    for i in range(3):
        with mailer.session() as session:  # one event each, as a worker handles them
            session.send(_message(mailer.settings, f"event-{i}"))
    mailer.close()
    assert sink.connections() == [1, 1, 1]


def test_without_keep_each_session_opens_and_closes_its_own(sink_factory) -> None:
    sink = sink_factory()
    mailer = Mailer(_settings(sink.port))
    for i in range(2):
        with mailer.session() as session:
            session.send(_message(mailer.settings, f"event-{i}"))
    assert sink.connections() == [1, 2]


def test_a_connection_the_relay_closed_while_idle_is_redialed_and_each_message_arrives_once(
        sink_factory) -> None:
    sink = sink_factory(idle_timeout=0.3)
    mailer = Mailer(_settings(sink.port), keep=1)
    dialed = _dialing(mailer)
    sent = []
    for i in range(3):
        with mailer.session() as session:
            sent.append(session.send(_message(mailer.settings, f"event-{i}")))
        time.sleep(0.8)  # the relay hangs up on the idle connection meanwhile
    mailer.close()
    assert sink.connections() == [1, 2, 3] and dialed == [1, 1, 1]
    assert _message_ids(sink) == sent  # each once, none lost


def test_a_relay_restarted_between_mails_gets_the_next_one_on_a_new_connection(
        sink_factory) -> None:
    sink = sink_factory()
    mailer = Mailer(_settings(sink.port), keep=1)
    with mailer.session() as session:
        first = session.send(_message(mailer.settings, "before"))
    stop(sink.proc)  # type: ignore[attr-defined]
    with open(sink.log_path, "ab") as log:
        restarted = start_smtp_sink(sink.port, sink.maildir, log=log)
        try:
            with mailer.session() as session:
                second = session.send(_message(mailer.settings, "after"))
            mailer.close()
        finally:
            stop(restarted)
    assert sorted(_message_ids(sink)) == sorted([first, second])


def test_a_kept_connection_failing_once_data_began_is_not_sent_again_by_the_session(
        sink_factory) -> None:
    # The sink answers the end of DATA with 421: the relay may or may not hold the message
    # (a reply lost the same way would look alike), so only the delivery log may decide.
    sink = sink_factory(fail_first=1, fail_code=421, fail_stage="data")
    mailer = Mailer(_settings(sink.port), keep=1)
    session = MailSession(mailer, mailer.connect())  # as a kept connection is handed over
    dialed = _dialing(mailer)
    with pytest.raises(TemporaryDeliveryError):
        session.send(_message(mailer.settings, "refused at data"))
    assert dialed == [] and sink.rejections() == 1 and sink.messages() == []
    assert session.detach() is None  # and the connection is not kept


@pytest.fixture
def database(make_database) -> Iterator[tuple[str, Session]]:
    url = make_database("notifications", MIGRATIONS)
    pool = ConnectionPool(url, min_size=1, max_size=3, open=True,
                          kwargs={"row_factory": dict_row, "autocommit": False})
    yield url, Session(pool)
    pool.close()


def _thanks(email: str) -> list[messages.Outgoing]:
    data = {**EXAMPLES[("donations", "payment_succeeded")], "email": email}
    return messages.payment_succeeded(data, messages.Audience(staff_email="staff@j-ii.org"))


def test_events_through_a_relay_that_hangs_up_between_them_are_each_logged_sent_and_mailed_once(
        database, sink_factory) -> None:
    url, db = database
    sink = sink_factory(idle_timeout=0.3)
    mailer = Mailer(_settings(sink.port), keep=1)
    events = [f"5e000000-0000-4000-8000-00000000000{i}" for i in range(4)]
    for i, event_id in enumerate(events):
        deliver_all(db, mailer, event_id, _thanks(f"s{i}@example.com"),
                    handler="notifications.donations.payment_succeeded")
        if i % 2:
            time.sleep(0.8)  # every other pause outlasts the relay's patience
    for i, event_id in enumerate(events):  # every event redelivered: nothing goes twice
        deliver_all(db, mailer, event_id, _thanks(f"s{i}@example.com"),
                    handler="notifications.donations.payment_succeeded")
    mailer.close()
    rows = query(url, "SELECT status, attempts, message_id FROM deliveries")
    assert [(row["status"], row["attempts"]) for row in rows] == [("sent", 1)] * 4
    assert sorted(_message_ids(sink)) == sorted(row["message_id"] for row in rows)
    assert sink.connections() == [1, 1, 2, 2]


def test_a_connection_lost_while_awaiting_the_verdict_on_a_message_is_an_unknown_outcome(
        sink_factory) -> None:
    # The sink keeps the message, then drops the connection instead of answering DATA.
    sink = sink_factory(fail_first=1, fail_stage="after-data")
    mailer = Mailer(_settings(sink.port))
    with mailer.session() as session, pytest.raises(DeliveryOutcomeUnknown):
        session.send(_message(mailer.settings, "verdict lost"))
    assert len(sink.messages()) == 1  # the relay has it: a resend would be a second copy


def test_a_message_whose_verdict_was_lost_is_logged_unknown_and_never_sent_again(
        database, sink_factory) -> None:
    url, db = database
    sink = sink_factory(fail_first=1, fail_stage="after-data")
    mailer = Mailer(_settings(sink.port), keep=1)
    event_id = "5e000000-0000-4000-8000-0000000000aa"
    handler = "notifications.donations.payment_succeeded"
    statuses = deliver_all(db, mailer, event_id, _thanks("s@example.com"), handler=handler)
    assert list(statuses.values()) == ["unknown"]  # not raised: nothing for a retry to do
    assert deliver_all(db, mailer, event_id, _thanks("s@example.com"), handler=handler) is None
    mailer.close()
    [row] = query(url, "SELECT status, attempts, error FROM deliveries")
    assert (row["status"], row["attempts"]) == ("unknown", 1)
    assert "s@example.com" not in row["error"]
    assert len(sink.messages()) == 1


def test_the_service_mails_events_on_one_kept_connection(
        start_notifications: Callable[..., dict], sink_factory) -> None:
    sink = sink_factory()
    config = start_notifications(sink.port)
    for i in range(3):
        envelope = Envelope.new("donations", "payment_succeeded", {
            **EXAMPLES[("donations", "payment_succeeded")], "email": f"s{i}@example.com"},
            correlation_id="test")
        publish(config, envelope)
        wait_until(lambda n=i + 1: len(sink.messages()) == n, message=f"e-mail {i + 1}")
    assert sink.connections() == [1, 1, 1]
