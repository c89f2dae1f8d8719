"""An offer that will not go ahead (declined, expired, one side withdrawn), over the real broker
into real SMTP: the people still waiting on it get one e-mail each, in their own language."""

from __future__ import annotations

import pytest
from notification_examples import envelope
from notifications_testkit import publish
from servicekit.testing import query, wait_until

SUBJECT = {"ne": "तपाईंको Otonari-san परिचयबारे जानकारी",
           "ja": "「おとなりさん」のご紹介についてのお知らせ"}


def _received(sink) -> list[tuple[str, str, str]]:
    """(recipient, language, subject) of every e-mail the sink holds, sorted."""
    return sorted((m["To"].addresses[0].addr_spec, m["Content-Language"], m["Subject"])
                  for m in sink.messages())


@pytest.mark.parametrize(("event_type", "changes", "expected"), [
    # the partner declined: only the resident, who was waiting on them, hears of it
    ("pairing_declined", {}, [("sita@example.net", "ne")]),
    ("pairing_declined", {"declined_by": "resident"}, [("hanako@example.com", "ja")]),
    # nobody answered in time: both
    ("pairing_offer_expired", {}, [("hanako@example.com", "ja"), ("sita@example.net", "ne")]),
    # the partner was withdrawn: the resident they were offered to
    ("participant_withdrawn", {}, [("sita@example.net", "ne")]),
], ids=["declined_by_partner", "declined_by_resident", "expired", "withdrawn"])
def test_those_waiting_on_the_offer_get_one_email_each_however_often_the_event_comes(
    sink_factory, start_notifications, handled, event_type, changes, expected
):
    sink = sink_factory()
    config = start_notifications(sink.port)
    event = envelope("matching", event_type, **changes)

    for _ in range(3):
        publish(config, event)

    wait_until(lambda: len(sink.messages()) == len(expected), message=f"{event_type} mail")
    handled("matching", event_type, 3)
    assert _received(sink) == [(to, lang, SUBJECT[lang]) for to, lang in expected]
    rows = query(config["DATABASE_URL"], "SELECT kind, status FROM deliveries")
    assert rows == [{"kind": "pairing_not_going_ahead", "status": "sent"}] * len(expected)


@pytest.mark.parametrize("changes", [{"cancelled_offers": ...}, {"cancelled_offers": []}],
                         ids=["older_event_without_the_field", "only_proposals_cancelled"])
def test_a_withdrawal_naming_no_offer_sends_nothing(sink_factory, start_notifications, changes):
    sink = sink_factory()
    config = start_notifications(sink.port)
    event = envelope("matching", "participant_withdrawn", **changes)

    publish(config, event)

    # handled (its inbox row is written only once the handler has sent whatever it sends),
    # without an e-mail: no waiting beyond that row is needed
    wait_until(lambda: query(config["DATABASE_URL"],
                             "SELECT 1 FROM inbox WHERE event_id = %s", (event.id,)),
               message="the withdrawal handled")
    assert sink.messages() == []
    assert query(config["DATABASE_URL"], "SELECT * FROM deliveries") == []
