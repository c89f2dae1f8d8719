"""Pages opened from links in e-mails, in a real browser: a supporter whose card failed updates
it from the failed-payment e-mail and the pledge is active again; a family accepts a Family
Friend offer from its e-mail, in their language."""

from __future__ import annotations

import json
import time

import requests
import stripe
from applicants import PARTNER, RESIDENT
from browsing import WEBHOOK_SECRET, assert_accessible, link_in, open_page, screenshot
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from servicekit.devtools.localstripe_server import (
    TEST_API_KEY,
    create_card_payment_method,
    stripe_signature,
)
from servicekit.testing import query, wait_until

VISA = "4242424242424242"
DECLINED_ON_CHARGE = "4000000000000341"


def mail_to(smtp_sink, address: str, subject_part: str = "") -> list:
    return [m for m in smtp_sink.messages()
            if address in str(m["To"]) and subject_part in str(m["Subject"])]


def pledge_row(site) -> dict:
    [row] = query(site["donations_db"], "SELECT * FROM pledges")
    return row


def fail_next_invoice(site, pledge: dict) -> None:
    """The next month's invoice is refused: the card on file is changed for one that every
    charge refuses, an invoice is made and tried, and Stripe's invoice.payment_failed (which
    localstripe does not send) is signed and delivered as Stripe would."""
    client = stripe.StripeClient(TEST_API_KEY, base_addresses={"api": site["stripe"]})
    [supporter] = query(site["donations_db"], "SELECT stripe_customer_id FROM supporters")
    customer = supporter["stripe_customer_id"]
    refused = create_card_payment_method(site["stripe"], DECLINED_ON_CHARGE)
    client.v1.payment_methods.attach(refused, {"customer": customer})
    client.v1.customers.update(customer, {"invoice_settings": {
        "default_payment_method": refused}})
    invoice = client.v1.invoices.create({"customer": customer,
                                         "subscription": pledge["stripe_subscription_id"]})
    invoice = client.v1.invoices.pay(invoice.id).to_dict(recursive=True)
    assert invoice["status"] == "open"
    invoice["payment_intent"] = {"id": invoice.get("payment_intent") or "pi_x",
                                 "last_payment_error": {"code": "card_declined",
                                                        "decline_code": "insufficient_funds"}}
    event = {"id": f"evt_browser_{int(time.time() * 1000)}", "object": "event",
             "api_version": "2017-08-15", "created": int(time.time()),
             "type": "invoice.payment_failed", "data": {"object": invoice}}
    body = json.dumps(event)
    answer = requests.post(f"{site['url']}/api/webhooks/stripe", data=body, timeout=30,
                           headers={"Content-Type": "application/json",
                                    "Stripe-Signature": stripe_signature(body, WEBHOOK_SECRET)})
    assert answer.status_code == 200, answer.text


def test_a_supporter_updates_the_card_from_the_failed_payment_email_and_the_pledge_is_active_again(  # noqa: E501
        site, browser, smtp_sink, axe_source):
    created = requests.post(f"{site['url']}/api/pledges", timeout=30, json={
        "amount": 3000, "email": "aiko@example.com", "name": "Aiko Tanaka", "locale": "en",
        "payment_method": create_card_payment_method(site["stripe"], VISA)})
    assert created.status_code == 201, created.text
    wait_until(lambda: pledge_row(site)["status"] == "active", timeout=30,
               message="the pledge active")
    [welcome] = wait_until(lambda: mail_to(smtp_sink, "aiko@example.com"), timeout=30,
                           message="the welcome e-mail")
    assert "/pledge?token=" in link_in(welcome, "/pledge")

    fail_next_invoice(site, pledge_row(site))
    wait_until(lambda: pledge_row(site)["status"] == "past_due", message="the pledge past due")
    [failed] = wait_until(lambda: [m for m in mail_to(smtp_sink, "aiko@example.com")
                                   if m is not welcome and "/pledge?token=" in
                                   m.get_body(("plain",)).get_content()
                                   and m["Message-ID"] != welcome["Message-ID"]],
                          timeout=30, message="the failed-payment e-mail")

    open_page(browser, link_in(failed, "/pledge"))
    assert "token" not in browser.current_url  # taken out of the address bar
    assert not browser.find_element(By.ID, "past-due").get_attribute("hidden")
    assert_accessible(browser, axe_source)
    screenshot(browser, "pledge-past-due-en")
    for field, value in (("number", VISA), ("exp_month", "12"), ("exp_year", "34"),
                         ("cvc", "123")):
        browser.find_element(By.NAME, f"localstripe-{field}").send_keys(value)
    browser.find_element(By.CSS_SELECTOR, "#card-form button[type=submit]").click()
    notice = WebDriverWait(browser, 30).until(
        lambda d: d.find_element(By.ID, "page-notice").text or None)
    assert "missed payment has been made again" in notice
    wait_until(lambda: pledge_row(site)["status"] == "active", timeout=30,
               message="the pledge active again")
    WebDriverWait(browser, 30).until(
        lambda d: d.find_element(By.ID, "pledge-status").text == "Active")
    assert len(query(site["donations_db"], "SELECT 1 FROM payments")) == 2

    # A fresh link, asked for by address: the same answer for an unknown address, and only
    # the supporter's own address gets an e-mail.
    before = len(mail_to(smtp_sink, "aiko@example.com"))
    answers = []
    for address in ("nobody@example.com", "aiko@example.com"):
        open_page(browser, f"{site['url']}/pledge/link")
        assert_accessible(browser, axe_source)
        browser.find_element(By.ID, "email").send_keys(address)
        browser.find_element(By.CSS_SELECTOR, "#link-form button[type=submit]").click()
        answers.append(WebDriverWait(browser, 30).until(
            lambda d: d.find_element(By.ID, "page-notice").text or None))
    assert answers[0] == answers[1]
    fresh = wait_until(lambda: mail_to(smtp_sink, "aiko@example.com")[before:], timeout=30,
                       message="the fresh link")
    assert "/pledge?token=" in link_in(fresh[-1], "/pledge")
    assert not mail_to(smtp_sink, "nobody@example.com")


