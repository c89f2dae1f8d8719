"""`GET /api/staff/events`: the gateway keeps every service's events for staff tools."""

from __future__ import annotations

import time
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime

import eventlet
import pytest
import requests
from amqp.exceptions import NotFound
from gateway.auth import issue_token
from kombu import Connection
from servicekit.config import amqp_uri
from servicekit.events import Envelope
from servicekit.events.relay import event_exchange, make_publisher
from servicekit.testing import free_port, query, wait_until

from gateway import feed


def participant_applied(name: str) -> Envelope:
    return Envelope.new("matching", "participant_applied", {
        "participant_id": str(uuid.uuid4()), "name": name, "email": f"{name}@example.org",
        "locale": "ja", "role": "resident", "area": "Shinjuku",
        "applied_at": datetime.now(UTC).isoformat()})


def impact_updated() -> Envelope:
    figures = dict.fromkeys(["residents_supported", "pairings_completed", "spot_requests_done",
                             "children_enrolled", "sessions_held", "attendances",
                             "consultations_resolved", "yen_raised"], 1)
    return Envelope.new("programs", "impact_updated", {
        **figures, "month": "2026-04", "yen_raised_by_source": {"card": 1},
        "updated_at": datetime.now(UTC).isoformat()})


@pytest.fixture
def publish(gateway_config):
    publisher = make_publisher(amqp_uri(gateway_config))  # mandatory: the feed's queue is bound

    def send(envelope: Envelope | dict, source: str | None = None, event_type: str = "x"):
        body = envelope.to_dict() if isinstance(envelope, Envelope) else envelope
        source = source or body["source"]
        publisher.publish(body, exchange=event_exchange(f"{source}.events"),
                          routing_key=body.get("type", event_type),
                          message_id=str(body.get("id", "")))

    return send


@pytest.fixture
def token(gateway_config):
    def make(role: str = "staff") -> dict:
        return {"Authorization": "Bearer " + issue_token(
            gateway_config["STAFF_TOKEN_SECRET"], "staff-1", role)}

    return make


def feed_of(gateway, headers, **params) -> dict:
    answer = requests.get(f"{gateway}/api/staff/events", params=params, headers=headers,
                          timeout=5)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_published_events_appear_once_in_order_and_page_by_cursor(gateway, publish, token):
    events = [participant_applied(f"person{i}") for i in range(5)] + [impact_updated()]
    for event in events:
        publish(event)
    publish(events[1])  # a redelivered or duplicated event is kept once
    staff = token("staff")
    page = wait_until(lambda: (p := feed_of(gateway, staff)) and len(p["events"]) >= 6 and p,
                      message="six events in the feed")
    assert [e["id"] for e in page["events"]] == [e.id for e in events]
    first = page["events"][0]
    assert first["data"]["name"] == "person0" and first["source"] == "matching"
    assert first["type"] == "participant_applied" and first["version"] == 1
    assert first["correlation_id"] == events[0].correlation_id
    cursors = [e["cursor"] for e in page["events"]]
    assert cursors == sorted(cursors) and page["next"] == cursors[-1]

    # Paging: `after=` the previous answer's `next`, a page at a time.
    two = feed_of(gateway, staff, limit=2)
    assert [e["id"] for e in two["events"]] == [events[0].id, events[1].id]
    rest = feed_of(gateway, staff, after=two["next"], limit=10)
    assert [e["id"] for e in rest["events"]] == [e.id for e in events[2:]]
    assert feed_of(gateway, staff, after=page["next"]) == {"events": [], "next": page["next"]}
    only = feed_of(gateway, token("admin"), type="impact_updated")
    assert [e["id"] for e in only["events"]] == [events[-1].id]

    # A later event comes after the cursor a tool already holds.
    later = participant_applied("late")
    publish(later)
    newer = wait_until(lambda: feed_of(gateway, staff, after=page["next"])["events"],
                       message="the later event")
    assert [e["id"] for e in newer] == [later.id]


