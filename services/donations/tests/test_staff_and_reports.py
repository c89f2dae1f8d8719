"""Staff payments, refunds through Stripe, receipts, reports and annual statements."""

import csv
import io
import uuid
from datetime import date

import pytest
from donations_testkit import STAFF, active_pledge, call, events, sdk
from servicekit import errors
from servicekit.db import connect
from servicekit.testing import query
from servicekit.tokyo import today_in_tokyo


def staff_payment(**overrides):
    request = {"source": "bank_transfer", "amount": 50000, "paid_on": date.today().isoformat(),
               "payer_name": "Sato Ichiro", "payer_email": "ichiro@example.com",
               "locale": "ja", "reference": "MUFG #8841"}
    request.update(overrides)
    return request


def test_staff_bank_transfer_enters_the_ledger_with_a_receipt_and_emits_payment_succeeded(
    donations, donations_config
):
    db = donations_config["DATABASE_URL"]
    payment = call(donations, "record_staff_payment", staff_payment(), context=STAFF)
    assert payment["receipt_number"] == f"R{date.today().year}-000001"
    assert (payment["source"], payment["amount"]) == ("bank_transfer", 50000)
    [paid] = events(db, "payment_succeeded")
    assert (paid["source"], paid["first_of_pledge"], paid["email"]) == (
        "bank_transfer", False, "ichiro@example.com")
    [row] = query(db, "SELECT recorded_by, reference FROM payments")
    assert row == {"recorded_by": "staff:aiko@jii.example", "reference": "MUFG #8841"}


def test_staff_payment_in_a_tier_is_the_tiers_amount_like_a_card_gift(
    donations, donations_config
):
    payment = call(donations, "record_staff_payment",
                   staff_payment(tier="class", amount=10000), context=STAFF)
    assert (payment["tier"], payment["amount"]) == ("class", 10000)
    # without a tier any amount is a free one, as large as a grant or as small as a fee
    call(donations, "record_staff_payment", staff_payment(source="membership_fee", amount=300,
                                                          reference="fee 2026/3"),
         context=STAFF)


def test_receipt_numbers_have_no_gaps_when_a_payment_is_refused_in_between(
    donations, donations_config
):
    call(donations, "record_staff_payment", staff_payment(), context=STAFF)
    with pytest.raises(errors.InvalidInput):
        call(donations, "record_staff_payment", staff_payment(amount=0), context=STAFF)
    call(donations, "record_staff_payment", staff_payment(source="grant", amount=10**6,
                                                          reference="grant 2026/7"),
         context=STAFF)
    numbers = [r["receipt_number"] for r in query(
        donations_config["DATABASE_URL"], "SELECT receipt_number FROM payments ORDER BY 1")]
    year = date.today().year
    assert numbers == [f"R{year}-000001", f"R{year}-000002"]


def test_the_millionth_receipt_of_a_year_keeps_all_its_digits(donations, donations_config):
    year = date.today().year
    with connect(donations_config["DATABASE_URL"]) as conn:
        conn.execute("INSERT INTO receipt_counters (year, last_number) VALUES (%s, 999999)",
                     (year,))
    payment = call(donations, "record_staff_payment", staff_payment(), context=STAFF)
    assert payment["receipt_number"] == f"R{year}-1000000"
    [paid] = events(donations_config["DATABASE_URL"], "payment_succeeded")
    assert paid["receipt_number"] == f"R{year}-1000000"


@pytest.mark.parametrize("context", [None, {"staff_subject": "x", "staff_role": "consultant"}])
def test_staff_operations_refuse_callers_without_the_staff_role(
    donations, donations_config, context
):
    with pytest.raises(errors.Forbidden):
        call(donations, "record_staff_payment", staff_payment(), context=context)
    with pytest.raises(errors.Forbidden):
        call(donations, "donation_report", {"from": "2026-01-01", "to": "2026-01-31"},
             context=context)
    assert query(donations_config["DATABASE_URL"], "SELECT count(*) AS n FROM payments"
                 )[0]["n"] == 0