def test_a_family_accepts_a_family_friend_offer_from_its_email_in_nepali(
        site, browser, smtp_sink, axe_source):
    def post(path, body=None, staff=False):
        response = requests.post(f"{site['url']}{path}", json=body, timeout=30,
                                 headers=site["staff"] if staff else {})
        assert response.status_code in (200, 201), response.text
        return response.json()

    for role, body in (("residents", RESIDENT), ("partners", PARTNER)):
        applied = post(f"/api/applications/{role}", body)
        post(f"/api/staff/participants/{applied['id']}/approve", staff=True)
    [proposal] = post("/api/staff/matching/runs", staff=True)["proposals"]
    post(f"/api/staff/pairings/{proposal['pairing_id']}/approve", staff=True)
    # The family also hears that their application arrived and was approved: the offer is
    # the e-mail with the response link.
    [offer] = wait_until(lambda: [m for m in mail_to(smtp_sink, "maya@example.org")
                                  if "/pairings/respond" in m.get_body(("plain",)).get_content()],
                         timeout=30, message="the offer e-mail to the family")
    accept = link_in(offer, "/pairings/respond")
    assert "answer=accept" in accept and "lang=ne" in accept

    open_page(browser, accept)
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "ne"
    assert "token" not in browser.current_url
    assert_accessible(browser, axe_source)
    # Opening the link answered nothing.
    assert query(site["matching_db"], "SELECT resident_answer FROM pairings")[0][
        "resident_answer"] is None
    consent = browser.find_element(By.ID, "share-contact")
    assert not consent.is_selected()  # sharing is asked for, never assumed
    consent.click()
    browser.find_element(By.ID, "accept").click()
    result = WebDriverWait(browser, 30).until(
        lambda d: d.find_element(By.ID, "result").text or None)
    assert "स्वीकार" in result
    [answered] = query(site["matching_db"],
                       "SELECT resident_answer, resident_shares_contact FROM pairings")
    assert (answered["resident_answer"], answered["resident_shares_contact"]) == ("accept", True)


def test_an_application_shows_the_apis_field_errors_beside_the_fields_then_is_received(
        site, browser, axe_source):
    open_page(browser, f"{site['url']}/apply?form=consultation&lang=en")
    assert_accessible(browser, axe_source)
    browser.find_element(By.ID, "f-name").send_keys("Ram Thapa")
    browser.find_element(By.ID, "f-email").send_keys("not-an-address")
    browser.find_element(By.CSS_SELECTOR, "#apply-form button[type=submit]").click()
    error = WebDriverWait(browser, 30).until(lambda d: d.find_element(
        By.CSS_SELECTOR, "[data-error-for=email]").text or None)
    assert error == "Please check the e-mail address."
    assert browser.find_element(By.ID, "f-email").get_attribute("aria-invalid") == "true"
    assert browser.find_element(By.CSS_SELECTOR, "[data-error-for=summary]").text

    browser.find_element(By.ID, "f-email").clear()
    browser.find_element(By.ID, "f-email").send_keys("ram@example.com")
    browser.find_element(By.ID, "f-summary").send_keys("My visa renewal is next month.")
    browser.find_element(By.CSS_SELECTOR, "#apply-form button[type=submit]").click()
    WebDriverWait(browser, 30).until(
        lambda d: d.find_element(By.ID, "page-notice").text or None)
    assert len(query(site["programs_db"], "SELECT 1 FROM consultations")) == 1