def test_malformed_events_are_parked_not_stored(gateway, publish, token, gateway_config,
                                                gateway_database):
    bad = participant_applied("x").to_dict()
    bad["data"] = {**bad["data"], "email": "not-an-email"}
    publish(bad)
    publish({"no": "envelope"}, source="donations", event_type="payment_succeeded")
    good = participant_applied("after")
    publish(good)
    wait_until(lambda: query(gateway_database, "SELECT 1 FROM staff_events"),
               message="the good event")
    rows = query(gateway_database, "SELECT event_id FROM staff_events")
    assert [str(r["event_id"]) for r in rows] == [good.id]
    with Connection(amqp_uri(gateway_config)) as conn:
        def parked():
            _, count, _ = conn.default_channel.queue_declare("gateway.dlq", passive=True)
            return count == 2
        wait_until(parked, message="two events in gateway.dlq")


@pytest.fixture
def feed_paused(gateway_database):
    """Holds the feed's order lock while in use, so that the gateway's writes wait and
    the events delivered meanwhile pile up."""
    from servicekit.db import connect

    @contextmanager
    def paused():
        with connect(gateway_database) as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (feed.ORDER_LOCK,))
            yield

    return paused


def test_events_that_arrive_together_are_stored_in_one_transaction_in_broker_order(
        gateway, publish, token, gateway_database, feed_paused):
    events = [participant_applied(f"person{i}") for i in range(60)]
    with feed_paused():
        for event in events:
            publish(event)
        eventlet.sleep(1)  # every event delivered to the gateway, held behind the lock
    staff = token("staff")
    page = wait_until(lambda: (p := feed_of(gateway, staff)) and len(p["events"]) == 60 and p,
                      message="sixty events in the feed")
    assert [e["id"] for e in page["events"]] == [e.id for e in events]
    # The first event's batch waited on the lock while the other 59 gathered into one more.
    commits = query(gateway_database, "SELECT count(DISTINCT xmin::text) AS n FROM staff_events")
    assert commits[0]["n"] <= 2


def test_an_event_that_cannot_be_stored_is_parked_alone_and_its_batch_is_kept(
        gateway, publish, token, gateway_config, gateway_database, feed_paused):
    before, after = participant_applied("before"), participant_applied("after")
    # PostgreSQL's jsonb refuses a NUL character: valid to the contract, unstorable here.
    unstorable = participant_applied("nul")
    unstorable.data["name"] = "nul\u0000byte"
    with feed_paused():
        for event in (before, unstorable, after):
            publish(event)
        eventlet.sleep(1)
    staff = token("staff")
    page = wait_until(lambda: (p := feed_of(gateway, staff)) and len(p["events"]) == 2 and p,
                      message="the two storable events")
    assert [e["id"] for e in page["events"]] == [before.id, after.id]
    with Connection(amqp_uri(gateway_config)) as conn:
        def parked():
            with conn.channel() as channel:  # a missing queue closes the channel
                try:
                    return channel.queue_declare("gateway.dlq", passive=True)[1] == 1
                except NotFound:
                    return False
        wait_until(parked, timeout=15, message="the unstorable event in gateway.dlq")
    assert len(feed_of(gateway, staff)["events"]) == 2


def test_a_gateway_stopped_mid_batch_loses_nothing_and_its_successor_stores_each_event_once(
        gateway_container, container_factory, gateway_config, publish, token, gateway_database,
        feed_paused):
    from gateway.service import GatewayService

    events = [participant_applied(f"person{i}") for i in range(20)]
    with feed_paused():
        for event in events:
            publish(event)
        eventlet.sleep(1)  # delivered, unacknowledged, the first batch waiting on the lock
        gateway_container.kill()  # a crash: nothing acknowledged, nothing stored
    assert query(gateway_database, "SELECT count(*) AS n FROM staff_events")[0]["n"] == 0

    successor = container_factory(GatewayService, {
        **gateway_config, "WEB_SERVER_ADDRESS": f"127.0.0.1:{free_port()}"})
    successor.start()
    url = "http://" + successor.config["WEB_SERVER_ADDRESS"]
    page = wait_until(lambda: (p := feed_of(url, token("staff"))) and len(p["events"]) == 20
                      and p, message="the twenty events, redelivered")
    assert sorted(e["id"] for e in page["events"]) == sorted(e.id for e in events)


