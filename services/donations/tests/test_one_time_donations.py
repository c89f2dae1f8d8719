"""One-time card donations and the public tiers, through the service's real entrypoints with
localstripe and PostgreSQL. The ledger entry comes from Stripe's payment_intent.succeeded."""

import pytest
from donations_testkit import (
    DECLINED_ON_CHARGE,
    NEEDS_3DS,
    authenticate_3ds,
    call,
    card,
    deliver,
    deliveries_of,
    events,
    wait_delivery,
)
from servicekit import errors
from servicekit.testing import query
from servicekit.tokyo import tokyo_date


def donation_request(api_base, **overrides):
    request = {"amount": 10000, "email": "ram@example.com", "name": "Ram Thapa", "locale": "ne",
               "payment_method": card(api_base), "tier": "class",
               "designation": "hanamaru_class"}
    request.update(overrides)
    return request


def test_tiers_are_10000_30000_100000_yen_with_impact_in_ja_en_ne_and_configured_bounds(
    donations
):
    catalogue = call(donations, "donation_tiers")
    assert [(t["id"], t["amount"]) for t in catalogue["tiers"]] == [
        ("class", 10000), ("connect", 30000), ("community", 100000)]
    for tier in catalogue["tiers"]:
        assert set(tier["impact"]) == {"ja", "en", "ne"} and all(tier["impact"].values())
    assert "10 foreign residents" in catalogue["tiers"][1]["impact"]["en"]
    assert catalogue["free_amount"] == {"min": 500, "max": 10_000_000}
    assert "general" in [d["id"] for d in catalogue["designations"]]
    # No account number in the settings: no half-filled bank account for the page to show.
    assert catalogue["bank_account"] is None


def test_successful_card_is_recorded_only_when_the_payment_intent_succeeded_webhook_arrives(
    donations, donations_config, webhook_capture
):
    db = donations_config["DATABASE_URL"]
    created = call(donations, "create_donation",
                   donation_request(donations_config["STRIPE_API_BASE"]))
    assert created["status"] == "succeeded" and "client_secret" not in created
    assert query(db, "SELECT count(*) AS n FROM payments")[0]["n"] == 0  # not before Stripe says

    body, signature = wait_delivery(
        webhook_capture, "payment_intent.succeeded",
        lambda o: o["metadata"].get("donation_id") == created["id"])
    assert deliver(donations, body, signature)["duplicate"] is False
    assert deliver(donations, body, signature)["duplicate"] is True

    [payment] = query(db, "SELECT * FROM payments")
    assert (payment["source"], payment["amount"], payment["tier"], payment["designation"]) == (
        "card_one_time", 10000, "class", "hanamaru_class")
    assert payment["receipt_number"].endswith("-000001") and payment["anomaly"] is None
    [paid] = events(db)
    assert paid["_type"] == "payment_succeeded"
    assert (paid["name"], paid["email"], paid["locale"], paid["amount"]) == (
        "Ram Thapa", "ram@example.com", "ne", 10000)
    assert paid["receipt_number"] == payment["receipt_number"]
    assert paid["first_of_pledge"] is False and paid["designation"] == "hanamaru_class"
    assert query(db, "SELECT status FROM donations")[0]["status"] == "succeeded"
    # The thank-you can say what the tier does and where the gift goes, in any language.
    assert paid["tier_impact"]["ne"].startswith("¥१०,००० ले")
    assert paid["designation_name"] == {"ja": "はなまる教室", "en": "Hanamaru Class",
                                        "ne": "हानामारु कक्षा"}


def test_declined_card_is_refused_with_the_banks_reason_and_nothing_is_recorded_as_paid(
    donations, donations_config, webhook_capture
):
    db = donations_config["DATABASE_URL"]
    api_base = donations_config["STRIPE_API_BASE"]
    with pytest.raises(errors.PaymentDeclined) as raised:
        call(donations, "create_donation",
             donation_request(api_base, payment_method=card(api_base, DECLINED_ON_CHARGE)))
    assert raised.value.details["reason"] == "card_declined"
    [donation] = query(db, "SELECT status, failure_reason FROM donations")
    assert (donation["status"], donation["failure_reason"]) == ("failed", "card_declined")

    # Stripe's own payment_failed webhook changes nothing more and sends no e-mail: the
    # supporter had the answer on the page.
    body, signature = wait_delivery(webhook_capture, "payment_intent.payment_failed",
                                    lambda o: True)
    deliver(donations, body, signature)
    assert query(db, "SELECT count(*) AS n FROM payments")[0]["n"] == 0
    assert events(db) == []


def test_card_needing_3d_secure_returns_client_secret_and_is_recorded_once_authenticated(
    donations, donations_config, webhook_capture
):
    db = donations_config["DATABASE_URL"]
    api_base = donations_config["STRIPE_API_BASE"]
    created = call(donations, "create_donation", donation_request(
        api_base, payment_method=card(api_base, NEEDS_3DS), amount=4321, tier=None))
    assert created["status"] == "requires_action"
    assert created["client_secret"].startswith("pi_")
    [donation] = query(db, "SELECT status, stripe_payment_intent_id FROM donations")
    assert donation["status"] == "requires_action"
    assert deliveries_of(webhook_capture, "payment_intent.succeeded", lambda o: True) == []
    assert query(db, "SELECT count(*) AS n FROM payments")[0]["n"] == 0

    authenticate_3ds(api_base, donation["stripe_payment_intent_id"], created["client_secret"])
    body, signature = wait_delivery(webhook_capture, "payment_intent.succeeded", lambda o: True)
    deliver(donations, body, signature)
    [payment] = query(db, "SELECT amount, tier, designation FROM payments")
    assert (payment["amount"], payment["tier"]) == (4321, None)


