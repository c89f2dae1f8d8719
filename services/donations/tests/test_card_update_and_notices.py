"""What the public site adds to the donations service: a supporter's new card by SetupIntent,
a fresh self-service link by address, and a donor's word about a bank transfer."""

import json
import urllib.request

import pytest
from donations.links import PledgeLinks
from donations_testkit import LINK_SECRET, VISA, active_pledge, call, events, sdk
from servicekit import errors
from servicekit.testing import query
from servicekit.tokyo import today_in_tokyo


def token_for(pledge) -> str:
    return PledgeLinks(LINK_SECRET, "https://jii.example", 400).token(str(pledge["id"]))


def confirm_in_browser(api_base: str, client_secret: str, number: str = VISA) -> str:
    """What Stripe.js's confirmCardSetup does with the card the supporter typed."""
    setup_id = client_secret.split("_secret_")[0]
    body = json.dumps({"key": "pk_test_x", "client_secret": client_secret,
                       "payment_method_data": {"type": "card", "card": {
                           "number": number, "exp_month": "12", "exp_year": "2034",
                           "cvc": "123"}}}).encode()
    request = urllib.request.Request(f"{api_base}/v1/setup_intents/{setup_id}/confirm",
                                     data=body, method="POST")
    with urllib.request.urlopen(request, timeout=5) as response:
        assert json.load(response)["status"] == "succeeded"
    return setup_id


def test_a_new_card_becomes_the_pledges_own_and_another_pledges_set_up_is_refused(
        donations, donations_config, webhook_capture):
    api_base = donations_config["STRIPE_API_BASE"]
    pledge = active_pledge(donations, donations_config, webhook_capture)
    other = active_pledge(donations, donations_config, webhook_capture,
                          email="other@example.com")
    started = call(donations, "pledge_self_service",
                   {"token": token_for(pledge), "action": "start_card_update"})
    assert started["status"] == "active" and started["setup_client_secret"].startswith("seti_")
    setup_id = confirm_in_browser(api_base, started["setup_client_secret"])

    # Someone holding another pledge's link cannot claim this card set-up.
    with pytest.raises(errors.InvalidInput) as refused:
        call(donations, "pledge_self_service", {"token": token_for(other),
                                                "action": "finish_card_update",
                                                "setup_intent": setup_id})
    assert "setup_intent" in refused.value.details

    finished = call(donations, "pledge_self_service", {
        "token": token_for(pledge), "action": "finish_card_update", "setup_intent": setup_id})
    assert finished["card_updated"] is True and finished["retried_invoices"] == 0
    [supporter] = query(donations_config["DATABASE_URL"],
                        "SELECT stripe_customer_id FROM supporters WHERE id = %s",
                        (pledge["supporter_id"],))
    customer = sdk(api_base).v1.customers.retrieve(supporter["stripe_customer_id"])
    method = sdk(api_base).v1.setup_intents.retrieve(setup_id).payment_method
    assert customer.invoice_settings.default_payment_method == method


def test_a_canceled_pledges_card_cannot_be_changed(donations, donations_config,
                                                     webhook_capture):
    pledge = active_pledge(donations, donations_config, webhook_capture)
    call(donations, "pledge_self_service", {"token": token_for(pledge), "action": "cancel",
                                            "reason": "moving abroad"})
    with pytest.raises(errors.Conflict):
        call(donations, "pledge_self_service",
             {"token": token_for(pledge), "action": "start_card_update"})


def test_fresh_links_go_only_to_an_address_with_a_running_pledge_and_the_answer_is_the_same(
        donations, donations_config, webhook_capture):
    db = donations_config["DATABASE_URL"]
    pledge = active_pledge(donations, donations_config, webhook_capture)
    unknown = call(donations, "send_pledge_links", {"email": "nobody@example.com",
                                                    "locale": "en"})
    known = call(donations, "send_pledge_links", {"email": "HANAKO@example.com",
                                                  "locale": "ja"})
    assert unknown == known == {"received": True}
    [sent] = events(db, "pledge_link_requested")
    assert sent["pledge_id"] == str(pledge["id"]) and sent["email"] == "hanako@example.com"
    assert PledgeLinks(LINK_SECRET, "https://jii.example", 400).pledge_of(
        sent["manage_url"].split("token=")[1]) == str(pledge["id"])


def test_a_bank_transfer_notice_tells_staff_and_keeps_the_receipt_address_with_the_supporter(
        donations, donations_config):
    db = donations_config["DATABASE_URL"]
    answer = call(donations, "notify_bank_transfer", {
        "name": "株式会社おとなり", "email": "office@example.com", "locale": "ja",
        "amount": 50000, "transferred_on": today_in_tokyo().isoformat(),
        "payer_name": "カ）オトナリ", "donor_kind": "company", "postal_address": {
            "postal_code": "1600022", "prefecture": "東京都", "city": "新宿区",
            "line1": "新宿1-2-3"}})
    assert answer == {"received": True}
    [notice] = events(db, "bank_transfer_notified")
    assert (notice["amount"], notice["donor_kind"], notice["receipt_requested"]) == (
        50000, "company", True)
    assert "postal_address" not in notice  # the address stays in donations
    [supporter] = query(db, "SELECT donor_kind, postal_code FROM supporters")
    assert supporter == {"donor_kind": "company", "postal_code": "160-0022"}
    assert query(db, "SELECT count(*) AS n FROM payments")[0]["n"] == 0


@pytest.mark.parametrize("change, field", [
    ({"amount": 0}, "amount"), ({"transferred_on": "2999-01-01"}, "transferred_on"),
    ({"email": "nope"}, "email"), ({"locale": "fr"}, "locale"),
])
def test_a_malformed_bank_transfer_notice_is_refused_and_changes_nothing(
        donations, donations_config, change, field):
    request = {"name": "A", "email": "a@example.com", "locale": "en", "amount": 1000,
               "transferred_on": today_in_tokyo().isoformat(), **change}
    with pytest.raises(errors.InvalidInput) as refused:
        call(donations, "notify_bank_transfer", request)
    assert field in refused.value.details
    assert query(donations_config["DATABASE_URL"], "SELECT count(*) AS n FROM outbox")[0][
        "n"] == 0