@pytest.mark.parametrize("role, status", [(None, 401), ("consultant", 403)])
def test_the_feed_needs_a_staff_or_admin_token(gateway, token, role, status):
    headers = token(role) if role else {}
    answer = requests.get(f"{gateway}/api/staff/events", headers=headers, timeout=5)
    assert answer.status_code == status
    assert answer.headers["Content-Type"].startswith("application/problem+json")
    for after in (-1, 2**63):
        bad = requests.get(f"{gateway}/api/staff/events", headers=token("staff"),
                           params={"after": after}, timeout=5)
        assert bad.status_code == 400


def test_old_events_are_pruned(gateway_database):
    from servicekit.db import connect

    with connect(gateway_database) as conn:
        for event, age in ((participant_applied("old"), "40 days"),
                           (participant_applied("new"), "1 day")):
            with conn.transaction():
                feed.store(conn, event)
                conn.execute("UPDATE staff_events SET received_at = now() - %s::interval"
                             " WHERE event_id = %s", (age, event.id))
        with conn.transaction():
            assert feed.prune(conn, 30) == 1
        assert [r["data"]["name"] for r in feed.page(conn)] == ["new"]



def test_a_long_poll_answers_as_soon_as_an_event_arrives_and_filters_by_service(
        gateway, publish, token):
    staff = token("staff")
    publish(impact_updated())
    first = wait_until(lambda: feed_of(gateway, staff)["events"])
    waiting = eventlet.spawn(feed_of, gateway, staff, after=first[-1]["cursor"], wait=4,
                             source="matching")
    eventlet.sleep(0.5)
    publish(impact_updated())  # programs: not what the poll waits for
    eventlet.sleep(0.5)
    assert not waiting.dead
    started = time.monotonic()
    publish(participant_applied("Maya"))
    answer = waiting.wait()
    assert time.monotonic() - started < 3
    assert [e["type"] for e in answer["events"]] == ["participant_applied"]


def _pledge_canceled(supporter_id: str, name: str) -> Envelope:
    now = datetime.now(UTC).isoformat()
    return Envelope.new("donations", "pledge_canceled", {
        "supporter_id": supporter_id, "name": name, "email": f"{name}@example.org",
        "locale": "ja", "pledge_id": str(uuid.uuid4()), "status": "canceled", "amount": 3000,
        "currency": "jpy", "occurred_at": now, "actor": "supporter",
        "manage_url": f"https://jii.example/pledge?token={name}.live.signed.token",
        "reason": f"{name} is moving to Osaka"})


def test_anonymising_a_supporter_erases_them_from_the_feed_and_from_later_events(
    gateway, publish, token
):
    supporter, other = str(uuid.uuid4()), str(uuid.uuid4())
    before, kept = _pledge_canceled(supporter, "hanako"), _pledge_canceled(other, "taro")
    erased = Envelope.new("donations", "supporter_anonymized", {
        "supporter_id": supporter, "email_sha256": "0" * 64,
        "anonymized_at": datetime.now(UTC).isoformat()})
    late = _pledge_canceled(supporter, "hanako")  # delivered after the erasure
    for event in (before, kept, erased, late):
        publish(event)
    staff = token("staff")
    page = wait_until(lambda: (p := feed_of(gateway, staff)) and len(p["events"]) == 4 and p,
                      message="four events in the feed")
    text = str(page)
    assert "hanako" not in text
    by_id = {e["id"]: e["data"] for e in page["events"]}
    for event in (before, late):
        data = by_id[event.id]
        assert (data["name"], data["email"], data["reason"]) == (
            "(erased)", "erased@invalid.invalid", "(erased)")
        assert "manage_url" not in data and data["amount"] == 3000
    assert by_id[kept.id]["name"] == "taro" and "manage_url" in by_id[kept.id]