@pytest.mark.parametrize("overrides, field", [
    ({"amount": -1}, "amount"), ({"amount": 0}, "amount"), ({"amount": 1.5}, "amount"),
    ({"amount": 10**12}, "amount"), ({"source": "card_one_time"}, "source"),
    ({"paid_on": "2999-01-01"}, "paid_on"), ({"paid_on": "yesterday"}, "paid_on"),
    ({"locale": "de"}, "locale"), ({"payer_email": "nope"}, "payer_email"),
    ({"reference": ""}, "reference"), ({"currency": "usd"}, "currency"),
    ({"tier": "class", "amount": 1}, "amount"), ({"tier": "connect", "amount": 50000}, "amount"),
    ({"tier": "gold", "amount": 10000}, "tier"),
])
def test_malformed_staff_payment_is_refused_and_changes_nothing(
    donations, donations_config, overrides, field
):
    with pytest.raises(errors.InvalidInput) as raised:
        call(donations, "record_staff_payment", staff_payment(**overrides), context=STAFF)
    assert field in raised.value.details
    assert query(donations_config["DATABASE_URL"], "SELECT count(*) AS n FROM outbox"
                 )[0]["n"] == 0


def test_partial_then_full_refund_through_stripe_updates_ledger_report_and_events(
    donations, donations_config, webhook_capture
):
    db = donations_config["DATABASE_URL"]
    active_pledge(donations, donations_config, webhook_capture, amount=3000)
    [payment] = query(db, "SELECT * FROM payments")
    pid = str(payment["id"])
    after = call(donations, "refund_payment", pid, {"amount": 1000, "reason": "asked"},
                 context=STAFF)
    assert after["refunded_amount"] == 1000
    after = call(donations, "refund_payment", pid, {}, context=STAFF)  # what is left
    assert after["refunded_amount"] == 3000
    with pytest.raises(errors.Conflict):
        call(donations, "refund_payment", pid, {"amount": 1}, context=STAFF)

    refunds = sdk(donations_config["STRIPE_API_BASE"]).v1.refunds.list(
        {"payment_intent": payment["stripe_payment_intent_id"]}).data
    assert sorted(r.amount for r in refunds) == [1000, 2000]
    refunded = events(db, "payment_refunded")
    assert [(e["amount"], e["refunded_total"], e["fully_refunded"]) for e in refunded] == [
        (1000, 1000, False), (2000, 3000, True)]
    today = today_in_tokyo().isoformat()  # staff ask for days as Tokyo has them
    report = call(donations, "donation_report", {"from": today, "to": today}, context=STAFF)
    assert report["total"] == {"count": 1, "gross": 3000, "refunded": 3000, "net": 0}


def test_a_refund_of_more_than_was_paid_is_refused(
    donations, donations_config, webhook_capture
):
    bank = call(donations, "record_staff_payment", staff_payment(), context=STAFF)
    with pytest.raises(errors.InvalidInput):
        call(donations, "refund_payment", bank["id"], {"amount": 50001}, context=STAFF)
    active_pledge(donations, donations_config, webhook_capture, amount=3000)
    [card] = query(donations_config["DATABASE_URL"],
                   "SELECT id FROM payments WHERE source = 'monthly'")
    with pytest.raises(errors.InvalidInput):
        call(donations, "refund_payment", str(card["id"]), {"amount": 3001}, context=STAFF)
    with pytest.raises(errors.NotFound):
        call(donations, "refund_payment", str(uuid.uuid4()), {}, context=STAFF)
    assert query(donations_config["DATABASE_URL"], "SELECT count(*) AS n FROM refunds"
                 )[0]["n"] == 0


# -- the report over a fixed data set, computed by hand ---------------------------------------

