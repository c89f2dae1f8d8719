"""Hanamaru classes: seats under concurrent sign-ups, a FIFO waitlist, withdrawals that
promote, attendance, and refusals that leave nothing behind."""

from __future__ import annotations

import eventlet
import pytest
from programs_testkit import child, class_request
from servicekit import errors
from servicekit.testing import query


def events(db: str, event_type: str) -> list[dict]:
    return [row["data"] for row in query(
        db, "SELECT envelope->'data' AS data FROM outbox WHERE routing_key = %s ORDER BY id",
        (event_type,))]


def counts(db: str) -> dict:
    return query(db, """SELECT (SELECT count(*) FROM enrollments) AS enrollments,
                               (SELECT count(*) FROM outbox
                                 WHERE routing_key <> 'impact_updated') AS events""")[0]


def test_fifty_concurrent_sign_ups_for_ten_seats_confirm_ten_and_waitlist_forty_in_order(
    call, db
):
    cls = call("create_class", class_request(capacity=10), role="staff")

    def sign_up(n: int) -> dict:
        return call("enroll_child", cls["id"], child(n))

    results = list(eventlet.GreenPool(50).imap(sign_up, range(50)))

    confirmed = [r for r in results if r["status"] == "confirmed"]
    waitlisted = [r for r in results if r["status"] == "waitlisted"]
    assert (len(confirmed), len(waitlisted)) == (10, 40)
    # Each waiting child was told a distinct place, 1 to 40 ...
    assert sorted(r["position"] for r in waitlisted) == list(range(1, 41))
    # ... and the places are the order in which the sign-ups were decided: every confirmed
    # child arrived before every waiting one, and the waitlist is sorted by arrival.
    rows = query(db, "SELECT id, status FROM enrollments ORDER BY arrival")
    assert [row["status"] for row in rows] == ["confirmed"] * 10 + ["waitlisted"] * 40
    by_id = {r["id"]: r for r in results}
    assert [by_id[str(row["id"])].get("position") for row in rows[10:]] == list(range(1, 41))
    assert len(events(db, "class_enrollment_confirmed")) == 10
    assert [e["position"] for e in events(db, "class_enrollment_waitlisted")] == \
        list(range(1, 41))

    # A withdrawal gives the seat to the first child waiting, and says so.
    first_waiting = str(rows[10]["id"])
    withdrawn = call("withdraw_enrollment", cls["id"], confirmed[0]["id"],
                     {"reason": "family moved"}, role="staff")
    assert withdrawn["promoted"] == first_waiting
    [promoted] = events(db, "class_enrollment_promoted")
    assert promoted["enrollment_id"] == first_waiting
    assert promoted["guardian"]["email"] and promoted["class"]["title"]
    roster = call("class_roster", cls["id"], role="staff")
    assert roster["confirmed"] == 10 and roster["waitlist_length"] == 39
    assert [e["position"] for e in roster["enrollments"] if e["status"] == "waitlisted"] == \
        list(range(1, 40))


def test_waitlist_is_served_first_come_first_served(call, db):
    cls = call("create_class", class_request(capacity=1), role="staff")
    first = call("enroll_child", cls["id"], child(1))
    second = call("enroll_child", cls["id"], child(2))
    third = call("enroll_child", cls["id"], child(3))
    assert [first["status"], second["status"], third["status"]] == \
        ["confirmed", "waitlisted", "waitlisted"]
    assert (second["position"], third["position"]) == (1, 2)

    call("withdraw_enrollment", cls["id"], first["id"], {"reason": "ill"}, role="admin")
    call("withdraw_enrollment", cls["id"], second["id"], {"reason": "moved"}, role="admin")

    roster = call("class_roster", cls["id"], role="staff")
    statuses = {e["id"]: (e["status"], e["promoted"]) for e in roster["enrollments"]}
    assert statuses[third["id"]] == ("confirmed", True)
    assert [e["enrollment_id"] for e in events(db, "class_enrollment_promoted")] == \
        [second["id"], third["id"]]


def test_withdrawing_a_waiting_child_promotes_nobody(call, db):
    cls = call("create_class", class_request(capacity=1), role="staff")
    call("enroll_child", cls["id"], child(1))
    waiting = call("enroll_child", cls["id"], child(2))
    result = call("withdraw_enrollment", cls["id"], waiting["id"], {"reason": "x"}, role="staff")
    assert result["promoted"] is None
    assert events(db, "class_enrollment_promoted") == []
    [withdrawn] = events(db, "class_enrollment_withdrawn")
    assert withdrawn["previous_status"] == "waitlisted"


def test_the_same_child_is_not_signed_up_twice_whatever_the_spelling(call, db):
    cls = call("create_class", class_request(capacity=5), role="staff")
    call("enroll_child", cls["id"], child(1))
    before = counts(db)
    with pytest.raises(errors.Conflict):
        call("enroll_child", cls["id"], child(1, child_first_name="  CHILD1 ",
                                               guardian_email="Guardian1@Example.org"))
    assert counts(db) == before


