"""Editing a class (details and capacity in one change) and calling a session off: the families
with a seat are told in the one event committed with the change, a held or begun session
cannot be cancelled, and bad input or the wrong role changes nothing."""

from __future__ import annotations

import pytest
from contracts.registry import validate_data
from programs_testkit import child, class_request
from servicekit import errors
from servicekit.testing import query


def events(db: str, event_type: str) -> list[dict]:
    return [row["data"] for row in query(
        db, "SELECT envelope->'data' AS data FROM outbox WHERE routing_key = %s ORDER BY id",
        (event_type,))]


def test_an_edit_changes_the_details_and_raises_the_capacity_for_the_waitlist(call, db):
    cls = call("create_class", class_request(capacity=1), role="staff")
    kids = [call("enroll_child", cls["id"], child(n)) for n in range(3)]

    edited = call("update_class", cls["id"], {"title": "Hanamaru Class Nakano",
                                              "schedule": "Sundays 14:00-15:30",
                                              "capacity": 2}, role="staff")

    assert (edited["title"], edited["schedule"], edited["venue"], edited["capacity"]) == (
        "Hanamaru Class Nakano", "Sundays 14:00-15:30", "Shinjuku Community Centre", 2)
    assert edited["promoted"] == [kids[1]["id"]]
    # The promotion e-mail names the class as it is now called.
    [promoted] = events(db, "class_enrollment_promoted")
    assert promoted["class"]["title"] == "Hanamaru Class Nakano"


def test_an_edit_below_the_seats_taken_is_refused_and_changes_nothing(call, db):
    cls = call("create_class", class_request(capacity=3), role="staff")
    for n in range(2):
        call("enroll_child", cls["id"], child(n))

    with pytest.raises(errors.Conflict) as refused:
        call("update_class", cls["id"], {"title": "Renamed", "capacity": 1}, role="admin")

    assert "cannot go below 2" in str(refused.value)
    roster = call("class_roster", cls["id"], role="staff")
    assert (roster["title"], roster["capacity"]) == ("Hanamaru Class Shinjuku", 3)


@pytest.mark.parametrize("body", [{}, {"title": "  "}, {"capacity": 0}, {"colour": "red"},
                                  {"capacity": "5"}])
def test_a_bad_edit_is_invalid_input(call, body):
    cls = call("create_class", class_request(), role="staff")
    with pytest.raises(errors.InvalidInput):
        call("update_class", cls["id"], body, role="staff")


def test_only_admin_and_staff_edit_classes_or_cancel_sessions(call):
    cls = call("create_class", class_request(), role="staff")
    session = cls["sessions"][1]["id"]
    for role in ("consultant", None):
        with pytest.raises(errors.Forbidden):
            call("update_class", cls["id"], {"title": "x"}, role=role)
        with pytest.raises(errors.Forbidden):
            call("cancel_session", cls["id"], session, {"reason": "weather"}, role=role)
    assert call("class_roster", cls["id"], role="admin")["sessions"][1]["cancelled"] is False


def test_cancelling_a_session_tells_each_family_with_a_seat_once(call, db, clock):
    cls = call("create_class", class_request(capacity=3), role="staff")
    # Two children of one guardian and one of another have seats; one child waits.
    call("enroll_child", cls["id"], child(1))
    call("enroll_child", cls["id"], child(2, guardian_email="Guardian1@example.org",
                                          guardian_name="Guardian 1"))
    call("enroll_child", cls["id"], child(3, guardian_locale="ja"))
    call("enroll_child", cls["id"], child(4))
    session = cls["sessions"][1]

    cancelled = call("cancel_session", cls["id"], session["id"],
                     {"reason": "venue_unavailable", "note": "hall booked twice"},
                     role="staff")
    again = call("cancel_session", cls["id"], session["id"], {"reason": "weather"},
                 role="admin")

    assert (cancelled["cancelled"], cancelled["cancel_reason"], cancelled["families_told"]) == (
        True, "venue_unavailable", 2)
    assert again["cancel_reason"] == "venue_unavailable"  # the first cancellation stands
    [event] = events(db, "class_session_cancelled")
    validate_data("programs", "class_session_cancelled", 1, event)
    assert (event["session_number"], event["reason"]) == (2, "venue_unavailable")
    assert [(f["guardian"]["email"], f["guardian"]["locale"], f["children"])
            for f in event["families"]] == [
        ("guardian1@example.org", "ne", ["Child1", "Child2"]),
        ("guardian3@example.org", "ja", ["Child3"])]
    assert "hall booked twice" not in str(event)  # the note stays with staff
    roster = call("class_roster", cls["id"], role="staff")
    assert [s["cancelled"] for s in roster["sessions"]] == [False, True, False]
    assert query(db, "SELECT cancel_note, cancelled_by FROM class_sessions"
                     " WHERE id = %s", (session["id"],))[0] == {
        "cancel_note": "hall booked twice", "cancelled_by": "staff:tester"}

    # Nothing to take attendance of on a cancelled session.
    clock.advance(days=8)
    with pytest.raises(errors.Conflict):
        call("record_attendance", cls["id"], session["id"], {"present": []}, role="staff")


def test_a_session_held_or_begun_cannot_be_cancelled(call, db, clock):
    cls = call("create_class", class_request(), role="staff")
    first, second = cls["sessions"][0], cls["sessions"][1]
    clock.advance(hours=2)  # 11:00 in Tokyo: the first session began at 10:00
    with pytest.raises(errors.Conflict, match="already begun"):
        call("cancel_session", cls["id"], first["id"], {"reason": "weather"}, role="staff")
    clock.advance(days=7)
    call("record_attendance", cls["id"], second["id"], {"present": []}, role="staff")
    with pytest.raises(errors.Conflict, match="was held"):
        call("cancel_session", cls["id"], second["id"], {"reason": "weather"}, role="staff")
    assert events(db, "class_session_cancelled") == []


@pytest.mark.parametrize("body", [{}, {"reason": "strike"}, {"reason": "other"},
                                  {"reason": "weather", "extra": 1}])
def test_a_bad_cancellation_is_invalid_input_and_changes_nothing(call, db, clock, body):
    cls = call("create_class", class_request(), role="staff")
    with pytest.raises(errors.InvalidInput):
        call("cancel_session", cls["id"], cls["sessions"][2]["id"], body, role="staff")
    assert events(db, "class_session_cancelled") == []


def test_an_unknown_session_or_class_is_not_found(call, clock):
    cls = call("create_class", class_request(), role="staff")
    other = call("create_class", class_request(), role="staff")
    with pytest.raises(errors.NotFound):
        call("cancel_session", cls["id"], other["sessions"][1]["id"], {"reason": "weather"},
             role="staff")
    with pytest.raises(errors.NotFound):
        call("update_class", "not-a-uuid", {"title": "x"}, role="staff")
