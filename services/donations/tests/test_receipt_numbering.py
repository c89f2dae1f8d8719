"""Receipt numbers are given after the payment's transaction commits (numbering.py): one step
at a time per year numbers every committed unnumbered payment and writes its thank-you event.
Unique and gapless per year whatever the concurrency, and nothing lost to a crash between the
payment and its number, or in the middle of numbering."""

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import eventlet
import psycopg
import pytest
import yaml
from contracts import validate_data
from donations import ledger, numbering
from donations_testkit import (
    ADMIN,
    STAFF,
    WEBHOOK_SECRET,
    call,
    deliver,
    events,
    signed,
    stripe_event,
)
from nameko.standalone.rpc import ServiceRpcProxy
from servicekit import errors
from servicekit.db import connect
from servicekit.events.outbox import OutboxWriter
from servicekit.testing import query, wait_until
from servicekit.tokyo import today_in_tokyo

ORG = {"RECEIPT_ORG_NAME": "特定非営利活動法人 Japan Intercultural Intelligence",
       "RECEIPT_ORG_ADDRESS": "東京都渋谷区神南一丁目1番1号",
       "RECEIPT_CERTIFICATION_NUMBER": "生都管第1234号",
       "RECEIPT_CERTIFICATION_DATE": "2020-04-01"}
ADDRESS = {"postal_code": "163-8001", "prefecture": "東京都", "city": "新宿区",
           "line1": "西新宿二丁目8番1号", "line2": None}


@pytest.fixture
def donations_config(donations_config):
    # The timer stays out of the way unless a test wants it: these tests make the state a
    # crash leaves, and see what each path does with it.
    return {**donations_config, **ORG, "RECEIPT_NUMBERING_SWEEP_SECONDS": 3600}


def year_now() -> int:
    return today_in_tokyo().year


def number(year: int, n: int) -> str:
    return f"R{year}-{n:06d}"


def add_supporter(conn, email: str = "ram@example.com") -> ledger.Supporter:
    return ledger.add_supporter(conn, "राम थापा", email, "ne",
                                ledger.DonorDetails("person", ADDRESS))


def enter(conn, supporter: ledger.Supporter, *, source: str = "bank_transfer",
          amount: int = 50000, paid_at: datetime | None = None, intent: str | None = None,
          pledge_id: str | None = None, request: str | None = None) -> str:
    """What a payment's own transaction writes (the caller commits), without the step after."""
    return ledger.enter_payment(conn, OutboxWriter("donations", request), ledger.NewPayment(
        supporter=supporter, source=source, amount=amount,
        paid_at=paid_at or datetime.now(UTC), stripe_payment_intent_id=intent,
        pledge_id=pledge_id, reference=f"ref {uuid.uuid4().hex[:8]}"))


def left_unnumbered(db: str, **payment) -> tuple[str, str]:
    """A payment committed by a process that died before its numbering step: (supporter id,
    payment id)."""
    with connect(db) as conn:
        supporter = add_supporter(conn, payment.pop("email", "ram@example.com"))
        payment_id = enter(conn, supporter, **payment)
    assert receipt_of(db, payment_id) is None
    return supporter.id, payment_id


def receipt_of(db: str, payment_id: str) -> str | None:
    return query(db, "SELECT receipt_number FROM payments WHERE id = %s",
                 (payment_id,))[0]["receipt_number"]


def thanks(db: str) -> dict[str, dict]:
    """Every payment_succeeded event, by payment id (a second one for a payment fails)."""
    found: dict[str, dict] = {}
    for event in events(db, "payment_succeeded"):
        assert event["payment_id"] not in found, "one thank-you per payment"
        found[event["payment_id"]] = event
    return found


