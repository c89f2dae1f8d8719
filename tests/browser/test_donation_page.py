"""A donor gives on the donation page in a real browser: by card, through 3-D Secure, or with
a card the bank refuses; every page passes axe-core and is photographed in ja, en and ne."""

from __future__ import annotations

from browsing import assert_accessible, open_page, screenshot
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait
from servicekit.testing import query, wait_until
from servicekit.tokyo import today_in_tokyo as tokyo_today

VISA = "4242424242424242"
NEEDS_3DS = "4000002760003184"
DECLINED = "4000000000000341"


def fill_card(driver, number: str) -> None:
    for field, value in (("number", number), ("exp_month", "12"), ("exp_year", "34"),
                         ("cvc", "123")):
        driver.find_element(By.NAME, f"localstripe-{field}").send_keys(value)


def give_once(driver, name: str, email: str, number: str) -> None:
    driver.find_element(By.CSS_SELECTOR, "input[name=frequency][value=once]").click()
    driver.find_element(By.CSS_SELECTOR, "input[name=tier][value=connect]").click()
    driver.find_element(By.ID, "name").send_keys(name)
    driver.find_element(By.ID, "email").send_keys(email)
    fill_card(driver, number)
    driver.find_element(By.ID, "submit").click()


def receipts_to(smtp_sink, address: str) -> list:
    return [m for m in smtp_sink.messages() if address in str(m["To"])]


def payments(site) -> list[dict]:
    return query(site["donations_db"], "SELECT amount, source, receipt_number FROM payments"
                                       " ORDER BY created_at")


def test_a_donor_gives_30000_yen_in_japanese_by_card_then_through_3d_secure_and_each_gift_has_one_receipt(  # noqa: E501
        site, browser, smtp_sink, axe_source):
    open_page(browser, f"{site['url']}/donate?lang=ja")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "ja"
    assert "30,000" in browser.find_element(By.ID, "tiers").text
    assert "10人の外国人住民" in browser.find_element(By.ID, "tiers").text
    assert_accessible(browser, axe_source)
    screenshot(browser, "donate-ja")

    give_once(browser, "山田 花子", "hanako@example.com", VISA)
    WebDriverWait(browser, 30).until(ec.url_contains("/donate/thanks"))
    open_page(browser, browser.current_url)
    assert "30,000" in browser.find_element(By.ID, "thanks-amount").text
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "ja"
    assert_accessible(browser, axe_source)
    [receipt] = wait_until(lambda: receipts_to(smtp_sink, "hanako@example.com"), timeout=30,
                           message="the receipt e-mail")
    [paid] = payments(site)
    assert (paid["amount"], paid["source"]) == (30000, "card_one_time")
    assert paid["receipt_number"] in receipt.get_body(("plain",)).get_content()

    # Another donor's card asks for 3-D Secure, completed in the page.
    open_page(browser, f"{site['url']}/donate")
    give_once(browser, "Ram Thapa", "ram@example.com", NEEDS_3DS)
    complete = WebDriverWait(browser, 30).until(ec.element_to_be_clickable(
        (By.XPATH, "//button[normalize-space()='Complete authentication']")))
    complete.click()
    WebDriverWait(browser, 30).until(ec.url_contains("/donate/thanks"))
    wait_until(lambda: receipts_to(smtp_sink, "ram@example.com"), timeout=30,
               message="the receipt of the 3-D Secure gift")
    wait_until(lambda: len(payments(site)) == 2, message="both gifts in the ledger")
    # Nothing more arrives: one receipt per gift.
    assert len(receipts_to(smtp_sink, "hanako@example.com")) == 1
    assert len(receipts_to(smtp_sink, "ram@example.com")) == 1


def test_a_declined_card_is_explained_in_nepali_and_charges_nothing(
        site, browser, smtp_sink, axe_source):
    open_page(browser, f"{site['url']}/donate?lang=en")
    assert_accessible(browser, axe_source)
    screenshot(browser, "donate-en")
    # The switch changes the page at once, and is remembered on the next page.
    browser.find_element(By.CSS_SELECTOR, "nav.langs button[data-lang=ne]").click()
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "ne"
    open_page(browser, f"{site['url']}/donate")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "ne"
    assert_accessible(browser, axe_source)
    screenshot(browser, "donate-ne")

    give_once(browser, "राम थापा", "ram@example.com", DECLINED)
    alert = WebDriverWait(browser, 30).until(
        lambda d: d.find_element(By.ID, "form-alert").text or None)
    assert "कार्ड अस्वीकार भयो" in alert and "कुनै रकम काटिएको छैन" in alert
    assert "/donate/thanks" not in browser.current_url
    assert payments(site) == []
    [donation] = query(site["donations_db"], "SELECT status FROM donations")
    assert donation["status"] == "failed"
    assert smtp_sink.messages() == []

    # The same donor pays by bank transfer instead and tells staff about it.
    for field, value in (("bank-name", "राम थापा"), ("bank-email", "ram@example.com"),
                         ("bank-amount", "30000"), ("bank-payer", "ラム タパ")):
        browser.find_element(By.ID, field).send_keys(value)
    browser.execute_script("document.getElementById('bank-date').value = arguments[0]",
                           tokyo_today().isoformat())
    browser.find_element(By.CSS_SELECTOR, "#bank-form button[type=submit]").click()
    done = WebDriverWait(browser, 30).until(
        lambda d: d.find_element(By.ID, "bank-done").text or None)
    assert "धन्यवाद" in done
    [alert] = wait_until(smtp_sink.messages, timeout=30, message="the staff e-mail")
    assert "info@j-ii.org" in str(alert["To"]) and "30,000" in str(alert["Subject"])
    assert payments(site) == []  # staff record it once the money is seen at the bank
