"""Consultations: intake, assignment by specialty and language, the case's states, follow-ups,
and case notes that only consultants and admins can read, enforced by the service itself."""

from __future__ import annotations

import pytest
from programs_testkit import consultation, expert
from servicekit import errors
from servicekit.testing import query


def outbox(db: str) -> list[tuple[str, dict]]:
    return [(row["routing_key"], row["data"]) for row in query(
        db, "SELECT routing_key, envelope->'data' AS data FROM outbox"
            " WHERE routing_key LIKE 'consultation_%%' ORDER BY id")]


@pytest.fixture
def experts(call) -> dict[str, dict]:
    return {
        "visa_en": call("add_expert", expert("Kobayashi Aya", ["residence_visa"], ["ja", "en"]),
                        role="admin"),
        "visa_ne": call("add_expert", expert("Sharma Anil", ["residence_visa", "work"],
                                             ["ne", "ja"]), role="admin"),
        "housing_ne": call("add_expert", expert("Tamang Dawa", ["housing"], ["ne"]),
                           role="admin"),
    }


def test_intake_opens_a_case_and_tells_who_asked(call, db):
    opened = call("open_consultation", consultation(language="ne-NP"))
    assert opened["status"] == "intake"
    [(kind, data)] = outbox(db)
    assert kind == "consultation_opened"
    assert data["language"] == "ne" and data["resident"]["email"] == "ram@example.org"


def test_assignment_picks_an_expert_in_the_topic_who_speaks_the_language(call, db, experts):
    case = call("open_consultation", consultation(topic="residence_visa", language="ne"))
    assigned = call("assign_consultation", case["id"], {}, role="staff")
    assert assigned["status"] == "assigned"
    assert assigned["expert"]["id"] == experts["visa_ne"]["id"]
    kind, data = outbox(db)[-1]
    assert kind == "consultation_assigned"
    assert data["expert"]["email"] == experts["visa_ne"]["email"]


def test_assignment_spreads_cases_over_experts_with_the_fewest_open(call, experts):
    first = call("open_consultation", consultation(topic="residence_visa", language="ja"))
    second = call("open_consultation", consultation(topic="residence_visa", language="ja"))
    one = call("assign_consultation", first["id"], {}, role="staff")["expert"]["id"]
    two = call("assign_consultation", second["id"], {}, role="staff")["expert"]["id"]
    assert {one, two} == {experts["visa_en"]["id"], experts["visa_ne"]["id"]}


def test_no_expert_for_the_topic_and_language_is_a_conflict_and_the_case_waits(call, experts):
    case = call("open_consultation", consultation(topic="medical", language="ne"))
    with pytest.raises(errors.Conflict):
        call("assign_consultation", case["id"], {}, role="staff")
    assert call("consultation", case["id"], role="staff")["status"] == "intake"


def test_staff_cannot_choose_an_expert_who_does_not_speak_the_language(call, experts):
    case = call("open_consultation", consultation(topic="residence_visa", language="ne"))
    with pytest.raises(errors.Conflict, match="speak"):
        call("assign_consultation", case["id"], {"expert_id": experts["visa_en"]["id"]},
             role="staff")


def test_a_case_moves_through_its_states_and_refuses_skipping_ahead(call, db, experts):
    case = call("open_consultation", consultation())
    with pytest.raises(errors.Conflict):
        call("change_consultation_status", case["id"], {"status": "resolved"}, role="staff")
    assert call("consultation", case["id"], role="staff")["next_statuses"] == ["closed"]
    assigned = call("assign_consultation", case["id"], {}, role="staff")
    assert assigned["next_statuses"] == ["closed", "in_progress"]
    started = call("change_consultation_status", case["id"], {"status": "in_progress"},
                   role="consultant")
    assert started["next_statuses"] == ["closed", "referred", "resolved"]
    done = call("change_consultation_status", case["id"],
                {"status": "resolved", "note": "visa renewed"}, role="consultant")
    assert done["status"] == "resolved" and done["ended_at"] and done["next_statuses"] == []
    assert [h["to_status"] for h in done["history"]] == \
        ["intake", "assigned", "in_progress", "resolved"]
    with pytest.raises(errors.Conflict):
        call("change_consultation_status", case["id"], {"status": "in_progress"}, role="staff")
    assert [kind for kind, _ in outbox(db)] == [
        "consultation_opened", "consultation_assigned", "consultation_started",
        "consultation_resolved"]
    assert outbox(db)[-1][1]["outcome"] == "resolved"


def test_follow_ups_are_listed_when_due_and_until_done(call, experts):
    case = call("open_consultation", consultation())
    early = call("add_follow_up", case["id"], {"due_on": "2026-01-10", "what": "call back"},
                 role="staff")
    call("add_follow_up", case["id"], {"due_on": "2026-03-01", "what": "check the answer"},
         role="consultant")
    due = call("due_follow_ups", {"until": "2026-02-01"}, role="staff")["follow_ups"]
    assert [f["what"] for f in due] == ["call back"]
    call("complete_follow_up", case["id"], early["id"], role="staff")
    assert call("due_follow_ups", {"until": "2026-02-01"}, role="staff") == {"follow_ups": []}
    assert [f["done"] for f in call("consultation", case["id"], role="staff")["follow_ups"]] \
        == [True, False]


@pytest.mark.parametrize("role", ["consultant", "admin"])
def test_consultants_and_admins_write_and_read_case_notes(call, role):
    case = call("open_consultation", consultation())
    call("add_case_note", case["id"], {"body": "Employer will send the papers."}, role=role)
    [note] = call("case_notes", case["id"], role=role)["notes"]
    assert note["body"] == "Employer will send the papers."
    assert note["author"].startswith(f"{role}:")


@pytest.mark.parametrize("role", [None, "staff"])
def test_the_service_refuses_case_notes_to_anyone_else(call, db, role):
    case = call("open_consultation", consultation())
    call("add_case_note", case["id"], {"body": "confidential"}, role="consultant")
    with pytest.raises(errors.Forbidden):
        call("case_notes", case["id"], role=role)
    with pytest.raises(errors.Forbidden):
        call("add_case_note", case["id"], {"body": "x"}, role=role)
    assert query(db, "SELECT count(*) AS n FROM case_notes")[0]["n"] == 1
    # The case view staff may read never carries the notes.
    if role == "staff":
        assert "confidential" not in str(call("consultation", case["id"], role=role))


@pytest.mark.parametrize("change, field", [
    ({"topic": "astrology"}, "topic"),
    ({"urgency": "yesterday"}, "urgency"),
    ({"language": "??"}, "language"),
    ({"locale": "de"}, "locale"),
    ({"summary": "   "}, "summary"),
    ({"email": "nope"}, "email"),
])
def test_invalid_intake_is_refused_with_field_errors_and_opens_nothing(call, db, change, field):
    with pytest.raises(errors.InvalidInput) as refused:
        call("open_consultation", consultation(**change))
    assert field in refused.value.details
    assert query(db, "SELECT count(*) AS n FROM consultations")[0]["n"] == 0
    assert outbox(db) == []


def test_only_admins_add_experts(call):
    with pytest.raises(errors.Forbidden):
        call("add_expert", expert("X Y", ["work"], ["ja"]), role="staff")
