"""Disputes, spot reminders, reassigned volunteers and dead-letter alerts over the real broker
into real SMTP: the right people, each once, in their own language."""

from __future__ import annotations

import pytest
from notification_examples import envelope
from notifications_testkit import publish
from servicekit.testing import query, wait_until


def _mail(messages: list) -> dict[str, tuple[str, str, str]]:
    """{recipient: (language, subject, plain text)}"""
    return {m["To"].addresses[0].addr_spec: (m["Content-Language"], m["Subject"],
                                             m.get_body(("plain",)).get_content())
            for m in messages}


@pytest.mark.parametrize(("source", "event_type", "expected"), [
    ("donations", "payment_disputed", {
        "staff@j-ii.org": ("ja", "R2026-000124", "2026年4月29日 23:59")}),
    ("matching", "spot_request_reminder_due", {
        "sita@example.net": ("ne", "२०२६ अप्रिल २०", "Emily Carter"),
        "emily@example.org": ("en", "20 April 2026", "सीता गुरुङ")}),
    ("matching", "spot_request_unassigned", {
        "emily@example.org": ("en", "20 April 2026", "Thank you for letting us know")}),
    ("notifications", "dead_letters_growing", {
        "staff@j-ii.org": ("ja", "donations.dlq", "jii dlq replay donations 1")}),
])
def test_each_recipient_gets_one_email_in_their_language_however_often_the_event_comes(
    sink_factory, start_notifications, handled, source, event_type, expected
):
    sink = sink_factory()
    config = start_notifications(sink.port)
    event = envelope(source, event_type)

    for _ in range(3):
        publish(config, event)

    wait_until(lambda: len(sink.messages()) == len(expected), message=f"{event_type} mail")
    handled(source, event_type, 3)
    received = _mail(sink.messages())
    assert set(received) == set(expected) and len(sink.messages()) == len(expected)
    for recipient, (language, in_subject, in_text) in expected.items():
        got_language, subject, text = received[recipient]
        assert got_language == language
        assert in_subject in subject and in_text in text, recipient
    rows = query(config["DATABASE_URL"], "SELECT status FROM deliveries")
    assert [row["status"] for row in rows] == ["sent"] * len(expected)