def assert_gapless(db: str, year: int, count: int) -> None:
    rows = query(db, "SELECT receipt_number FROM payments WHERE receipt_year = %s", (year,))
    assert sorted(r["receipt_number"] for r in rows) == [number(year, n)
                                                         for n in range(1, count + 1)]
    [counter] = query(db, "SELECT last_number FROM receipt_counters WHERE year = %s", (year,))
    assert counter["last_number"] == count
    assert {e["receipt_number"] for e in thanks(db).values()} == {
        number(year, n) for n in range(1, count + 1)}


def active_pledges(db: str, count: int) -> list[str]:
    """Active pledges with their Stripe subscriptions (sub_<n>), as after their first month."""
    with connect(db) as conn:
        for n in range(count):
            supporter = add_supporter(conn, f"p{n}@example.com")
            conn.execute("INSERT INTO pledges (id, supporter_id, amount, status, started_at,"
                         " stripe_subscription_id) VALUES (%s, %s, 3000, 'active', now(), %s)",
                         (str(uuid.uuid4()), supporter.id, f"sub_{n}"))
    return [f"sub_{n}" for n in range(count)]


def invoice_paid(subscription: str) -> tuple[str, str]:
    now = int(time.time())
    return signed(stripe_event("invoice.payment_succeeded", {
        "id": f"in_{uuid.uuid4().hex[:12]}", "object": "invoice", "subscription": subscription,
        "amount_paid": 3000, "currency": "jpy", "status": "paid", "created": now,
        "payment_intent": f"pi_{uuid.uuid4().hex[:12]}"}), WEBHOOK_SECRET)


def other_backends_waiting(conn, statement: str = "pg_advisory_xact_lock") -> int:
    """Sessions of this database waiting for a lock in `statement` (a numbering step held up
    at its year's lock, or further on)."""
    # `conn` may be in a transaction (holding a lock), and PostgreSQL keeps the first view of
    # pg_stat_activity a transaction takes: without this, a poll would never see a newcomer.
    conn.execute("SELECT pg_stat_clear_snapshot()")
    return conn.execute(
        "SELECT count(*) AS n FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
        " WHERE NOT l.granted AND a.pid <> pg_backend_pid()"
        " AND a.datname = current_database() AND a.query LIKE %s",
        (f"%{statement}%",)).fetchone()["n"]


# -- the payment commits at once; the number and the thank-you follow -------------------------


def test_a_webhook_is_answered_while_another_step_holds_the_year_and_the_thank_you_waits(
    donations, donations_config
):
    db = donations_config["DATABASE_URL"]
    year = year_now()
    [subscription] = active_pledges(db, 1)
    with connect(db) as holder:
        numbering.lock_year(holder, year)  # another step is numbering this year, slowly
        answer = deliver(donations, *invoice_paid(subscription))
        # Answered and committed without waiting: unnumbered, and no thank-you yet.
        assert answer == {"received": True, "duplicate": False}
        [payment] = query(db, "SELECT * FROM payments")
        assert payment["receipt_number"] is None and payment["pending_event"]
        assert events(db, "payment_succeeded") == []
        holder.rollback()
    call(donations, "number_left_behind")  # the holder's next pass, or the timer
    [paid] = thanks(db).values()
    assert paid["receipt_number"] == receipt_of(db, str(payment["id"])) == number(year, 1)
    assert (paid["email"], paid["amount"], paid["source"]) == ("p0@example.com", 3000, "monthly")
    assert "manage_url" in paid and not paid["first_of_pledge"]
    validate_data("donations", "payment_succeeded", 1,
                  {k: v for k, v in paid.items() if k != "_type"})
    assert query(db, "SELECT pending_event FROM payments")[0]["pending_event"] is None


def transactions(db: str):
    """What `Database.transaction` is to the service: a committed transaction per block."""
    @contextmanager
    def transaction():
        with connect(db) as conn:
            yield conn
    return transaction


