"""Delivery over real SMTP: once per (event, kind, recipient), whatever SMTP answers."""

from __future__ import annotations

import json
import time

from nameko.standalone.rpc import ClusterRpcProxy
from notification_examples import envelope
from notifications_testkit import dlq_depth, publish
from servicekit.testing import free_port, query, wait_until


def _deliveries(config: dict) -> list[dict]:
    return query(config["DATABASE_URL"],
                 "SELECT kind, recipient, status, error, attempts FROM deliveries"
                 " ORDER BY created_at")


STAFF = {"staff_subject": "staff-1", "staff_role": "staff"}


def _all_deferred(config: dict, count: int) -> list[dict]:
    """The delivery log once it holds `count` rows, every one deferred; else empty."""
    rows = _deliveries(config)
    deferred = len(rows) == count and all(row["status"] == "deferred" for row in rows)
    return rows if deferred else []


def _staff_log(config: dict, email: str) -> list[dict]:
    """The delivery log as staff read it: the rpc the gateway calls."""
    with ClusterRpcProxy(config, timeout=10, context_data=STAFF) as rpc:
        return rpc.notifications.delivery_log(query={"email": email})["deliveries"]


def test_a_server_answering_451_twice_then_accepting_delivers_once_after_growing_delays(
    sink_factory, start_notifications, handled
):
    sink = sink_factory(fail_first=2, fail_code=451)
    config = start_notifications(sink.port)
    started = time.monotonic()

    publish(config, envelope("donations", "payment_refunded"))

    wait_until(sink.messages, message="the refund notice")
    elapsed = time.monotonic() - started
    handled("donations", "payment_refunded", 1)
    assert len(sink.messages()) == 1
    assert sink.rejections() == 2
    # Two retries through the consumer's delay queues: 100 ms, then 200 ms.
    assert elapsed >= 0.3
    assert [(d["kind"], d["status"], d["error"], d["attempts"]) for d in _deliveries(config)
            ] == [("refund_notice", "sent", None, 3)]
    assert dlq_depth(config) == 0


def test_a_451_is_logged_as_deferred_with_its_error_then_the_same_row_turns_sent(
    sink_factory, start_notifications, handled, monkeypatch, capsys
):
    sink = sink_factory(fail_first=1, fail_code=451)
    # A long first retry delay, so the deferred row can be seen before the retry settles it.
    config = start_notifications(sink.port, EVENT_RETRY_DELAYS_MS=[2000, 4000])
    event = envelope("donations", "payment_refunded")

    publish(config, event)

    # (the row reads 'sending' while the attempt is at the relay)
    [deferred] = wait_until(lambda: [e for e in _staff_log(config, "hanako@example.com")
                                     if e["status"] == "deferred"], message="the deferred row")
    assert (deferred["status"], deferred["attempts"]) == ("deferred", 1)
    assert deferred["error"].startswith("SMTP 451 at RCPT")
    assert "hanako" not in deferred["error"], "no address in the error"
    assert sink.messages() == []

    monkeypatch.setenv("NOTIFICATIONS_DATABASE_URL", config["DATABASE_URL"])
    from jii_cli.main import main as jii

    assert jii(["mail", "log", "--event", event.id]) == 0
    header, row = capsys.readouterr().out.splitlines()
    assert header.split()[:4] == ["created_at", "status", "attempts", "last_attempt_at"]
    assert row.split()[1:3] == ["deferred", "1"] and "SMTP 451 at RCPT" in row

    wait_until(sink.messages, message="the retried refund notice")
    [sent] = wait_until(lambda: [e for e in _staff_log(config, "hanako@example.com")
                                 if e["status"] == "sent"], message="the row settled")
    assert (sent["attempts"], sent["error"]) == (2, None)
    assert (sent["created_at"], sent["message_id"]) == (deferred["created_at"],
                                                        deferred["message_id"])
    assert sent["last_attempt_at"] > deferred["last_attempt_at"]
    assert jii(["mail", "log", "--email", "hanako@example.com", "--json"]) == 0
    assert [(r["status"], r["attempts"]) for r in json.loads(capsys.readouterr().out)] == [
        ("sent", 2)]

    publish(config, event)  # a late duplicate of the event: a sent row is never sent again
    handled("donations", "payment_refunded", 2)
    assert len(sink.messages()) == 1
    assert sink.rejections() == 1