@pytest.mark.parametrize("change, field", [
    ({"participation_consent": False}, "participation_consent"),
    ({"participation_consent": None}, "participation_consent"),
    ({"photo_consent": "yes"}, "photo_consent"),
    ({"child_age": None, "child_grade": None}, "child_age"),
    ({"guardian_locale": "fr"}, "guardian_locale"),
    ({"guardian_email": "not-an-address"}, "guardian_email"),
    ({"languages": []}, "languages"),
    ({"favourite_colour": "blue"}, "favourite_colour"),
])
def test_an_invalid_sign_up_is_refused_with_field_errors_and_changes_nothing(
    call, db, change, field
):
    cls = call("create_class", class_request(capacity=5), role="staff")
    before = counts(db)
    with pytest.raises(errors.InvalidInput) as refused:
        call("enroll_child", cls["id"], child(1, **change))
    assert field in refused.value.details
    assert counts(db) == before


def test_a_missing_consent_field_is_refused(call, db):
    cls = call("create_class", class_request(capacity=5), role="staff")
    body = child(1)
    del body["participation_consent"]
    with pytest.raises(errors.InvalidInput) as refused:
        call("enroll_child", cls["id"], body)
    assert "participation_consent" in refused.value.details


@pytest.mark.parametrize("class_id", ["3f2e1d0c-9b8a-4c7d-8e6f-5a4b3c2d1e0f", "not-a-uuid"])
def test_signing_up_for_an_unknown_class_is_not_found_and_changes_nothing(call, db, class_id):
    with pytest.raises(errors.NotFound):
        call("enroll_child", class_id, child(1))
    assert counts(db) == {"enrollments": 0, "events": 0}


def test_a_full_waitlist_refuses_more_sign_ups(call, db):
    cls = call("create_class", class_request(capacity=1, waitlist_limit=1), role="staff")
    call("enroll_child", cls["id"], child(1))
    call("enroll_child", cls["id"], child(2))
    before = counts(db)
    with pytest.raises(errors.Conflict, match="waitlist"):
        call("enroll_child", cls["id"], child(3))
    assert counts(db) == before
    [listed] = call("list_classes")["classes"]
    assert listed["waitlist_open"] is False and listed["seats_left"] == 0


def test_the_public_list_shows_seats_but_not_tutors(call):
    cls = call("create_class", class_request(capacity=3, sessions=2), role="staff")
    call("enroll_child", cls["id"], child(1))
    [listed] = call("list_classes")["classes"]
    assert listed["seats_left"] == 2 and listed["waitlist_length"] == 0
    assert len(listed["sessions"]) == 2 and "tutors" not in listed


@pytest.mark.parametrize("role", [None, "consultant"])
def test_class_management_needs_the_staff_or_admin_role(call, role):
    with pytest.raises(errors.Forbidden):
        call("create_class", class_request(), role=role)


def test_attendance_marks_the_session_held_and_can_be_corrected(call, db):
    cls = call("create_class", class_request(capacity=3, sessions=2), role="staff")
    kids = [call("enroll_child", cls["id"], child(n)) for n in range(4)]
    session = cls["sessions"][0]["id"]

    first = call("record_attendance", cls["id"], session,
                 {"present": [kids[0]["id"], kids[1]["id"]]}, role="staff")
    assert (first["attended"], first["enrolled"], first["revision"]) == (2, 3, 1)
    corrected = call("record_attendance", cls["id"], session,
                     {"present": [k["id"] for k in kids[:3]]}, role="staff")
    assert (corrected["attended"], corrected["revision"]) == (3, 2)
    assert corrected["held_at"] == first["held_at"]
    held = events(db, "class_session_held")
    assert [(e["attended"], e["revision"]) for e in held] == [(2, 1), (3, 2)]
    assert query(db, "SELECT count(*) FILTER (WHERE present) AS present, count(*) AS n"
                     " FROM attendance")[0] == {"present": 3, "n": 3}

    # A child without a seat (the one waiting) cannot be marked present.
    with pytest.raises(errors.InvalidInput):
        call("record_attendance", cls["id"], session, {"present": [kids[3]["id"]]},
             role="staff")
    assert len(events(db, "class_session_held")) == 2


def test_attendance_for_a_session_on_a_later_day_is_refused_naming_the_session(
        call, db, clock):
    cls = call("create_class", class_request(capacity=3, sessions=2), role="staff")
    kid = call("enroll_child", cls["id"], child(1))
    later = cls["sessions"][1]["id"]  # a week ahead
    with pytest.raises(errors.InvalidInput) as caught:
        call("record_attendance", cls["id"], later, {"present": [kid["id"]]}, role="staff")
    assert list(caught.value.details) == ["session"]
    assert events(db, "class_session_held") == []
    assert query(db, "SELECT count(*) AS n FROM attendance")[0]["n"] == 0
    assert query(db, "SELECT count(*) AS n FROM class_sessions WHERE held_at IS NOT NULL"
                 )[0]["n"] == 0


def test_the_register_can_be_taken_on_the_sessions_day_before_it_starts(call, db, clock):
    cls = call("create_class", class_request(capacity=3, sessions=2), role="staff")
    kid = call("enroll_child", cls["id"], child(1))
    today = cls["sessions"][0]["id"]  # 10:00 in Tokyo; the clock reads 09:00
    held = call("record_attendance", cls["id"], today, {"present": [kid["id"]]}, role="staff")
    assert held["attended"] == 1 and held["held_at"] == "2026-05-09T00:00:00+00:00"