ADDRESS = {"postal_code": "1500001", "prefecture": "東京都 ", "city": "渋谷区",
           "line1": "神宮前1-2-3"}


def test_a_donor_wanting_a_tax_receipt_gives_an_address_kept_with_the_supporter(
    donations, donations_config, webhook_capture
):
    db = donations_config["DATABASE_URL"]
    created = call(donations, "create_donation", donation_request(
        donations_config["STRIPE_API_BASE"], name="株式会社おとなり", donor_kind="company",
        postal_address=ADDRESS))
    [supporter] = query(db, "SELECT s.* FROM supporters s JOIN donations d"
                            " ON d.supporter_id = s.id WHERE d.id = %s", (created["id"],))
    assert (supporter["donor_kind"], supporter["postal_code"], supporter["prefecture"],
            supporter["city"], supporter["address_line1"], supporter["address_line2"]) == (
        "company", "150-0001", "東京都", "渋谷区", "神宮前1-2-3", None)
    body, signature = wait_delivery(
        webhook_capture, "payment_intent.succeeded",
        lambda o: o["metadata"].get("donation_id") == created["id"])
    deliver(donations, body, signature)
    [paid] = query(db, "SELECT paid_at FROM payments")
    statement = call(donations, "annual_statement", str(supporter["id"]),
                     tokyo_date(paid["paid_at"]).year, {},
                     context={"staff_subject": "aiko@jii.example", "staff_role": "staff"})
    assert statement["donor_kind"] == "company"
    assert statement["postal_address"] == {"postal_code": "150-0001", "prefecture": "東京都",
                                           "city": "渋谷区", "line1": "神宮前1-2-3",
                                           "line2": None}
    # A donor who gives no address is a person without one.
    call(donations, "create_donation", donation_request(donations_config["STRIPE_API_BASE"]))
    [plain] = query(db, "SELECT donor_kind, postal_code FROM supporters WHERE donor_kind ="
                        " 'person'")
    assert plain["postal_code"] is None


@pytest.mark.parametrize("overrides, field", [
    ({"postal_address": {**ADDRESS, "postal_code": "15-0001"}}, "postal_address"),
    ({"postal_address": {**ADDRESS, "city": "  "}}, "postal_address"),
    ({"postal_address": {"postal_code": "150-0001"}}, "postal_address"),
    ({"postal_address": {**ADDRESS, "country": "JP"}}, "postal_address"),
    ({"donor_kind": "charity"}, "donor_kind"),
    ({"amount": -10000}, "amount"),
    ({"amount": 0}, "amount"),
    ({"amount": 10000.5}, "amount"),
    ({"amount": "10000"}, "amount"),
    ({"amount": 10**12}, "amount"),
    ({"amount": 499, "tier": None}, "amount"),
    ({"amount": 12000}, "amount"),  # not the tier's amount
    ({"tier": "gold"}, "tier"),
    ({"designation": "casino"}, "designation"),
    ({"currency": "usd"}, "currency"),
    ({"locale": "fr"}, "locale"),
    ({"email": None}, "email"),
    ({"name": 7}, "name"),
])
def test_malformed_donation_is_refused_with_field_errors_and_changes_nothing(
    donations, donations_config, overrides, field
):
    request = {"amount": 10000, "email": "a@example.com", "name": "A", "locale": "en",
               "payment_method": "pm_123", "tier": "class"}
    request.update(overrides)
    with pytest.raises(errors.InvalidInput) as raised:
        call(donations, "create_donation", request)
    assert field in raised.value.details
    db = donations_config["DATABASE_URL"]
    for table in ("donations", "supporters", "payments", "outbox"):
        assert query(db, f"SELECT count(*) AS n FROM {table}")[0]["n"] == 0, table


def test_missing_fields_are_each_named(donations, donations_config):
    with pytest.raises(errors.InvalidInput) as raised:
        call(donations, "create_donation", {})
    assert {"amount", "email", "name", "locale", "payment_method"} <= set(raised.value.details)


@pytest.mark.parametrize("rpc, request_of", [
    ("create_donation", lambda base: donation_request(base, payment_method="pm_doesnotexist")),
    ("create_pledge", lambda base: {"amount": 3000, "email": "ram@example.com",
                                    "name": "Ram Thapa", "locale": "ne",
                                    "payment_method": "pm_doesnotexist"}),
])
def test_an_unknown_payment_method_is_unusable_in_our_words_and_the_sdk_text_is_only_logged(
    donations, donations_config, caplog, rpc, request_of
):
    with pytest.raises(errors.Unprocessable) as raised:
        call(donations, rpc, request_of(donations_config["STRIPE_API_BASE"]))
    message = " ".join([raised.value.message, *raised.value.details["payment_method"]])
    assert "not usable" in message
    assert "pm_doesnotexist" not in message and "No such" not in message
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "payment method refused" in logged and "ram@example.com" not in logged