def test_a_payment_whose_worker_found_the_year_taken_is_numbered_by_the_holders_next_pass(
    donations_config
):
    db = donations_config["DATABASE_URL"]
    year = year_now()
    outbox = OutboxWriter("donations", None)
    with connect(db) as conn:
        first = enter(conn, add_supporter(conn, "first@example.com"))
    with connect(db) as outbox_lock:
        # The holder numbers `first`, then waits to write its thank-you ...
        outbox_lock.execute("LOCK TABLE outbox IN EXCLUSIVE MODE")
        holder = eventlet.spawn(numbering.number_committed, transactions(db), outbox,
                                wait=True)
        wait_until(lambda: other_backends_waiting(outbox_lock, "INSERT INTO outbox"),
                   message="the holder at its thank-you")
        # ... while `second` commits and its worker's step finds the year taken and leaves.
        with connect(db) as conn:
            second = enter(conn, add_supporter(conn, "second@example.com"))
        assert numbering.number_committed(transactions(db), outbox, wait=False) == []
        assert receipt_of(db, second) is None
        outbox_lock.rollback()
    assert holder.wait() == [first, second]
    assert (receipt_of(db, first), receipt_of(db, second)) == (number(year, 1), number(year, 2))
    assert_gapless(db, year, 2)


def test_a_payment_entered_first_but_committed_later_takes_the_next_number_never_a_gap(
    donations_config
):
    db = donations_config["DATABASE_URL"]
    year = year_now()
    outbox = OutboxWriter("donations", None)
    with connect(db) as early, connect(db) as late:
        first = enter(early, add_supporter(early, "early@example.com"))  # entered first ...
        second = enter(late, add_supporter(late, "late@example.com"))
        late.commit()  # ... committed second
        with connect(db) as step:
            assert numbering.number_pending(step, outbox) == [second]
        early.commit()
    with connect(db) as step:
        assert numbering.number_pending(step, outbox) == [first]
    assert (receipt_of(db, second), receipt_of(db, first)) == (number(year, 1), number(year, 2))
    assert_gapless(db, year, 2)


def test_two_numbering_steps_at_once_number_each_payment_once_in_one_sequence(
    donations_config
):
    db = donations_config["DATABASE_URL"]
    year = year_now()
    outbox = OutboxWriter("donations", None)
    with connect(db) as conn:
        supporter = add_supporter(conn)
        entered = [enter(conn, supporter, request=f"req-{n}") for n in range(3)]
    with connect(db) as one, connect(db) as two:
        assert numbering.number_pending(one, outbox) == entered  # not committed yet
        with connect(db) as conn:
            entered.append(enter(conn, supporter))  # committed while `one` holds the year
        other = eventlet.spawn(numbering.number_pending, two, outbox)
        wait_until(lambda: other_backends_waiting(one), message="the second step waiting")
        one.commit()
        # It read after taking the lock: the three are numbered, only the fourth is left.
        assert other.wait() == entered[3:]
        two.commit()
    assert [receipt_of(db, p) for p in entered] == [number(year, n) for n in range(1, 5)]
    assert_gapless(db, year, 4)
    # Each thank-you keeps the correlation id of the request that paid, whoever numbered it.
    assert [r["envelope"]["correlation_id"] for r in query(
        db, "SELECT envelope FROM outbox ORDER BY id")][:3] == ["req-0", "req-1", "req-2"]


def test_a_numbering_step_that_fails_midway_leaves_nothing_and_the_next_gives_the_same_numbers(
    donations_config
):
    db = donations_config["DATABASE_URL"]
    year = year_now()
    outbox = OutboxWriter("donations", None)
    with connect(db) as conn:
        supporter = add_supporter(conn)
        entered = [enter(conn, supporter) for _ in range(2)]
    conn = psycopg.connect(db, row_factory=psycopg.rows.dict_row)
    try:
        numbering.number_year(conn, outbox, year)
        raise_inside = conn.execute("SELECT 1/0")  # the step dies before it commits
    except psycopg.errors.DivisionByZero:
        conn.rollback()
    else:
        pytest.fail(f"expected a failure, got {raise_inside}")
    finally:
        conn.close()
    assert [receipt_of(db, p) for p in entered] == [None, None]
    assert query(db, "SELECT * FROM receipt_counters") == []
    assert events(db, "payment_succeeded") == []
    with connect(db) as conn:
        numbering.number_pending(conn, outbox)
    assert [receipt_of(db, p) for p in entered] == [number(year, 1), number(year, 2)]
    assert_gapless(db, year, 2)


