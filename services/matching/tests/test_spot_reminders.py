"""The day-before reminder of an assigned spot request: the Tokyo date rule on plain datetimes,
then the timer's entrypoint on PostgreSQL with the injected clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import eventlet
import pytest
from matching.spot import TOKYO, reminder_due, reminder_horizon
from servicekit.testing import query
from test_matching_pairing_outcomes import spot_body, volunteer
from test_matching_service import approved, call, events


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_the_horizon_is_tokyo_midnight_two_days_on_whatever_the_utc_date():
    # 23:30 UTC on the 9th is already 08:30 on the 10th in Tokyo.
    assert reminder_horizon(utc("2026-04-09T23:30")) == datetime(2026, 4, 12, tzinfo=TOKYO)
    assert reminder_horizon(utc("2026-04-09T14:59")) == datetime(2026, 4, 11, tzinfo=TOKYO)


@pytest.mark.parametrize("now, due", [
    ("2026-04-09T14:59", False),  # 23:59 on the 9th in Tokyo: the 11th is two days away
    ("2026-04-09T15:00", True),   # midnight of the 10th in Tokyo: the 11th is tomorrow
    ("2026-04-10T12:00", True),   # 21:00 on the 10th: assigned the evening before
    ("2026-04-10T23:29", True),   # 08:29 on the day itself, a minute before it starts
    ("2026-04-10T23:30", False),  # it has started: too late to remind
    ("2026-04-11T02:00", False),
])
def test_a_request_on_the_11th_in_tokyo_at_2330_utc_on_the_10th(now, due):
    starts_at = utc("2026-04-10T23:30")  # 08:30 on the 11th in Tokyo; UTC says the 10th
    assert reminder_due(starts_at, utc(now)) is due


def test_a_late_evening_request_in_tokyo_is_reminded_from_the_day_before_in_tokyo():
    starts_at = utc("2026-04-10T14:30")  # 23:30 on the 10th in Tokyo
    assert not reminder_due(starts_at, utc("2026-04-08T14:59"))  # 23:59 on the 8th
    assert reminder_due(starts_at, utc("2026-04-08T15:00"))  # midnight of the 9th


def remind(matching) -> int:
    return call(matching, "remind_spot_requests")["reminders"]


def reminders(config) -> list[dict]:
    return [e["data"] for e in events(config) if e["type"] == "spot_request_reminder_due"]


def test_an_assigned_request_is_reminded_once_the_day_before_in_tokyo(
    matching, matching_config, clock
):
    # The clock reads 2026-04-01 00:00 UTC, 09:00 in Tokyo.
    helper = approved(matching, "volunteer", volunteer("Near Volunteer"))
    starts_at = "2026-04-02T23:30:00+00:00"  # 08:30 on 3 April in Tokyo, 2 April in UTC
    assigned = call(matching, "create_spot_request", spot_body(starts_at=starts_at))
    call(matching, "accept_spot_request", assigned["id"], {"volunteer_id": helper})
    cancelled = call(matching, "create_spot_request", spot_body(starts_at=starts_at))
    call(matching, "accept_spot_request", cancelled["id"], {"volunteer_id": helper})
    call(matching, "cancel_spot_request", cancelled["id"], {"reason": "sorted out"})
    unassigned = call(matching, "create_spot_request", spot_body(starts_at=starts_at))
    later = call(matching, "create_spot_request",
                 spot_body(starts_at="2026-04-10T01:00:00+00:00"))
    call(matching, "accept_spot_request", later["id"], {"volunteer_id": helper})

    assert remind(matching) == 0  # tomorrow is 2 April in both UTC and Tokyo
    clock.now = datetime(2026, 4, 1, 14, 59, tzinfo=UTC)  # 23:59 in Tokyo
    assert remind(matching) == 0
    clock.advance(minutes=1)  # midnight of 2 April in Tokyo: the 3rd is tomorrow
    assert remind(matching) == 1
    assert remind(matching) == 0
    clock.advance(hours=12)
    assert remind(matching) == 0

    [reminder] = reminders(matching_config)
    [assigned_event] = [e["data"] for e in events(matching_config)
                        if e["type"] == "spot_request_assigned"
                        and e["data"]["spot_request_id"] == assigned["id"]]
    assert reminder == assigned_event
    assert reminder["volunteer"]["participant_id"] == helper
    rows = {str(r["id"]): r["reminder_sent_at"] for r in query(
        matching_config["DATABASE_URL"], "SELECT id, reminder_sent_at FROM spot_requests")}
    assert rows[assigned["id"]] == datetime(2026, 4, 1, 15, 0, tzinfo=UTC)
    assert rows[cancelled["id"]] is rows[unassigned["id"]] is rows[later["id"]] is None


def test_a_request_assigned_on_the_day_is_reminded_while_it_is_still_ahead_and_never_after(
    matching, matching_config, clock
):
    helper = approved(matching, "volunteer", volunteer("Near Volunteer"))
    today = call(matching, "create_spot_request",
                 spot_body(starts_at="2026-04-01T06:00:00+00:00"))  # 15:00 today in Tokyo
    missed = call(matching, "create_spot_request",
                  spot_body(starts_at="2026-04-01T02:00:00+00:00"))  # 11:00 today in Tokyo
    for request in (today, missed):
        call(matching, "accept_spot_request", request["id"], {"volunteer_id": helper})
    clock.advance(hours=3)  # 12:00 in Tokyo: the 11:00 one has begun, unreminded
    assert remind(matching) == 1
    assert [r["spot_request_id"] for r in reminders(matching_config)] == [today["id"]]
    clock.advance(days=1)
    assert remind(matching) == 0


def test_two_instances_ticking_at_once_send_one_reminder(
    matching, matching_config, clock, container_factory
):
    from matching.clock import Clock
    from matching.service import MatchingService
    from nameko.testing.utils import get_extension

    other = container_factory(MatchingService, matching_config)
    get_extension(other, Clock).source = clock
    other.start()
    helper = approved(matching, "volunteer", volunteer("Near Volunteer"))
    request = call(matching, "create_spot_request",
                   spot_body(starts_at=(clock.now + timedelta(days=1)).isoformat()))
    call(matching, "accept_spot_request", request["id"], {"volunteer_id": helper})
    # One hook per container: nameko's hook returns the first result of its entrypoint.
    sent = list(eventlet.GreenPool().imap(remind, [matching, other]))
    assert sorted(sent) == [0, 1]
    assert len(reminders(matching_config)) == 1
