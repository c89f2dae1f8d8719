"""Pledge self-service by signed link, anonymisation, and reconciliation with Stripe."""

import time

import pytest
import stripe
from donations.links import PledgeLinks
from donations_testkit import (
    ADMIN,
    LINK_SECRET,
    STAFF,
    active_pledge,
    call,
    card,
    deliver,
    events,
    sdk,
    wait_delivery,
)
from psycopg import sql
from servicekit import errors
from servicekit.db import connect
from servicekit.testing import query


def token_for(pledge) -> str:
    return PledgeLinks(LINK_SECRET, "https://jii.example", 400).token(str(pledge["id"]))


def test_supporter_changes_the_amount_in_place_pauses_resumes_and_cancels_by_signed_link(
    donations, donations_config, webhook_capture
):
    db = donations_config["DATABASE_URL"]
    pledge = active_pledge(donations, donations_config, webhook_capture)
    token = token_for(pledge)
    client = sdk(donations_config["STRIPE_API_BASE"])

    assert call(donations, "pledge_self_service", {"token": token, "action": "view"}
                )["amount"] == 3000
    changed = call(donations, "pledge_self_service",
                   {"token": token, "action": "change_amount", "amount": 5000})
    assert changed["amount"] == 5000
    subs = client.v1.subscriptions.list({"customer": client.v1.subscriptions.retrieve(
        pledge["stripe_subscription_id"]).customer}).data
    assert len(subs) == 1 and subs[0].to_dict()["quantity"] == 5000  # same subscription
    assert len(client.v1.invoices.list({"subscription": subs[0].id}).data) == 1  # no charge

    assert call(donations, "pledge_self_service", {"token": token, "action": "pause"}
                )["status"] == "paused"
    assert call(donations, "pledge_self_service", {"token": token, "action": "resume"}
                )["status"] == "active"
    assert call(donations, "pledge_self_service",
                {"token": token, "action": "cancel", "reason": "moving abroad"}
                )["status"] == "canceled"
    assert client.v1.subscriptions.retrieve(pledge["stripe_subscription_id"]).status == \
        "canceled"
    kinds = [e["_type"] for e in events(db, "pledge_changed", "pledge_paused",
                                        "pledge_canceled")]
    assert kinds == ["pledge_changed", "pledge_paused", "pledge_changed", "pledge_canceled"]
    assert events(db, "pledge_canceled")[0]["reason"] == "moving abroad"
    with pytest.raises(errors.Conflict):
        call(donations, "pledge_self_service", {"token": token, "action": "pause"})


@pytest.mark.parametrize("request_, error", [
    ({"token": "not-a-real-token-at-all", "action": "view"}, errors.Forbidden),
    ({"token": "x" * 20, "action": "explode"}, errors.InvalidInput),
    ({"token": "x" * 20, "action": "change_amount", "amount": 100}, errors.InvalidInput),
    ({"token": "x" * 20, "action": "change_amount", "amount": 50.5}, errors.InvalidInput),
    ({"token": "x" * 20, "action": "cancel"}, errors.InvalidInput),
])
def test_self_service_refuses_a_forged_link_or_a_bad_request_and_changes_nothing(
    donations, donations_config, request_, error
):
    with pytest.raises(error):
        call(donations, "pledge_self_service", request_)
    assert query(donations_config["DATABASE_URL"], "SELECT count(*) AS n FROM outbox"
                 )[0]["n"] == 0


def test_a_link_signed_for_one_pledge_with_another_secret_is_refused(
    donations, donations_config, webhook_capture
):
    pledge = active_pledge(donations, donations_config, webhook_capture)
    forged = PledgeLinks("another-secret-of-at-least-32-characters!", "https://x", 400).token(
        str(pledge["id"]))
    with pytest.raises(errors.Forbidden):
        call(donations, "pledge_self_service", {"token": forged, "action": "cancel",
                                                "reason": "x"})