def test_a_payment_of_a_supporter_erased_meanwhile_is_numbered_without_a_thank_you(
    donations_config
):
    db = donations_config["DATABASE_URL"]
    year = year_now()
    erased_id, erased = left_unnumbered(db, email="gone@example.com")
    _, kept = left_unnumbered(db, email="kept@example.com")
    query(db, "UPDATE supporters SET name = NULL, email = NULL, anonymized_at = now()"
          " WHERE id = %s RETURNING id", (erased_id,))
    with connect(db) as conn:
        numbering.number_pending(conn, OutboxWriter("donations", None))
    # Numbered like any other (the year stays gapless), and the step goes on past it.
    assert (receipt_of(db, erased), receipt_of(db, kept)) == (number(year, 1), number(year, 2))
    assert list(thanks(db)) == [kept]


def either_side_of_new_year(db: str) -> tuple[str, str]:
    """Two payments committed unnumbered, the first in Tokyo's 2026 and the second in its 2025
    (entered in that order): the ids of the 2025 one and the 2026 one."""
    with connect(db) as conn:
        supporter = add_supporter(conn)
        # 20:00 UTC on 31 December is already New Year's Day in Tokyo
        new_year = enter(conn, supporter, paid_at=datetime(2025, 12, 31, 20, tzinfo=UTC))
        old_year = enter(conn, supporter, paid_at=datetime(2025, 12, 31, 10, tzinfo=UTC))
    return old_year, new_year


def test_payments_of_two_tokyo_years_are_numbered_each_in_its_own_year(donations_config):
    db = donations_config["DATABASE_URL"]
    outbox = OutboxWriter("donations", None)
    old_year, new_year = either_side_of_new_year(db)
    with connect(db) as conn:
        numbering.number_pending(conn, outbox)
    assert (receipt_of(db, old_year), receipt_of(db, new_year)) == (number(2025, 1),
                                                                      number(2026, 1))


def test_a_step_that_does_not_wait_numbers_the_free_year_and_leaves_the_held_one(
    donations_config
):
    db = donations_config["DATABASE_URL"]
    outbox = OutboxWriter("donations", None)
    old_year, new_year = either_side_of_new_year(db)
    with connect(db) as holder:
        numbering.lock_year(holder, 2026)  # another step holds the new year
        assert numbering.number_committed(transactions(db), outbox, wait=False) == [old_year]
        assert (receipt_of(db, old_year), receipt_of(db, new_year)) == (number(2025, 1), None)
        holder.rollback()
    # Its holder's next pass (here, the next step's) finds the year free.
    assert numbering.number_committed(transactions(db), outbox, wait=False) == [new_year]
    assert receipt_of(db, new_year) == number(2026, 1)
    assert [e["payment_id"] for e in events(db, "payment_succeeded")] == [old_year, new_year]


def test_concurrent_webhooks_into_two_service_instances_give_unique_gapless_numbers(
    container_factory, donations_config
):
    db = donations_config["DATABASE_URL"]
    year = year_now()
    for _ in range(2):  # two instances on one queue, as two replicas
        container_factory(__import__("donations.service").service.DonationsService,
                          donations_config).start()
    subscriptions = active_pledges(db, 24)

    def pay(subscription: str) -> bool:
        with ServiceRpcProxy("donations", donations_config) as rpc:
            return rpc.handle_stripe_webhook(*invoice_paid(subscription))["duplicate"]

    assert not any(eventlet.GreenPool(24).imap(pay, subscriptions))
    assert_gapless(db, year, 24)
    entered = [r["id"] for r in query(db, "SELECT id FROM payments ORDER BY entered")]
    assert len(thanks(db)) == len(entered) == 24