def test_a_550_is_recorded_as_failed_without_retries_and_suppresses_only_bulk_mail(
    sink_factory, start_notifications, handled
):
    sink = sink_factory(always_fail_code=550)
    config = start_notifications(sink.port)

    publish(config, envelope("donations", "payment_refunded"))
    wait_until(lambda: [row["status"] for row in _deliveries(config)] == ["failed"],
               message="the failure recorded")
    handled("donations", "payment_refunded", 1)

    [failed] = _deliveries(config)
    assert (failed["kind"], failed["status"]) == ("refund_notice", "failed")
    assert failed["error"].startswith("SMTP 550")
    assert sink.rejections() == 1, "no retry storm: one attempt only"
    assert dlq_depth(config) == 0
    assert query(config["DATABASE_URL"], "SELECT recipient FROM suppressions") == [
        {"recipient": "hanako@example.com"}]

    # The same address as a JII Partner: the impact update (bulk) is not even attempted...
    publish(config, envelope("donations", "pledge_started"))
    publish(config, envelope("programs", "impact_updated", month="2026-04"))
    publish(config, envelope("programs", "impact_updated", month="2026-05"))
    wait_until(lambda: len(_deliveries(config)) == 2, message="the impact update decided")
    assert _deliveries(config)[1]["status"] == "suppressed"
    assert sink.rejections() == 1

    # ...while transactional mail (a failed payment with its card link) still is.
    publish(config, envelope("donations", "payment_failed"))
    wait_until(lambda: [row["status"] for row in _deliveries(config)][2:] == ["failed"],
               message="the payment failure notice")
    assert sink.rejections() == 2


def test_a_temporary_failure_for_one_recipient_never_resends_to_the_other(
    sink_factory, start_notifications, handled
):
    sink = sink_factory(fail_first=1, fail_code=451)  # the first RCPT (the resident) fails
    config = start_notifications(sink.port)

    publish(config, envelope("matching", "pairing_offered"))

    wait_until(lambda: len(sink.messages()) == 2, message="both offers")
    handled("matching", "pairing_offered", 1)
    assert sorted(m["To"].addresses[0].addr_spec for m in sink.messages()) == [
        "hanako@example.com", "sita@example.net"]
    assert {d["status"] for d in _deliveries(config)} == {"sent"}


def test_a_duplicated_event_sends_one_email_per_recipient(sink_factory, start_notifications,
                                                          handled):
    sink = sink_factory()
    config = start_notifications(sink.port)
    event = envelope("matching", "spot_request_assigned")

    for _ in range(3):
        publish(config, event)

    wait_until(lambda: len(sink.messages()) == 2, message="resident and volunteer mails")
    handled("matching", "spot_request_assigned", 3)
    assert len(sink.messages()) == 2
    assert len(_deliveries(config)) == 2


def test_smtp_down_for_a_while_loses_nothing_and_sends_everything_once_when_it_returns(
    sink_factory, start_notifications, handled
):
    port = free_port()
    # Longer delays than the default test ones, so the events are still retrying when SMTP
    # comes back rather than parked.
    config = start_notifications(port, EVENT_RETRY_DELAYS_MS=[300, 600, 1200, 2400, 4800, 9600])
    events = [envelope("donations", "payment_refunded"), envelope("matching", "pairing_started"),
              envelope("programs", "class_enrollment_waitlisted")]
    for event in events:
        publish(config, event)
    # refused connections meanwhile: each event is in its retry cycle
    stuck = wait_until(lambda: _all_deferred(config, 4), message="every message deferred")
    assert len(stuck) == 4 and {d["status"] for d in stuck} == {"deferred"}
    assert {d["error"] for d in stuck} == {"network error: ConnectionRefusedError"}

    sink = sink_factory(port=port)

    wait_until(lambda: len(sink.messages()) == 4, timeout=30, message="all four e-mails")
    for event in events:
        handled(event.source, event.type, 1, timeout=30)
    messages = sink.messages()
    assert len(messages) == 4
    assert len({m["Message-ID"] for m in messages}) == 4
    settled = _deliveries(config)
    assert len(settled) == 4 and {d["status"] for d in settled} == {"sent"}
    assert all(d["attempts"] >= 2 for d in settled)
    assert dlq_depth(config) == 0


def test_received_message_is_multipart_with_encoded_headers_and_stable_id(
    sink_factory, start_notifications
):
    sink = sink_factory()
    config = start_notifications(sink.port)
    event = envelope("programs", "class_enrollment_confirmed")

    publish(config, event)

    [message] = wait_until(sink.messages, message="the enrolment confirmation")
    raw = next(sink.maildir.glob("*.eml")).read_bytes()
    assert raw.isascii(), "7bit: quoted-printable/base64 bodies, RFC 2047 headers"
    assert b"Subject: =?utf-8?" in raw
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    assert message["Content-Language"] == "ne"
    assert "Aarav" in message["Subject"]
    [row] = query(config["DATABASE_URL"], "SELECT message_id FROM deliveries")
    assert message["Message-ID"] == row["message_id"]