def all_rows_as_text(db) -> str:
    with connect(db) as conn:
        tables = [r["tablename"] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()]
        text = []
        for table in tables:
            for row in conn.execute(sql.SQL("SELECT t::text AS row FROM {} t").format(
                    sql.Identifier(table))).fetchall():
                text.append(row["row"])
    assert "supporters" in tables and "outbox" in tables
    return "\n".join(text)


def test_after_anonymisation_no_table_holds_the_supporters_name_or_email(
    donations, donations_config, webhook_capture
):
    db = donations_config["DATABASE_URL"]
    pledge = active_pledge(donations, donations_config, webhook_capture,
                           email="hanako@example.com", name="山田 花子")
    call(donations, "record_staff_payment", {
        "source": "bank_transfer", "amount": 7000, "paid_on": "2026-01-10",
        "payer_name": "山田 花子", "payer_email": "HANAKO@example.com", "locale": "ja",
        "reference": "振込 山田花子", "postal_address": {
            "postal_code": "1500001", "prefecture": "東京都", "city": "渋谷区",
            "line1": "神宮前9-8-7", "line2": "花子ハイツ 301"}}, context=STAFF)
    supporter_id = str(pledge["supporter_id"])
    [row] = query(db, "SELECT stripe_customer_id FROM supporters WHERE id = %s", (supporter_id,))
    customer_id = row["stripe_customer_id"]
    with pytest.raises(errors.Conflict):  # the pledge is still running
        call(donations, "anonymise_supporter", supporter_id, context=ADMIN)
    call(donations, "cancel_pledge_by_staff", str(pledge["id"]), {"reason": "花子 asked"},
         context=STAFF)
    # the relay is not running in this test: stand in for it
    with connect(db) as conn:
        conn.execute("UPDATE outbox SET published_at = now()")
    text = all_rows_as_text(db)
    assert "hanako@example.com" in text.lower() and "山田" in text and "神宮前9-8-7" in text

    call(donations, "anonymise_supporter", supporter_id, context=ADMIN)

    text = all_rows_as_text(db)
    assert "hanako@example.com" not in text.lower() and "山田" not in text and "花子" not in text
    assert "神宮前" not in text and "150-0001" not in text
    assert "manage_url" not in text  # the live self-service links in the events' copies
    with pytest.raises(errors.Forbidden):  # and the links already sent open nothing
        call(donations, "pledge_self_service", {"token": token_for(pledge), "action": "view"})
    assert query(db, "SELECT sum(amount) AS s FROM payments")[0]["s"] == 10000  # amounts kept
    [erased] = events(db, "supporter_anonymized")
    assert erased["supporter_id"] == supporter_id and len(erased["email_sha256"]) == 64
    # Stripe's copy of the name and address is erased too
    with pytest.raises(stripe.InvalidRequestError):
        sdk(donations_config["STRIPE_API_BASE"]).v1.customers.retrieve(customer_id)


def test_reconcile_applies_the_events_the_webhook_missed_and_skips_those_it_did_not(
    donations, donations_config, webhook_capture
):
    db = donations_config["DATABASE_URL"]
    since = int(time.time()) - 5
    api_base = donations_config["STRIPE_API_BASE"]
    created = call(donations, "create_donation", {
        "amount": 3000, "email": "r@example.com", "name": "R", "locale": "en",
        "payment_method": card(api_base)})
    assert query(db, "SELECT count(*) AS n FROM payments")[0]["n"] == 0  # webhook lost
    outcome = call(donations, "reconcile_stripe", since)
    assert outcome["applied"] and not outcome["failed"]
    [payment] = query(db, "SELECT donation_id FROM payments")
    assert str(payment["donation_id"]) == created["id"]
    again = call(donations, "reconcile_stripe", since)
    assert again["applied"] == [] and again["listed"] == outcome["listed"]
    # and the webhook arriving late after all is a duplicate
    body, signature = wait_delivery(webhook_capture, "payment_intent.succeeded", lambda o: True)
    assert deliver(donations, body, signature)["duplicate"] is True