# -- a crash between the payment and its number, or in the middle of numbering ---------------


class ServiceProcess:
    """The donations service in a process of its own (`nameko run`), to be killed."""

    def __init__(self, config: dict, tmp_path: Path):
        path = tmp_path / "donations.yml"
        path.write_text(yaml.safe_dump(config))
        nameko = Path(sys.executable).parent / "nameko"
        self.proc = subprocess.Popen(
            [str(nameko), "run", "--config", str(path), "donations.service"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
            env={**os.environ, "PSYCOPG_WAIT_FUNC": "wait_selector"})

    def wait_ready(self, config: dict) -> None:
        def answers() -> bool:
            try:
                with ServiceRpcProxy("donations", config, timeout=2) as rpc:
                    return rpc.ping()["ok"]
            except Exception:
                return False
        wait_until(answers, timeout=60, message="the donations process")

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)


@pytest.mark.slow
@pytest.mark.parametrize("killed", ["before numbering", "while numbering"])
def test_a_service_killed_after_the_payment_commits_loses_nothing_and_leaves_no_gap(
    container_factory, donations_config, tmp_path, killed
):
    from donations.service import DonationsService

    db = donations_config["DATABASE_URL"]
    year = year_now()
    [subscription] = active_pledges(db, 1)
    process = ServiceProcess(donations_config, tmp_path)
    try:
        process.wait_ready(donations_config)
        with connect(db) as holder:
            if killed == "before numbering":
                numbering.lock_year(holder, year)  # the holder dies with it, say
                held_at = None
            else:  # it numbers, then cannot write the thank-you: killed with numbers taken
                holder.execute("LOCK TABLE outbox IN EXCLUSIVE MODE")
                held_at = "INSERT INTO outbox"
            sender = eventlet.spawn(_send_ignoring_answer, donations_config, subscription)
            [payment] = wait_until(lambda: query(db, "SELECT id FROM payments"),
                                   message="the payment committed")
            if held_at:
                wait_until(lambda: other_backends_waiting(holder, held_at),
                           message="the step held up")
            else:  # answered: its step found the year taken and left it to the holder
                sender.wait()
            process.kill()
            holder.rollback()
        sender.kill()
        # The dead process's session ends once it is handed the lock; its work rolls back.
        wait_until(lambda: query(
            db, "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND xact_start IS NOT NULL")[0]["n"] == 0,
            message="the dead process's transaction gone")
    finally:
        process.kill()
    payment_id = str(payment["id"])
    assert receipt_of(db, payment_id) is None
    assert query(db, "SELECT * FROM receipt_counters") == []
    assert events(db, "payment_succeeded") == []
    # A new instance's timer finds it.
    restarted = container_factory(DonationsService, {
        **donations_config, "RECEIPT_NUMBERING_SWEEP_SECONDS": 0.2})
    restarted.start()
    wait_until(lambda: receipt_of(db, payment_id), message="the timer's numbering")
    assert receipt_of(db, payment_id) == number(year, 1)
    [paid] = thanks(db).values()
    assert (paid["payment_id"], paid["receipt_number"], paid["email"]) == (
        payment_id, number(year, 1), "p0@example.com")
    # and the next payment follows it without a gap
    deliver(restarted, *invoice_paid(subscription))
    assert_gapless(db, year, 2)


def _send_ignoring_answer(config: dict, subscription: str) -> None:
    try:
        with ServiceRpcProxy("donations", config, timeout=60) as rpc:
            rpc.handle_stripe_webhook(*invoice_paid(subscription))
    except Exception:  # the service was killed under it
        pass


# -- every path that reads a number, when the payment has none yet ----------------------------