def _fixed_data(db):
    s1, s2, s3 = (str(uuid.uuid4()) for _ in range(3))
    p = {name: str(uuid.uuid4()) for name in ("p1", "p2", "p3", "p4", "p5")}
    with connect(db) as conn:
        for sid, name in ((s1, "One"), (s2, "Two"), (s3, "Three")):
            conn.execute("INSERT INTO supporters (id, name, email, locale) VALUES"
                         " (%s, %s, %s, 'en')", (sid, name, f"{name}@example.com"))
        pledges = [
            # id, supporter, amount, status, started, canceled, paused
            (p["p1"], s1, 3000, "active", "2025-12-20", None, None),
            (p["p2"], s3, 5000, "canceled", "2025-11-01", "2026-01-15", None),
            (p["p3"], s2, 10000, "active", "2026-02-01", None, None),
            (p["p4"], s3, 7000, "pending", None, None, None),
            (p["p5"], s3, 2000, "paused", "2025-10-01", None, "2025-12-01"),
        ]
        for row in pledges:
            conn.execute("INSERT INTO pledges (id, supporter_id, amount, status, started_at,"
                         " canceled_at, paused_at) VALUES (%s, %s, %s, %s, %s, %s, %s)", row)
        payments = [
            # source, amount, paid_at, tier, designation, refunded, pledge
            ("card_one_time", 10000, "2026-01-05", "class", "general", 0, None),
            ("card_one_time", 30000, "2026-02-10", "connect", "hanamaru_class", 5000, None),
            ("monthly", 3000, "2026-01-20", None, "general", 0, p["p1"]),
            ("monthly", 3000, "2026-02-20", None, "general", 0, p["p1"]),
            ("bank_transfer", 50000, "2026-01-31", None, "general", 0, None),
            ("grant", 200000, "2026-02-01", None, "family_friend", 0, None),
            ("membership_fee", 2000, "2026-02-15", None, "general", 0, None),
            # 00:30 on 1 March in Tokyo, still 28 February in UTC
            ("card_one_time", 99999, "2026-02-28 15:30", None, "general", 0, None),  # after
            # 23:59 on 31 December in Tokyo: last year's, whatever the UTC date says
            ("bank_transfer", 7777, "2025-12-31 14:59", None, "general", 0, None),  # before
        ]
        for n, (source, amount, paid, tier, designation, refunded, pledge) in enumerate(
                payments, 1):
            conn.execute(
                "INSERT INTO payments (id, supporter_id, pledge_id, source, amount,"
                " receipt_number, paid_at, tier, designation, refunded_amount)"
                " VALUES (%s, %s, %s, %s, %s, %s, (%s::timestamp AT TIME ZONE 'UTC'), %s, %s, %s)",
                (str(uuid.uuid4()), s1, pledge, source, amount, f"R2026-{n:06d}", paid, tier,
                 designation, refunded))


def b(count, gross, refunded=0):
    return {"count": count, "gross": gross, "refunded": refunded, "net": gross - refunded}


def test_report_figures_equal_the_hand_computed_answer_over_every_source(
    donations, donations_config
):
    _fixed_data(donations_config["DATABASE_URL"])
    report = call(donations, "donation_report", {"from": "2026-01-01", "to": "2026-02-28"},
                  context=STAFF)
    assert report["total"] == b(7, 298000, 5000)
    assert report["by_month"] == [{"month": "2026-01", **b(3, 63000)},
                                  {"month": "2026-02", **b(4, 235000, 5000)}]
    assert report["by_source"] == {
        "card_one_time": b(2, 40000, 5000), "monthly": b(2, 6000),
        "bank_transfer": b(1, 50000), "grant": b(1, 200000), "membership_fee": b(1, 2000)}
    assert report["by_tier"] == {"class": b(1, 10000), "connect": b(1, 30000, 5000),
                                 "none": b(5, 258000)}
    assert report["by_designation"] == {"family_friend": b(1, 200000),
                                        "general": b(5, 68000),
                                        "hanamaru_class": b(1, 30000, 5000)}
    # at the end: p1 (3,000) and p3 (10,000), two partners; p5 is paused, p2 canceled
    assert (report["monthly_recurring_total"], report["active_partners"]) == (13000, 2)
    # at the start p1 and p2 were active, p3 started within the period (p5 was paused
    # throughout); p2 was canceled within it: 1 of 3
    assert report["churn"] == {"canceled": 1, "active_at_start": 2, "started": 1, "at_risk": 3,
                               "rate": 0.3333}
    assert report["income_mix"] == {"membership_fees": 2000, "grants_and_donations": 291000,
                                    "membership_fee_share": 0.0068}

    exported = call(donations, "donation_report",
                    {"from": "2026-01-01", "to": "2026-02-28", "format": "csv"}, context=STAFF)
    rows = list(csv.DictReader(io.StringIO(exported["csv"])))
    assert len(rows) == 7 and sum(int(r["net"]) for r in rows) == 293000
    assert rows[0]["receipt_number"] == "R2026-000001" and rows[0]["paid_on"] == "2026-01-05"


