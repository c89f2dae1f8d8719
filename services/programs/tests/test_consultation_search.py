"""Staff search of consultations: every filter, newest first, keyset pages that neither repeat
nor skip a case when one is opened meanwhile, bad filters refused field by field, and never a
case note (nor the summary or e-mail: the list is for finding a case, not reading it)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from programs_testkit import consultation, expert
from servicekit import errors
from servicekit.testing import query

EPOCH = datetime(2026, 4, 1, 3, 0, tzinfo=UTC)  # 12:00 in Tokyo


def open_case(call, db, opened_at: datetime, **overrides) -> str:
    case_id = call("open_consultation", consultation(**overrides))["id"]
    query(db, "UPDATE consultations SET opened_at = %s WHERE id = %s RETURNING id",
          (opened_at, case_id))
    return case_id


def ids(page: dict) -> list[str]:
    return [case["id"] for case in page["consultations"]]


def search(call, role: str = "staff", **filters) -> dict:
    return call("search_consultations", filters, role=role)


def test_pages_run_newest_first_and_a_case_opened_meanwhile_moves_nothing(call, db):
    cases = [open_case(call, db, EPOCH + timedelta(hours=n)) for n in range(5)]
    # Two cases opened at the same instant are ordered by id, and neither is lost at a cut.
    twin = open_case(call, db, EPOCH + timedelta(hours=2))
    newest_first = sorted([(EPOCH + timedelta(hours=n), c) for n, c in enumerate(cases)]
                          + [(EPOCH + timedelta(hours=2), twin)], reverse=True)
    expected = [c for _, c in newest_first]

    first = search(call, limit=2)
    assert ids(first) == expected[:2] and first["next"]
    open_case(call, db, EPOCH + timedelta(days=1))  # newer than everything: on no later page
    second = search(call, limit=2, after=first["next"])
    third = search(call, limit=2, after=second["next"])
    assert ids(second) + ids(third) == expected[2:]
    assert third["next"] is None
    assert search(call)["next"] is None  # one page holds them all by default


def test_each_filter_narrows_the_list(call, db, experts):
    visa_ne = open_case(call, db, EPOCH, topic="residence_visa", language="ne", urgency="high")
    work_ja = open_case(call, db, EPOCH + timedelta(hours=1), topic="work", language="ja",
                        urgency="low")
    housing = open_case(call, db, EPOCH + timedelta(hours=2), topic="housing",
                        language="ne-NP", urgency="urgent")
    call("assign_consultation", visa_ne, {"expert_id": experts["visa_ne"]["id"]}, role="staff")

    assert ids(search(call, status="assigned")) == [visa_ne]
    assert ids(search(call, status="intake")) == [housing, work_ja]
    assert ids(search(call, topic="work")) == [work_ja]
    assert ids(search(call, urgency="urgent")) == [housing]
    assert ids(search(call, expert_id=experts["visa_ne"]["id"])) == [visa_ne]
    assert ids(search(call, language="ne")) == [housing, visa_ne]
    assert ids(search(call, language="ne-NP")) == [housing, visa_ne]
    assert ids(search(call, language="ne", urgency="high")) == [visa_ne]
    assert ids(search(call, status="resolved")) == []


def test_the_opened_dates_are_tokyo_days_inclusive(call, db):
    # 14:59 UTC on 1 April is 23:59 in Tokyo; 15:00 UTC is already 2 April there.
    late_first = open_case(call, db, datetime(2026, 4, 1, 14, 59, tzinfo=UTC))
    early_second = open_case(call, db, datetime(2026, 4, 1, 15, 0, tzinfo=UTC))
    third = open_case(call, db, datetime(2026, 4, 3, 14, 59, 59, tzinfo=UTC))

    assert ids(search(call, opened_to="2026-04-01")) == [late_first]
    assert ids(search(call, opened_from="2026-04-02")) == [third, early_second]
    assert ids(search(call, opened_from="2026-04-02", opened_to="2026-04-02")) == \
        [early_second]
    assert ids(search(call, opened_from="2026-04-01", opened_to="2026-04-03")) == \
        [third, early_second, late_first]


def test_the_widest_dates_of_the_calendar_are_no_error(call, db):
    case = open_case(call, db, EPOCH)
    assert ids(search(call, opened_from="2000-01-01", opened_to="2099-12-31")) == [case]


def test_a_result_says_enough_to_find_the_case_and_nothing_confidential(call, db, experts):
    case = open_case(call, db, EPOCH, language="ne")
    call("assign_consultation", case, {}, role="staff")
    call("add_case_note", case, {"body": "Confidential: the employer threatened him."},
         role="consultant")
    [found] = search(call, role="consultant")["consultations"]
    assert found == {
        "id": case, "status": "assigned", "topic": "residence_visa", "language": "ne",
        "urgency": "high", "resident_name": "Ram Thapa",
        "expert": {"id": experts["visa_ne"]["id"], "name": "Sharma Anil"},
        "opened_at": found["opened_at"], "updated_at": found["updated_at"], "ended_at": None,
    }
    assert datetime.fromisoformat(found["opened_at"]) == EPOCH
    assert "threatened" not in str(found) and "ram@example.org" not in str(found)


@pytest.mark.parametrize("filters, field", [
    ({"status": "open"}, "status"),
    ({"topic": "astrology"}, "topic"),
    ({"urgency": "whenever"}, "urgency"),
    ({"expert_id": "not-a-uuid"}, "expert_id"),
    ({"language": "???"}, "language"),
    ({"opened_from": "2026-13-01"}, "opened_from"),
    # the platform's calendar (api.fields), as at the gateway
    ({"opened_from": "0001-01-01"}, "opened_from"),
    ({"opened_to": "9999-12-31"}, "opened_to"),
    ({"opened_to": "20260401"}, "opened_to"),
    ({"opened_from": "2026-04-02", "opened_to": "2026-04-01"}, "opened_from"),
    ({"limit": 0}, "limit"),
    ({"limit": 101}, "limit"),
    ({"limit": "ten"}, "limit"),
    ({"after": "bm90IGEgY3Vyc29y"}, "after"),
    ({"after": "!!"}, "after"),
    ({"statsu": "intake"}, "statsu"),
])
def test_bad_filters_are_refused_with_field_errors(call, filters, field):
    with pytest.raises(errors.InvalidInput) as refused:
        search(call, **filters)
    assert field in refused.value.details


@pytest.mark.parametrize("role", ["admin", "staff", "consultant"])
def test_case_roles_may_search(call, db, role):
    case = open_case(call, db, EPOCH)
    assert ids(search(call, role=role)) == [case]


def test_the_public_may_not_search(call, db):
    open_case(call, db, EPOCH)
    with pytest.raises(errors.Forbidden):
        call("search_consultations", {})


@pytest.fixture
def experts(call) -> dict[str, dict]:
    return {"visa_ne": call("add_expert", expert("Sharma Anil", ["residence_visa", "work"],
                                                 ["ne", "ja"]), role="admin")}


def test_the_filters_are_read_as_the_gateway_forwards_them_as_text(call, db):
    cases = [open_case(call, db, EPOCH + timedelta(days=n)) for n in range(3)]
    page = search(call, limit="2", opened_from="2026-04-02", language="ne-NP")
    assert ids(page) == [cases[2], cases[1]]
