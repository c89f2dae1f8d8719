"""The staff console's donations and operations routes end to end through the gateway, on the
real services: payments listed and filtered, a supporter opened with pledges and payments; a
dead-letter queue looked into and replayed by an admin, whose replayed event reaches the
staff feed; every route refused to the roles it is not for."""

import uuid
from datetime import date

import pytest
import requests
from gateway.auth import issue_token
from servicekit.testing import park_dead_letter, wait_until

FEED_QUEUE = "evt-feed--gateway"


@pytest.fixture
def platform(platform_factory):
    started = platform_factory("notifications", "donations", "gateway",
                               overrides={"notifications": {"DLQ_WATCH_SECONDS": 3600}})
    secret = started.staff_secret
    return {"url": started.url, "amqp": started.amqp_uri,
            "gateway_db": started.database("gateway"),
            "token": lambda role: issue_token(secret, f"{role}-1", role)}


def get(platform, path, role="staff", **params):
    return requests.get(f"{platform['url']}{path}", params=params, timeout=30,
                        headers={"Authorization": f"Bearer {platform['token'](role)}"})


def post(platform, path, body, role="admin"):
    return requests.post(f"{platform['url']}{path}", json=body, timeout=30,
                         headers={"Authorization": f"Bearer {platform['token'](role)}"})


def record(platform, **overrides) -> dict:
    body = {"source": "bank_transfer", "amount": 50000, "paid_on": date.today().isoformat(),
            "payer_name": "Suzuki Taro", "payer_email": "taro@example.org", "locale": "ja",
            "reference": "MUFG 2026-0412", **overrides}
    answer = post(platform, "/api/staff/payments", body, role="staff")
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_staff_list_payments_by_source_a_page_at_a_time_and_open_the_supporter(platform):
    transfer = record(platform)
    grant = record(platform, source="grant", amount=300000, reference="grant 7",
                   payer_email="foundation@example.org", payer_name="Foundation")

    page = get(platform, "/api/staff/payments", limit=1)
    assert page.status_code == 200, page.text
    assert (page.json()["total"], len(page.json()["payments"])) == (2, 1)
    grants = get(platform, "/api/staff/payments", source="grant").json()["payments"]
    assert [p["receipt_number"] for p in grants] == [grant["receipt_number"]]
    mine = get(platform, "/api/staff/payments",
               supporter=transfer["supporter_id"]).json()["payments"]
    assert [p["id"] for p in mine] == [transfer["id"]] and mine[0]["voided"] is False

    found = get(platform, "/api/staff/supporters", q="MUFG 2026").json()["results"]
    assert [s["supporter_id"] for s in found] == [transfer["supporter_id"]]
    supporter = get(platform, f"/api/staff/supporters/{transfer['supporter_id']}")
    assert supporter.status_code == 200, supporter.text
    assert supporter.json()["email"] == "taro@example.org"
    assert [p["receipt_number"] for p in supporter.json()["payments"]] == [
        transfer["receipt_number"]]
    assert supporter.json()["pledges"] == []
    one = get(platform, f"/api/staff/payments/{grant['id']}").json()
    assert one["supporter_id"] == grant["supporter_id"]

    assert get(platform, f"/api/staff/supporters/{uuid.uuid4()}").status_code == 404
    for params in ({"source": "cash"}, {"limit": "0"}, {"from": "2026-02-30"},
                   {"supporter": "x"}, {"page": "2"}):
        answer = get(platform, "/api/staff/payments", **params)
        assert answer.status_code == 400 and answer.json()["type"] == "/problems/invalid-query"
    for path in ("/api/staff/payments", f"/api/staff/payments/{grant['id']}",
                 f"/api/staff/supporters/{grant['supporter_id']}"):
        assert get(platform, path, role="consultant").status_code == 403
        assert requests.get(f"{platform['url']}{path}", timeout=30).status_code == 401


def envelope() -> dict:
    event_id = str(uuid.uuid4())
    return {"id": event_id, "type": "bank_transfer_notified", "version": 1,
            "source": "donations", "occurred_at": "2026-11-01T00:00:00+00:00",
            "correlation_id": event_id, "data": {
                "supporter_id": str(uuid.uuid4()), "name": "Suzuki Taro",
                "email": "taro@example.org", "locale": "ja", "notice_id": str(uuid.uuid4()),
                "amount": 10000, "currency": "jpy", "transferred_on": "2026-10-31",
                "donor_kind": "person", "receipt_requested": False,
                "notified_at": "2026-11-01T00:00:00+00:00"}}


def test_an_admin_replays_a_parked_feed_event_into_the_staff_feed(platform):
    event = envelope()
    park_dead_letter(platform["amqp"], "gateway", event,
                     "Traceback ...\nOperationalError: the database went away", FEED_QUEUE)

    queues = get(platform, "/api/staff/dead-letters", role="admin")
    assert queues.status_code == 200, queues.text
    depths = {q["service"]: q["depth"] for q in queues.json()["queues"]}
    assert depths["gateway"] == 1 and depths["donations"] == 0
    peeked = get(platform, "/api/staff/dead-letters/gateway", role="admin", limit=10).json()
    [message] = peeked["messages"]
    assert (message["message_id"], message["handler_queue"]) == (event["id"], FEED_QUEUE)
    assert message["envelope"] == event and "database went away" in message["error"]

    assert post(platform, "/api/staff/dead-letters/gateway/replay", {}).status_code == 400
    assert post(platform, "/api/staff/dead-letters/gateway/replay",
                {"count": 1, "all": True}).status_code == 400
    replayed = post(platform, "/api/staff/dead-letters/gateway/replay", {"all": True})
    assert replayed.status_code == 200, replayed.text
    assert replayed.json()["left"] == 0
    assert [r["message_id"] for r in replayed.json()["replayed"]] == [event["id"]]

    # The feed's own consumer takes the replayed event, as if it had never failed.
    def in_feed():
        events = get(platform, "/api/staff/events", role="admin", after=0).json()["events"]
        return [e for e in events if e["id"] == event["id"]]

    wait_until(in_feed, timeout=20, message="the replayed event in the staff feed")
    assert get(platform, "/api/staff/dead-letters/gateway",
               role="admin").json()["depth"] == 0
    assert get(platform, "/api/staff/dead-letters/billing", role="admin").status_code == 404
    assert get(platform, "/api/staff/dead-letters/gateway", role="admin",
               limit="0").status_code == 400


@pytest.mark.parametrize("role", ["staff", "consultant"])
def test_only_admins_reach_the_dead_letter_queues(platform, role):
    park_dead_letter(platform["amqp"], "gateway", envelope(), "boom", FEED_QUEUE)
    assert get(platform, "/api/staff/dead-letters", role=role).status_code == 403
    assert get(platform, "/api/staff/dead-letters/gateway", role=role).status_code == 403
    assert post(platform, "/api/staff/dead-letters/gateway/replay", {"all": True},
                role=role).status_code == 403
    assert get(platform, "/api/staff/dead-letters/gateway",
               role="admin").json()["depth"] == 1