def test_annual_statement_lists_a_supporters_year_net_of_refunds_in_json_and_csv(
    donations, donations_config
):
    _fixed_data(donations_config["DATABASE_URL"])
    [supporter] = query(donations_config["DATABASE_URL"],
                        "SELECT id FROM supporters WHERE name = 'One'")
    statement = call(donations, "annual_statement", str(supporter["id"]), 2026, {},
                     context=STAFF)
    assert len(statement["payments"]) == 8 and statement["total"] == 293000 + 99999
    exported = call(donations, "annual_statement", str(supporter["id"]), 2026,
                    {"format": "csv"}, context=STAFF)
    assert exported["csv"].strip().splitlines()[-1] == "total,,,,,392999"


@pytest.mark.parametrize("query_, field", [
    ({"from": "2026-02-01", "to": "2026-01-01"}, "from"),
    ({"from": "soon", "to": "2026-01-01"}, "from"),
    ({"to": "2026-01-01"}, "from"),
    ({"from": "2026-01-01", "to": "2026-01-31", "format": "xlsx"}, "format"),
])
def test_malformed_report_query_is_refused(donations, query_, field):
    with pytest.raises(errors.InvalidInput) as raised:
        call(donations, "donation_report", query_, context=STAFF)
    assert field in raised.value.details


@pytest.mark.parametrize("text", ["+cmd|' /C calc'!A0", "=HYPERLINK(\"x\")", "-2+3", "@SUM(1)",
                                  "\tMUFG", "\rMUFG"])
def test_csv_export_neutralises_formulas_in_every_free_text_column(donations, text):
    today = today_in_tokyo().isoformat()
    call(donations, "record_staff_payment",
         staff_payment(reference=text, payer_name=f"{text} Sato", paid_on=today), context=STAFF)
    exported = call(donations, "donation_report",
                    {"from": today, "to": today, "format": "csv"}, context=STAFF)
    [row] = list(csv.DictReader(io.StringIO(exported["csv"])))
    assert row["reference"] == "'" + text
    payer = f"{text} Sato".strip()  # names are stored trimmed
    assert row["payer"] == ("'" + payer if text.strip() == text else payer)


def _pledge(db, started: str | None, canceled: str | None = None, paused: str | None = None):
    with connect(db) as conn:
        supporter = str(uuid.uuid4())
        conn.execute("INSERT INTO supporters (id, email, name, locale) VALUES (%s, %s, 'S', 'ja')",
                     (supporter, f"{supporter}@example.com"))
        status = "canceled" if canceled else "paused" if paused else "active"
        conn.execute("INSERT INTO pledges (id, supporter_id, amount, status, started_at,"
                     " canceled_at, paused_at) VALUES (%s, %s, 3000, %s, %s, %s, %s)",
                     (str(uuid.uuid4()), supporter, status, started, canceled, paused))


def test_churn_counts_pledges_started_and_canceled_within_the_period(
    donations, donations_config
):
    db = donations_config["DATABASE_URL"]
    for day in ("2026-03-02", "2026-03-05", "2026-03-09"):
        _pledge(db, f"{day}T00:00:00Z", canceled=f"{day}T12:00:00Z")
    report = call(donations, "donation_report", {"from": "2026-03-01", "to": "2026-03-31"},
                  context=STAFF)
    assert report["churn"] == {"canceled": 3, "active_at_start": 0, "started": 3, "at_risk": 3,
                               "rate": 1.0}


def test_churn_of_a_paused_pledge_canceled_in_the_period_stays_within_one(
    donations, donations_config
):
    _pledge(donations_config["DATABASE_URL"], "2025-10-01T00:00:00Z",
            canceled="2026-03-10T00:00:00Z", paused="2025-12-01T00:00:00Z")
    report = call(donations, "donation_report", {"from": "2026-03-01", "to": "2026-03-31"},
                  context=STAFF)
    assert (report["churn"]["rate"], report["churn"]["at_risk"]) == (1.0, 1)


def test_churn_without_any_pledge_in_the_period_has_no_rate_and_says_why(donations):
    report = call(donations, "donation_report", {"from": "2026-03-01", "to": "2026-03-31"},
                  context=STAFF)
    assert report["churn"]["rate"] is None
    assert "no pledge" in report["churn"]["reason"]