def test_a_staff_refund_of_an_unnumbered_payment_numbers_it_first_and_names_the_number(
    donations, donations_config
):
    db = donations_config["DATABASE_URL"]
    _, payment_id = left_unnumbered(db)
    refunded = call(donations, "refund_payment", payment_id, {"amount": 1000}, context=STAFF)
    assert refunded["receipt_number"] == number(year_now(), 1) == receipt_of(db, payment_id)
    [event] = events(db, "payment_refunded")
    assert event["receipt_number"] == number(year_now(), 1)
    assert thanks(db)[payment_id]["receipt_number"] == number(year_now(), 1)


def test_stripe_refund_and_dispute_of_an_unnumbered_card_payment_carry_its_number(
    donations, donations_config
):
    db = donations_config["DATABASE_URL"]
    _, payment_id = left_unnumbered(db, source="card_one_time", amount=3000,
                                    intent="pi_unnumbered")
    deliver(donations, *signed(stripe_event("charge.dispute.created", {
        "id": "dp_1", "object": "dispute", "amount": 3000, "currency": "jpy",
        "payment_intent": "pi_unnumbered", "reason": "fraudulent",
        "created": int(time.time())}), WEBHOOK_SECRET))
    deliver(donations, *signed(stripe_event("charge.refunded", {
        "id": "ch_1", "object": "charge", "currency": "jpy", "payment_intent": "pi_unnumbered",
        "amount_refunded": 500, "refunds": {"object": "list", "data": [{
            "id": "re_1", "amount": 500, "status": "succeeded",
            "created": int(time.time())}]}}), WEBHOOK_SECRET))
    expected = number(year_now(), 1)
    assert receipt_of(db, payment_id) == expected
    [disputed] = events(db, "payment_disputed")
    [refunded] = events(db, "payment_refunded")
    assert disputed["receipt_number"] == refunded["receipt_number"] == expected
    assert thanks(db)[payment_id]["receipt_number"] == expected


def test_voiding_an_unnumbered_staff_payment_numbers_it_first(donations, donations_config):
    db = donations_config["DATABASE_URL"]
    _, payment_id = left_unnumbered(db)
    voided = call(donations, "void_staff_payment", payment_id, {"reason": "entered twice"},
                  context=STAFF)
    assert voided["receipt_number"] == number(year_now(), 1)
    [event] = events(db, "payment_voided")
    assert event["receipt_number"] == number(year_now(), 1)


def test_erasing_a_supporter_with_an_unnumbered_payment_writes_its_thank_you_first(
    donations, donations_config
):
    db = donations_config["DATABASE_URL"]
    supporter_id, payment_id = left_unnumbered(db)

    def erased():
        try:
            return call(donations, "anonymise_supporter", supporter_id, context=ADMIN)
        except errors.Conflict:  # the thank-you is still on its way out
            return None

    assert wait_until(erased, message="the erasure")["anonymized"]
    paid = thanks(db)[payment_id]
    assert paid["receipt_number"] == receipt_of(db, payment_id) == number(year_now(), 1)
    assert query(db, "SELECT name FROM supporters")[0]["name"] is None


