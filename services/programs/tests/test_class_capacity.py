"""Changing a class's capacity: new seats go to the waitlist first come first served, in the
same transaction, as the withdrawal's promotions do; a child with a seat keeps it, so the
capacity cannot go below the seats taken; and under concurrent sign-ups nothing is overrun."""

from __future__ import annotations

import random

import eventlet
import pytest
from programs_testkit import child, class_request
from servicekit import errors
from servicekit.testing import query


def events(db: str, event_type: str) -> list[dict]:
    return [row["data"] for row in query(
        db, "SELECT envelope->'data' AS data FROM outbox WHERE routing_key = %s ORDER BY id",
        (event_type,))]


def state(db: str) -> dict:
    return query(db, """SELECT (SELECT array_agg(capacity) FROM classes) AS capacities,
                               (SELECT array_agg(status ORDER BY arrival) FROM enrollments)
                                   AS statuses,
                               (SELECT count(*) FROM outbox
                                 WHERE routing_key <> 'impact_updated') AS events""")[0]


def full_class(call, capacity: int, waiting: int) -> tuple[dict, list[dict]]:
    cls = call("create_class", class_request(capacity=capacity), role="staff")
    kids = [call("enroll_child", cls["id"], child(n)) for n in range(capacity + waiting)]
    return cls, kids


def test_raising_the_capacity_promotes_the_waitlist_in_arrival_order(call, db):
    cls, kids = full_class(call, capacity=2, waiting=4)
    waiting = [k["id"] for k in kids if k["status"] == "waitlisted"]

    changed = call("change_class_capacity", cls["id"], {"capacity": 5}, role="staff")

    assert changed["promoted"] == waiting[:3]
    assert (changed["capacity"], changed["confirmed"], changed["seats_left"],
            changed["waitlist_length"]) == (5, 5, 0, 1)
    promoted = events(db, "class_enrollment_promoted")
    assert [e["enrollment_id"] for e in promoted] == waiting[:3]
    # The same event the withdrawal sends, with the guardian's own withdrawal link.
    assert all(e["guardian"]["email"] and e["class"]["title"] and e["withdraw_url"]
               for e in promoted)
    roster = call("class_roster", cls["id"], role="staff")
    by_id = {e["id"]: e for e in roster["enrollments"]}
    assert [by_id[i]["status"] for i in waiting] == ["confirmed"] * 3 + ["waitlisted"]
    assert all(by_id[i]["promoted"] for i in waiting[:3])
    assert by_id[waiting[3]]["position"] == 1


def test_seats_beyond_the_waitlist_stay_free_for_the_next_sign_up(call, db):
    cls, kids = full_class(call, capacity=1, waiting=1)
    changed = call("change_class_capacity", cls["id"], {"capacity": 4}, role="admin")
    assert changed["promoted"] == [kids[1]["id"]]
    assert (changed["seats_left"], changed["waitlist_length"]) == (2, 0)
    assert call("enroll_child", cls["id"], child(9))["status"] == "confirmed"


def test_lowering_below_the_seats_taken_is_a_conflict_that_says_how_many_and_changes_nothing(
    call, db
):
    cls, _ = full_class(call, capacity=5, waiting=2)
    before = state(db)
    with pytest.raises(errors.Conflict, match="5 children have a seat") as refused:
        call("change_class_capacity", cls["id"], {"capacity": 4}, role="staff")
    assert "below 5" in refused.value.message
    assert state(db) == before


def test_lowering_to_the_seats_taken_is_allowed_and_promotes_nobody(call, db):
    cls = call("create_class", class_request(capacity=10), role="staff")
    for n in range(3):
        call("enroll_child", cls["id"], child(n))
    changed = call("change_class_capacity", cls["id"], {"capacity": 3}, role="staff")
    assert (changed["capacity"], changed["seats_left"], changed["promoted"]) == (3, 0, [])
    assert call("enroll_child", cls["id"], child(7))["status"] == "waitlisted"
    assert events(db, "class_enrollment_promoted") == []


@pytest.mark.parametrize("body, field", [
    ({"capacity": 0}, "capacity"),
    ({"capacity": 501}, "capacity"),
    ({"capacity": "12"}, "capacity"),
    ({"capacity": None}, "capacity"),
    ({}, "capacity"),
    ({"capacity": 12, "waitlist": 3}, "waitlist"),
])
def test_an_invalid_capacity_is_refused_with_field_errors(call, db, body, field):
    cls = call("create_class", class_request(capacity=2), role="staff")
    before = state(db)
    with pytest.raises(errors.InvalidInput) as refused:
        call("change_class_capacity", cls["id"], body, role="staff")
    assert field in refused.value.details
    assert state(db) == before


@pytest.mark.parametrize("class_id", ["3f2e1d0c-9b8a-4c7d-8e6f-5a4b3c2d1e0f", "not-a-uuid"])
def test_changing_the_capacity_of_an_unknown_class_is_not_found(call, class_id):
    with pytest.raises(errors.NotFound):
        call("change_class_capacity", class_id, {"capacity": 3}, role="staff")


@pytest.mark.parametrize("role", [None, "consultant"])
def test_changing_the_capacity_needs_the_staff_or_admin_role(call, db, role):
    cls = call("create_class", class_request(capacity=2), role="staff")
    with pytest.raises(errors.Forbidden):
        call("change_class_capacity", cls["id"], {"capacity": 3}, role=role)
    assert state(db)["capacities"] == [2]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_concurrent_capacity_changes_and_sign_ups_never_overrun_the_seats(call, db, seed):
    cls = call("create_class", class_request(capacity=10), role="staff")
    # Forty sign-ups and eight capacity changes, up and down, all at once in a random order.
    changes = (14, 6, 18, 9, 12, 4, 20, 7)
    jobs = [("enroll", n) for n in range(40)] + [("capacity", c) for c in changes]
    random.Random(seed).shuffle(jobs)

    def run(job: tuple[str, int]) -> tuple[str, int, object]:
        # Each caller has a proxy of its own: a standalone proxy is not shared between threads.
        kind, value = job
        try:
            if kind == "enroll":
                return kind, value, call("enroll_child", cls["id"], child(value),
                                         subject=f"family-{value}")
            return kind, value, call("change_class_capacity", cls["id"],
                                     {"capacity": value}, role="staff", subject=f"s-{value}")
        except errors.Conflict as exc:
            return kind, value, exc

    results = list(eventlet.GreenPool(len(jobs)).imap(run, jobs))

    assert all(not isinstance(r, errors.Conflict) for kind, _, r in results if kind == "enroll")
    for kind, _, result in results:
        if kind != "capacity":
            continue
        if isinstance(result, errors.Conflict):
            assert "cannot go below" in result.message  # refused only for the seats taken
        else:  # as it stood when the change committed
            assert result["confirmed"] <= result["capacity"]
            assert result["waitlist_length"] == 0 or result["confirmed"] == result["capacity"]
    [capacity] = state(db)["capacities"]
    rows = query(db, "SELECT id, status FROM enrollments ORDER BY arrival")
    # Forty children for at most twenty seats: every seat is taken, none twice over, and
    # the seats went to the first to arrive, whatever the order of the changes.
    assert [row["status"] for row in rows] == \
        ["confirmed"] * capacity + ["waitlisted"] * (40 - capacity)
    promoted = {e["enrollment_id"] for e in events(db, "class_enrollment_promoted")}
    confirmed = {e["enrollment_id"] for e in events(db, "class_enrollment_confirmed")}
    assert not promoted & confirmed
    assert promoted | confirmed == {str(row["id"]) for row in rows[:capacity]}
