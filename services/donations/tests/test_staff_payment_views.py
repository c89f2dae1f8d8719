"""Staff reading the ledger: payments filtered and paged, one supporter with pledges and
payments, one payment; only for the staff roles."""

import uuid
from datetime import date, timedelta

import pytest
from donations_testkit import STAFF, active_pledge, call
from servicekit import errors


def record(donations, **overrides) -> dict:
    request = {"source": "bank_transfer", "amount": 50000, "paid_on": date.today().isoformat(),
               "payer_name": "Sato Ichiro", "payer_email": "ichiro@example.com",
               "locale": "ja", "reference": "MUFG #8841", **overrides}
    return call(donations, "record_staff_payment", request, context=STAFF)


def test_payments_are_listed_newest_first_filtered_and_a_page_at_a_time(donations):
    today = date.today()
    old = record(donations, paid_on=(today - timedelta(days=40)).isoformat(), amount=1000)
    grant = record(donations, source="grant", amount=300000, reference="grant 2026/7",
                   payer_email="foundation@example.org", payer_name="Foundation")
    fee = record(donations, source="membership_fee", amount=3000, reference="fee")

    listed = call(donations, "list_payments", {}, context=STAFF)
    assert listed["total"] == 3 and (listed["limit"], listed["offset"]) == (50, 0)
    assert [p["id"] for p in listed["payments"]][-1] == old["id"]  # the oldest last
    assert {p["id"] for p in listed["payments"][:2]} == {grant["id"], fee["id"]}

    only = call(donations, "list_payments", {"source": "grant"}, context=STAFF)
    assert [p["receipt_number"] for p in only["payments"]] == [grant["receipt_number"]]
    recent = call(donations, "list_payments",
                  {"from": (today - timedelta(days=7)).isoformat()}, context=STAFF)
    assert {p["id"] for p in recent["payments"]} == {grant["id"], fee["id"]}
    mine = call(donations, "list_payments", {"supporter": old["supporter_id"]},
                context=STAFF)
    assert {p["id"] for p in mine["payments"]} == {old["id"], fee["id"]}  # same e-mail

    first = call(donations, "list_payments", {"limit": 2}, context=STAFF)
    second = call(donations, "list_payments", {"limit": 2, "offset": 2}, context=STAFF)
    assert (first["total"], len(first["payments"]), len(second["payments"])) == (3, 2, 1)
    assert second["payments"][0]["id"] == old["id"]
    assert second["payments"][0]["voided"] is False


@pytest.mark.parametrize("bad", [{"source": "cash"}, {"limit": 0}, {"limit": 201},
                                 {"offset": -1}, {"from": "2026-05-02", "to": "2026-05-01"},
                                 {"supporter": "nope"}, {"colour": "red"},
                                 # the filter's name is the HTTP one
                                 {"supporter_id": "00000000-0000-4000-8000-000000000000"}])
def test_a_payments_query_it_cannot_take_is_invalid_input(donations, bad):
    with pytest.raises(errors.InvalidInput):
        call(donations, "list_payments", bad, context=STAFF)


def test_a_supporter_is_shown_with_pledges_and_payments(donations, donations_config,
                                                         webhook_capture):
    pledge = active_pledge(donations, donations_config, webhook_capture,
                           email="hanako@example.org")
    pledge_id, supporter_id = str(pledge["id"]), str(pledge["supporter_id"])
    transfer = record(donations, payer_email="hanako@example.org", payer_name="Yamada Hanako")

    shown = call(donations, "supporter_detail", supporter_id, context=STAFF)
    assert shown["email"] == "hanako@example.org"
    assert [(p["id"], p["status"]) for p in shown["pledges"]] == [(pledge_id, "active")]
    assert transfer["id"] in [p["id"] for p in shown["payments"]]
    assert call(donations, "staff_payment", transfer["id"], context=STAFF)[
        "supporter_id"] == supporter_id

    with pytest.raises(errors.NotFound):
        call(donations, "supporter_detail", str(uuid.uuid4()), context=STAFF)
    with pytest.raises(errors.NotFound):
        call(donations, "staff_payment", "not-a-uuid", context=STAFF)


@pytest.mark.parametrize("context", [None, {"staff_subject": "x", "staff_role": "consultant"}])
def test_only_the_staff_roles_read_payments_and_supporters(donations, context):
    for method, argument in (("list_payments", {}), ("supporter_detail", str(uuid.uuid4())),
                             ("staff_payment", str(uuid.uuid4()))):
        with pytest.raises(errors.Forbidden):
            call(donations, method, argument, context=context)
