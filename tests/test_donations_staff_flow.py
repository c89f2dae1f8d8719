"""Donations end to end through the gateway: the public donation routes, a staff bank
transfer that reaches the donor as a thank-you e-mail with its receipt number, and a card
dispute that reaches staff as an alert."""

import json
import time
from datetime import date

import pytest
import requests
from gateway.auth import issue_token
from servicekit.devtools.localstripe_server import create_card_payment_method, stripe_signature
from servicekit.testing import query, wait_until

WEBHOOK_SECRET = "whsec_test_donations_e2e"


@pytest.fixture
def platform(platform_factory):
    started = platform_factory("notifications", "donations", "gateway",
                               secrets={"STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET})
    secret = started.staff_secret
    return {"url": started.url, "stripe": started.stripe, "db": started.database("donations"),
            "token": lambda role="staff": issue_token(secret, "aiko@jii.example", role)}


def staff_headers(platform, role="staff"):
    return {"Authorization": f"Bearer {platform['token'](role)}"}


def test_staff_bank_transfer_reaches_the_donor_as_a_thank_you_with_its_receipt_number(
    platform, smtp_sink
):
    response = requests.post(f"{platform['url']}/api/staff/payments", timeout=30,
                             headers=staff_headers(platform), json={
        "source": "bank_transfer", "amount": 50000, "paid_on": date.today().isoformat(),
        "payer_name": "Sato Ichiro", "payer_email": "ichiro@example.com", "locale": "en",
        "reference": "MUFG #8841"})
    assert response.status_code == 201, response.text
    receipt = response.json()["receipt_number"]
    [message] = wait_until(smtp_sink.messages, timeout=30, message="the thank-you e-mail")
    assert message["To"].endswith("<ichiro@example.com>") or "ichiro@example.com" in message["To"]
    assert receipt in message.get_body(("plain",)).get_content()


def test_donation_routes_answer_tiers_a_card_gift_and_a_declined_card_with_402(platform):
    tiers = requests.get(f"{platform['url']}/api/donation-tiers", timeout=10).json()
    assert [t["amount"] for t in tiers["tiers"]] == [10000, 30000, 100000]
    gift = {"amount": 30000, "tier": "connect", "email": "d@example.com", "name": "D",
            "locale": "ja-JP",
            "payment_method": create_card_payment_method(platform["stripe"],
                                                         "4242424242424242")}
    response = requests.post(f"{platform['url']}/api/donations", json=gift, timeout=30)
    assert response.status_code == 201 and response.json()["status"] == "succeeded"
    wait_until(lambda: query(platform["db"], "SELECT 1 FROM payments"), timeout=30,
               message="the ledger entry from localstripe's webhook")

    declined = dict(gift, payment_method=create_card_payment_method(
        platform["stripe"], "4000000000000341"))
    response = requests.post(f"{platform['url']}/api/donations", json=declined, timeout=30)
    assert response.status_code == 402
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert response.json()["reason"] == "card_declined"
    assert query(platform["db"], "SELECT count(*) AS n FROM payments")[0]["n"] == 1


@pytest.mark.parametrize("body", [
    {"amount": -1}, {"amount": 0}, {"amount": 1.5}, {"amount": 10**13}, {"amount": "5000"},
    {"currency": "usd"}, {"locale": "xx"}, {"email": 5}, {},
])
def test_malformed_donation_gets_400_problem_and_changes_nothing(platform, body):
    request = {"amount": 5000, "email": "d@example.com", "name": "D", "locale": "en",
               "payment_method": "pm_x"} if body else {}
    request.update(body)
    response = requests.post(f"{platform['url']}/api/donations", json=request, timeout=10)
    assert response.status_code == 400
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert response.json()["errors"]
    assert query(platform["db"], "SELECT count(*) AS n FROM supporters")[0]["n"] == 0


def test_staff_routes_refuse_missing_and_wrong_role_tokens_and_serve_csv(platform):
    report = f"{platform['url']}/api/staff/reports/donations?from=2026-01-01&to=2026-01-31"
    assert requests.get(report, timeout=10).status_code == 401
    assert requests.get(report, timeout=10,
                        headers=staff_headers(platform, "consultant")).status_code == 403
    response = requests.get(report + "&format=csv", timeout=10,
                            headers=staff_headers(platform))
    assert response.status_code == 200 and response.headers["Content-Type"].startswith(
        "text/csv")
    assert response.text.startswith("receipt_number,paid_on,source")
    bad = requests.get(report.replace("2026-01-01", "soon"), timeout=10,
                       headers=staff_headers(platform))
    assert bad.status_code == 400


def test_a_disputed_card_gift_reaches_staff_as_one_alert_with_its_receipt_and_deadline(
    platform, smtp_sink
):
    gift = {"amount": 10000, "email": "gift@example.com", "name": "Gift Giver", "locale": "en",
            "payment_method": create_card_payment_method(platform["stripe"],
                                                         "4242424242424242")}
    assert requests.post(f"{platform['url']}/api/donations", json=gift,
                         timeout=30).status_code == 201
    # numbered moments after the payment's own commit
    [payment] = wait_until(lambda: query(
        platform["db"], "SELECT receipt_number, stripe_payment_intent_id FROM payments"
        " WHERE receipt_number IS NOT NULL"), timeout=30, message="the numbered ledger entry")
    wait_until(smtp_sink.messages, timeout=30, message="the donor's thank-you")
    due = int(time.time()) + 7 * 86400
    dispute = {"id": "dp_e2e_1", "object": "dispute", "amount": 10000, "currency": "jpy",
               "payment_intent": payment["stripe_payment_intent_id"], "reason": "fraudulent",
               "status": "needs_response", "created": int(time.time()),
               "evidence_details": {"due_by": due}}
    body = json.dumps({"id": "evt_dispute_e2e_1", "object": "event",
                       "type": "charge.dispute.created", "created": int(time.time()),
                       "data": {"object": dispute}})
    for _ in range(2):  # Stripe may deliver it twice
        response = requests.post(f"{platform['url']}/api/webhooks/stripe", data=body, timeout=30,
                                 headers={"Stripe-Signature": stripe_signature(body,
                                                                               WEBHOOK_SECRET),
                                          "Content-Type": "application/json"})
        assert response.status_code == 200, response.text

    def staff_alerts():
        return [m for m in smtp_sink.messages() if "info@j-ii.org" in m["To"]]

    [alert] = wait_until(staff_alerts, timeout=30, message="the staff dispute alert")
    text = alert.get_body(("plain",)).get_content()
    assert payment["receipt_number"] in text
    assert "gift@example.com" not in text  # staff look the supporter up; no personal data
    time.sleep(1)  # a second delivery of the webhook must not alert twice
    assert len(staff_alerts()) == 1