@pytest.mark.parametrize("kind", ["gift", "annual"])
def test_an_erasure_meeting_a_receipt_being_issued_waits_for_it_instead_of_deadlocking(
    donations_config, kind
):
    """A gift receipt's issue locks the payment, then stores the receipt, whose key checks the
    supporter; an annual receipt's locks the supporter, then stores items whose keys check the
    payments. The erasure clears both the supporter and the payments: it must wait its turn
    behind either, not hold what they need next."""
    from donations import privacy, receipts

    db = donations_config["DATABASE_URL"]
    year = year_now() - 1 if kind == "annual" else year_now()
    supporter_id, payment_id = left_unnumbered(
        db, **({"source": "monthly", "amount": 3000,
                "paid_at": datetime(year, 6, 10, 3, tzinfo=UTC)} if kind == "annual" else {}))
    with connect(db) as conn:
        numbering.number_pending(conn, OutboxWriter("donations", None))
        conn.execute("UPDATE outbox SET published_at = now()")  # the relay has sent them
    org = receipts.Organisation(ORG["RECEIPT_ORG_NAME"], ORG["RECEIPT_ORG_ADDRESS"],
                                ORG["RECEIPT_CERTIFICATION_NUMBER"],
                                ORG["RECEIPT_CERTIFICATION_DATE"])

    def erase() -> None:
        with connect(db) as conn:
            privacy.anonymise(conn, OutboxWriter("donations", None),
                              privacy.supporter_for_erasure(conn, supporter_id))

    def pdf(*_) -> bytes:
        return b"%PDF-"

    with connect(db) as issuing:
        # The issue's first statement, taken here so that the erasure starts before the rest.
        if kind == "gift":
            issuing.execute("SELECT id FROM payments WHERE id = %s FOR UPDATE", (payment_id,))
        else:
            issuing.execute("SELECT id FROM supporters WHERE id = %s FOR UPDATE",
                            (supporter_id,))
        erasing = eventlet.spawn(erase)
        wait_until(lambda: query(db, "SELECT 1 FROM pg_stat_activity WHERE datname ="
                                 " current_database() AND wait_event_type = 'Lock'"),
                   message="the erasure waiting for the issue")
        if kind == "gift":
            receipt = receipts.issue_gift(issuing, payment_id, org, pdf, "staff:x")
        else:
            receipt = receipts.issue_annual(issuing, supporter_id, year, org, pdf, "staff:x")
    erasing.wait()
    assert receipt["amount"] == (50000 if kind == "gift" else 3000)
    assert query(db, "SELECT name FROM supporters")[0]["name"] is None
    assert query(db, "SELECT reference FROM payments")[0]["reference"] is None


def test_a_payment_still_unnumbered_cannot_be_erased_nor_refunded_until_it_is(
    donations_config
):
    """Should the step itself fail, the paths refuse clearly rather than print no number."""
    from donations import corrections, privacy, receipts

    db = donations_config["DATABASE_URL"]
    supporter_id, payment_id = left_unnumbered(db)
    outbox = OutboxWriter("donations", None)
    with connect(db) as conn:
        with pytest.raises(privacy.StillInUse, match="receipt number"):
            privacy.check_erasable(conn, supporter_id)
        with pytest.raises(numbering.NotNumbered):
            corrections.void_payment(conn, outbox, payment_id, "mistake", "staff:x")
        conn.rollback()
        payment = ledger.payment_for_update(conn, payment_id)
        with pytest.raises(numbering.NotNumbered):
            ledger.record_refund(conn, outbox, payment, 100, stripe_refund_id=None,
                                 reason=None, requested_by="staff:x",
                                 refunded_at=datetime.now(UTC))
        conn.rollback()
        org = receipts.Organisation("JII", "Tokyo", "1", "2020-04-01")
        with pytest.raises(receipts.NotIssuable) as refused:
            receipts.issue_gift(conn, payment_id, org, lambda *_: b"%PDF-", "staff:x")
        assert refused.value.reason == "not_numbered"


def test_a_gift_receipt_for_an_unnumbered_payment_is_issued_with_its_number(
    donations, donations_config
):
    db = donations_config["DATABASE_URL"]
    _, payment_id = left_unnumbered(db)
    receipt = call(donations, "issue_receipt_for_payment", payment_id, context=STAFF)
    assert receipt["number"] == number(year_now(), 1) == receipt_of(db, payment_id)
    _, other = left_unnumbered(db, email="sita@example.com")
    from donations.links import ReceiptLinks
    links = ReceiptLinks(donations_config["PLEDGE_LINK_SECRET"], "https://jii.example/r", 30)
    token = links.gift_url(other).rsplit("/", 1)[1]
    opened = call(donations, "receipt_by_link", token, {})
    assert opened["number"] == number(year_now(), 2) == receipt_of(db, other)


