"""The impact ledger: figures built from events equal a recount from the source records, however
the events arrive (duplicated, told twice, out of order), and impact_updated is rate-limited."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime

import eventlet
import pytest
from programs_testkit import MIGRATIONS, child, class_request, consultation, expert
from servicekit.events import Envelope
from servicekit.events.relay import event_exchange, make_publisher
from servicekit.testing import query, wait_until

INTERVAL_SECONDS = 1.5


@pytest.fixture
def programs_config(service_config, make_database):
    return service_config(make_database("programs", MIGRATIONS), IMPACT_TICK_SECONDS=0.1,
                          IMPACT_UPDATE_INTERVAL_SECONDS=INTERVAL_SECONDS)


@pytest.fixture
def publish(programs, programs_config):
    publisher = make_publisher(programs_config["AMQP_URI"])

    def send(envelope: Envelope) -> None:
        publisher.publish(envelope.to_dict(), exchange=event_exchange(envelope.exchange),
                          routing_key=envelope.type)

    return send


def person(name: str) -> dict:
    return {"participant_id": str(uuid.uuid4()), "name": name,
            "email": f"{name.lower()}@example.org", "locale": "en"}


def payment(amount: int, source: str, paid_at: str, email: str = "s@example.org") -> dict:
    return {"supporter_id": str(uuid.uuid4()), "name": "Supporter", "email": email,
            "locale": "ja", "payment_id": str(uuid.uuid4()), "source": source,
            "first_of_pledge": False, "amount": amount, "currency": "jpy",
            "receipt_number": "R2026-000001", "paid_at": paid_at}


def class_ref() -> dict:
    return {"class_id": str(uuid.uuid4()), "title": "Hanamaru", "venue": "Shinjuku",
            "schedule": "Saturdays"}


def enrollment(at: str, email: str) -> dict:
    return {"enrollment_id": str(uuid.uuid4()), "class": class_ref(),
            "child_first_name": "Sita",
            "guardian": {"name": "Maya", "email": email, "locale": "ne"}, "occurred_at": at}


def ledger_seen(db: str) -> int:
    return query(db, "SELECT count(*) AS n FROM inbox")[0]["n"]


def months(figures: dict) -> dict[str, dict]:
    return {month.pop("month"): month for month in figures["months"]}


def test_figures_from_a_duplicated_and_reordered_stream_equal_a_recount(call, db, publish):
    resident, partner, volunteer = person("Anita"), person("Ken"), person("Yui")
    pairing = {"pairing_id": str(uuid.uuid4()), "resident": resident, "partner": partner}
    paid = [payment(3000, "monthly", "2026-03-05T01:00:00+00:00"),
            payment(10000, "card_one_time", "2026-03-31T16:00:00+00:00"),  # April in Tokyo
            payment(50000, "bank_transfer", "2026-04-10T00:00:00+00:00"),
            payment(3000, "monthly", "2026-04-05T01:00:00+00:00")]
    refund = {**{k: paid[1][k] for k in ("supporter_id", "name", "email", "locale",
                                         "payment_id", "source", "receipt_number")},
              "refund_id": str(uuid.uuid4()), "amount": 4000, "payment_amount": 10000,
              "refunded_total": 4000, "fully_refunded": False, "currency": "jpy",
              "refunded_at": "2026-04-20T00:00:00+00:00"}
    session_id, held_at = str(uuid.uuid4()), "2026-04-11T01:00:00+00:00"
    session = {"session_id": session_id, "class": class_ref(), "session_number": 1,
               "held_at": held_at, "enrolled": 8}
    spot = {"spot_request_id": str(uuid.uuid4()), "kind": "city_hall",
            "starts_at": "2026-04-02T00:30:00+00:00", "area": "Shinjuku",
            "languages": ["ne"], "requester": {"name": "Bina", "email": "bina@example.org",
                                               "locale": "ne"},
            "volunteer": volunteer, "hours": 2.5}
    case = {"consultation_id": str(uuid.uuid4()), "topic": "housing", "language": "ne",
            "urgency": "normal",
            "resident": {"name": "Anita", "email": resident["email"], "locale": "ne"}}
    stream = [
        *(Envelope.new("donations", "payment_succeeded", p) for p in paid),
        Envelope.new("donations", "payment_refunded", refund),
        Envelope.new("matching", "pairing_started", {
            **pairing, "started_at": "2025-10-01T00:00:00+00:00",
            "ends_at": "2026-04-01T00:00:00+00:00"}),
        Envelope.new("matching", "pairing_completed", {
            **pairing, "started_at": "2025-10-01T00:00:00+00:00",
            "completed_at": "2026-04-01T00:00:00+00:00"}),
        Envelope.new("matching", "spot_request_completed", spot),
        Envelope.new("programs", "class_enrollment_confirmed",
                     enrollment("2026-04-03T00:00:00+00:00", "maya@example.org")),
        Envelope.new("programs", "class_enrollment_promoted",
                     enrollment("2026-04-04T00:00:00+00:00", resident["email"])),
        Envelope.new("programs", "class_session_held", {**session, "attended": 5,
                                                        "revision": 1}),
        Envelope.new("programs", "class_session_held", {**session, "attended": 7,
                                                        "revision": 2}),
        Envelope.new("programs", "consultation_opened", {
            **case, "occurred_at": "2026-04-01T03:00:00+00:00"}),
        Envelope.new("programs", "consultation_resolved", {
            **case, "occurred_at": "2026-04-15T03:00:00+00:00", "outcome": "resolved",
            "opened_at": "2026-04-01T03:00:00+00:00"}),
    ]
    # The same payment told again under a new event id (a producer that retried), every event
    # delivered twice, and everything shuffled: the correction of the session (revision 2) may
    # well arrive before the original.
    retold = Envelope.new("donations", "payment_succeeded", paid[0])
    deliveries = [*stream, *stream, retold]
    random.Random(7).shuffle(deliveries)
    for envelope in deliveries:
        publish(envelope)
    wait_until(lambda: ledger_seen(db) == len(stream) + 1, timeout=30,
               message="every distinct event applied")

    # The recount, from the source records themselves.
    expected = {
        "2026-03": {"yen_raised": 3000, "yen_raised_by_source": {"monthly": 3000},
                    "residents_supported": 0, "pairings_completed": 0, "spot_requests_done": 0,
                    "children_enrolled": 0, "sessions_held": 0, "attendances": 0,
                    "consultations_resolved": 0},
        "2026-04": {"yen_raised": 10000 + 50000 + 3000 - 4000,
                    "yen_raised_by_source": {"card_one_time": 6000, "bank_transfer": 50000,
                                             "monthly": 3000},
                    # Anita (pairing, consultation, a promoted child), Bina (spot), Maya (child)
                    "residents_supported": 3, "pairings_completed": 1, "spot_requests_done": 1,
                    "children_enrolled": 2, "sessions_held": 1, "attendances": 7,
                    "consultations_resolved": 1},
        "2025-10": {"yen_raised": 0, "yen_raised_by_source": {}, "residents_supported": 1,
                    "pairings_completed": 0, "spot_requests_done": 0, "children_enrolled": 0,
                    "sessions_held": 0, "attendances": 0, "consultations_resolved": 0},
    }
    figures = call("impact_figures", {})
    assert months(call("impact_figures", {})) == expected
    assert figures["totals"]["yen_raised"] == 3000 + 59000
    assert figures["totals"]["residents_supported"] == 3  # Anita counted once over the range
    assert months(call("impact_figures", {"from": "2026-04", "to": "2026-04"})) == \
        {"2026-04": expected["2026-04"]}


def test_the_ledger_counts_the_services_own_classes_and_cases_as_a_recount_of_its_tables(
    call, db
):
    cls = call("create_class", class_request(capacity=2, sessions=2), role="staff")
    kids = [call("enroll_child", cls["id"], child(n)) for n in range(3)]
    call("withdraw_enrollment", cls["id"], kids[0]["id"], {"reason": "moved"}, role="staff")
    call("record_attendance", cls["id"], cls["sessions"][0]["id"],
         {"present": [kids[1]["id"]]}, role="staff")
    call("record_attendance", cls["id"], cls["sessions"][0]["id"],
         {"present": [kids[1]["id"], kids[2]["id"]]}, role="staff")
    call("record_attendance", cls["id"], cls["sessions"][1]["id"],
         {"present": [kids[2]["id"]]}, role="staff")
    call("add_expert", expert("Sharma Anil", ["work"], ["ne"]), role="admin")
    case = call("open_consultation", consultation(topic="work"))
    call("assign_consultation", case["id"], {}, role="staff")
    call("change_consultation_status", case["id"], {"status": "in_progress"}, role="staff")
    call("change_consultation_status", case["id"], {"status": "resolved"}, role="staff")

    recount = query(db, """SELECT
        (SELECT count(*) FROM enrollments WHERE confirmed_at IS NOT NULL) AS children_enrolled,
        (SELECT count(*) FROM class_sessions WHERE held_at IS NOT NULL) AS sessions_held,
        (SELECT count(*) FROM attendance WHERE present) AS attendances,
        (SELECT count(*) FROM consultations WHERE status = 'resolved')
            AS consultations_resolved""")[0]
    assert recount == {"children_enrolled": 3, "sessions_held": 2, "attendances": 3,
                       "consultations_resolved": 1}

    def totals() -> dict:
        figures = call("impact_figures", {})["totals"]
        return {key: figures[key] for key in recount}

    wait_until(lambda: totals() == recount, timeout=30, message="the ledger caught up")


def test_impact_updated_is_sent_when_figures_change_at_most_once_per_interval(
    call, db, publish
):
    def updates() -> list[dict]:
        return query(db, "SELECT envelope->'data' AS data, created_at FROM outbox"
                         " WHERE routing_key = 'impact_updated' ORDER BY id")

    now = datetime.now(UTC).isoformat()
    for amount in (1000, 2000, 3000):
        publish(Envelope.new("donations", "payment_succeeded",
                             payment(amount, "card_one_time", now)))
    wait_until(lambda: ledger_seen(db) == 3, message="three payments counted")
    wait_until(updates, message="a first impact_updated")
    publish(Envelope.new("donations", "payment_succeeded", payment(4000, "grant", now)))
    wait_until(lambda: updates()[-1]["data"]["yen_raised"] == 10000, timeout=10,
               message="an impact_updated with the new total")
    sent = updates()
    assert len(sent) >= 2
    # However fast the figures changed, consecutive updates are an interval apart.
    gaps = [(later["created_at"] - earlier["created_at"]).total_seconds()
            for earlier, later in zip(sent, sent[1:], strict=False)]
    assert min(gaps) >= INTERVAL_SECONDS - 0.05
    assert sent[-1]["data"]["yen_raised_by_source"] == {"card_one_time": 6000, "grant": 4000}
    assert len({update["data"]["month"] for update in sent}) == 1

    # Nothing changed: nothing more is said, however long we wait.
    eventlet.sleep(INTERVAL_SECONDS * 1.5)
    assert len(updates()) == len(sent)


def test_impact_updated_carries_the_month_before_and_the_year_so_far(call, db, publish):
    # A consumer that learns from May's update that April is over gets April's figures as
    # fresh as May's, whichever of the two updates it handles first.
    for amount, paid_at in ((5000, "2026-01-10T00:00:00+00:00"),
                            (3000, "2026-04-01T00:00:00+00:00"),
                            (50000, "2026-04-20T00:00:00+00:00"),
                            (2000, "2026-05-02T00:00:00+00:00")):
        publish(Envelope.new("donations", "payment_succeeded",
                             payment(amount, "monthly", paid_at)))
    wait_until(lambda: ledger_seen(db) == 4, message="four payments counted")

    def may() -> list[dict]:
        return [row["data"] for row in query(
            db, "SELECT envelope->'data' AS data FROM outbox WHERE routing_key ="
                " 'impact_updated' ORDER BY id") if row["data"]["month"] == "2026-05"]

    update = wait_until(may, timeout=10, message="May's impact_updated")[-1]
    assert update["yen_raised"] == 2000
    assert update["year_to_date"]["yen_raised"] == 60000
    april = update["previous_month"]
    assert (april["month"], april["yen_raised"]) == ("2026-04", 53000)
    assert april["year_to_date"]["yen_raised"] == 58000
    assert april["yen_raised_by_source"] == {"monthly": 53000}