def test_the_year_end_run_numbers_last_years_unnumbered_gifts_before_their_receipts(
    donations, donations_config
):
    db = donations_config["DATABASE_URL"]
    year = year_now() - 1
    supporter_id, monthly = left_unnumbered(
        db, source="monthly", amount=3000, paid_at=datetime(year, 6, 10, 3, tzinfo=UTC))
    call(donations, "start_year_end_run", {"year": year}, context=STAFF)
    wait_until(lambda: call(donations, "year_end_progress", year, context=STAFF)[
        "remaining"] == 0, timeout=60, message="the year-end run")
    [ready] = events(db, "annual_receipts_ready")
    [annual] = ready["receipts"]
    assert annual["kind"] == "annual"
    [receipt] = query(db, "SELECT content FROM receipts WHERE kind = 'annual'")
    [item] = receipt["content"]["items"]
    assert item["receipt_number"] == number(year, 1) == receipt_of(db, monthly)
    assert ready["supporter_id"] == supporter_id


def test_an_annual_receipt_asked_for_by_staff_numbers_the_years_gifts_first(
    donations, donations_config
):
    db = donations_config["DATABASE_URL"]
    year = year_now() - 1
    supporter_id, monthly = left_unnumbered(
        db, source="monthly", amount=3000, paid_at=datetime(year, 6, 10, 3, tzinfo=UTC))
    receipt = call(donations, "issue_annual_receipt", supporter_id, year, context=STAFF)
    assert receipt["amount"] == 3000 and receipt_of(db, monthly) == number(year, 1)


def test_staff_views_reports_and_search_show_the_number_of_a_payment_left_unnumbered(
    donations, donations_config
):
    db = donations_config["DATABASE_URL"]
    year = year_now()
    today = today_in_tokyo().isoformat()
    views = {
        "list": lambda s, p, n: call(donations, "list_payments", {}, context=STAFF)[
            "payments"][0]["receipt_number"],
        "one": lambda s, p, n: call(donations, "staff_payment", p, context=STAFF)[
            "receipt_number"],
        "supporter": lambda s, p, n: call(donations, "supporter_detail", s, context=STAFF)[
            "payments"][0]["receipt_number"],
        "search": lambda s, p, n: call(donations, "search_supporters", {"q": f"ram{n}@example.com"},
                                    context=STAFF)["results"][0]["payments"][0]["receipt_number"],
        "statement": lambda s, p, n: call(donations, "annual_statement", s, year, {},
                                          context=STAFF)["payments"][0]["receipt_number"],
        "report": lambda s, p, n: next(
            row for row in call(donations, "donation_report", {"from": today, "to": today,
                                                               "format": "csv"},
                                context=STAFF)["csv"].splitlines()[1:]).split(",")[0],
    }
    for n, (name, view) in enumerate(views.items(), start=1):
        query(db, "UPDATE payments SET voided_at = now(), void_reason = 'x'"
              " WHERE voided_at IS NULL RETURNING id")  # only the new one is listed/reported
        supporter_id, payment_id = left_unnumbered(db, email=f"ram{n}@example.com")
        assert view(supporter_id, payment_id, n) == number(year, n), name


def test_a_staff_payment_answers_with_its_number_and_its_thank_you_carries_it(
    donations, donations_config
):
    db = donations_config["DATABASE_URL"]
    recorded = call(donations, "record_staff_payment", {
        "source": "grant", "amount": 100000, "paid_on": today_in_tokyo().isoformat(),
        "payer_name": "Tokyo Foundation", "payer_email": "grants@example.org", "locale": "en",
        "reference": "grant 2026/9"}, context=STAFF)
    assert recorded["receipt_number"] == number(year_now(), 1)
    paid = thanks(db)[recorded["id"]]
    assert paid["receipt_number"] == recorded["receipt_number"]
    assert json.dumps(paid)  # a plain event, as the relay publishes it
