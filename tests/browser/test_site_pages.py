"""Every page of the public site passes axe-core (no serious or critical violation) in the state
a visitor meets it; the API's field errors are shown in the page's language; the area of an
application is chosen from the list the matching service understands."""

from __future__ import annotations

import json

import requests
from browsing import link_in, open_page, serious_violations
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait
from servicekit.devtools.localstripe_server import create_card_payment_method
from servicekit.testing import query, wait_until

VISA = "4242424242424242"
FORMS = ("resident", "partner", "spot", "hanamaru", "consultation")
# (address, language): every page, each of the donation page's and the thank-you page's
# languages, and each application form.
PAGES = [
    ("/", "ja"), ("/?", "ne"),
    ("/donate", "ja"), ("/donate", "en"), ("/donate", "ne"),
    ("/donate/thanks", "ja"), ("/donate/thanks", "en"), ("/donate/thanks", "ne"),
    ("/pledge/link", "ne"),
    # the offer page as its e-mail link opens it: opening answers nothing, the buttons wait
    ("/pairings/respond?token=offer-token-from-the-email&answer=accept", "ne"),
    *[(f"/apply?form={form}", lang) for form, lang in zip(
        FORMS, ("ne", "ja", "en", "ne", "ja"), strict=True)],
]


def with_lang(path: str, lang: str) -> str:
    return f"{path}{'&' if '?' in path else '?'}lang={lang}"


def pledge_link(site, smtp_sink) -> str:
    """The self-service link of a fresh monthly pledge, from its welcome e-mail."""
    created = requests.post(f"{site['url']}/api/pledges", timeout=30, json={
        "amount": 3000, "email": "aiko@example.com", "name": "Aiko Tanaka", "locale": "en",
        "payment_method": create_card_payment_method(site["stripe"], VISA)})
    assert created.status_code == 201, created.text
    [welcome] = wait_until(lambda: [m for m in smtp_sink.messages()
                                    if "aiko@example.com" in str(m["To"])],
                           timeout=30, message="the welcome e-mail")
    return link_in(welcome, "/pledge")


def test_every_page_has_no_serious_or_critical_axe_violation_in_the_state_a_visitor_meets_it(
        site, browser, smtp_sink, axe_source):
    found = {}
    for path, lang in PAGES:
        if path == "/donate/thanks":
            # the thank-you page as a gift leaves it: the amount kept for this tab
            open_page(browser, f"{site['url']}/")
            browser.execute_script("sessionStorage.setItem('jii.thanks', arguments[0])",
                                   json.dumps({"amount": 30000, "monthly": True}))
        open_page(browser, site["url"] + with_lang(path, lang))
        assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == lang
        if path == "/donate" and lang == "ja":
            # the transfer account's name in kana comes from the organisation's settings
            account = browser.find_element(By.ID, "bank-account").text
            assert "トクヒ）ジヤパンインターカルチユラルインテリジエンス" in account
            assert "1418300" in account and "住信SBIネット銀行" in account
        found[with_lang(path, lang)] = serious_violations(browser, axe_source)

    open_page(browser, pledge_link(site, smtp_sink))
    WebDriverWait(browser, 30).until(
        lambda d: d.find_element(By.ID, "pledge-status").text or None)
    found["/pledge (active)"] = serious_violations(browser, axe_source)
    failing = {page: violations for page, violations in found.items() if violations}
    assert not failing, json.dumps(failing, ensure_ascii=False, indent=1)
    assert len(found) == len(PAGES) + 1


def submit_application(driver) -> None:
    driver.find_element(By.CSS_SELECTOR, "#apply-form button[type=submit]").click()


def error_beside(driver, field: str) -> str:
    return WebDriverWait(driver, 30).until(lambda d: d.find_element(
        By.CSS_SELECTOR, f"[data-error-for='{field}']").text or None)


def test_field_errors_are_in_the_pages_language_and_the_area_is_chosen_from_matchings_list(
        site, browser, axe_source):
    # Nepali: a family's application sent with nothing filled in, then a bad address.
    open_page(browser, f"{site['url']}/apply?form=resident&lang=ne")
    area = Select(browser.find_element(By.ID, "f-area"))
    labels = [option.text for option in area.options]
    assert "शिन्जुकु" in labels and "हाचिओजी" in labels  # a ward and a Tama city
    groups = [g.get_attribute("label") for g in browser.find_elements(By.CSS_SELECTOR,
                                                                       "#f-area optgroup")]
    assert groups[:2] == ["टोकियोका २३ वडा", "तामा क्षेत्रका सहर"]
    codes = {option.get_attribute("value") for option in area.options} - {""}
    listed = requests.get(f"{site['url']}/api/areas", timeout=30).json()["areas"]
    assert codes == {a["code"] for a in listed}  # the page offers exactly matching's list
    submit_application(browser)
    assert error_beside(browser, "name") == "कृपया यो भर्नुहोस्।"
    assert error_beside(browser, "area") == "कृपया यो भर्नुहोस्।"
    assert serious_violations(browser, axe_source) == []
    browser.find_element(By.ID, "f-name").send_keys("माया गुरुङ")
    browser.find_element(By.ID, "f-email").send_keys("not-an-address")
    submit_application(browser)
    assert error_beside(browser, "email") == "कृपया इमेल ठेगाना जाँच्नुहोस्।"
    assert "Not a valid" not in browser.find_element(By.ID, "apply-form").text

    # Japanese: a Spot Otonari-san request with a note too long and nothing chosen.
    open_page(browser, f"{site['url']}/apply?form=spot&lang=ja")
    browser.find_element(By.ID, "f-name").send_keys("グルン マヤ")
    browser.find_element(By.ID, "f-email").send_keys("maya@example.org")
    browser.find_element(By.ID, "f-note").send_keys("あ" * 2001)
    submit_application(browser)
    assert error_beside(browser, "note") == "2000文字以内で入力してください。"
    assert error_beside(browser, "area") == "入力してください。"
    assert error_beside(browser, "languages") == "入力してください。"
    text = browser.find_element(By.ID, "apply-form").text
    assert "Longer than" not in text and "Missing data" not in text

    # The area is one of matching's: the chosen ward is what the request records.
    browser.find_element(By.ID, "f-note").clear()
    Select(browser.find_element(By.ID, "f-area")).select_by_visible_text("中野区")
    browser.find_element(By.ID, "f-languages-ne").click()
    browser.execute_script(
        "document.getElementById('f-starts_at').value = arguments[0]", "2099-01-01T10:00")
    submit_application(browser)
    assert error_beside(browser, "starts_at") == "6か月先までの日時を選んでください。"
    browser.execute_script(
        "const at = new Date(Date.now() + 7 * 86400000); at.setMinutes(0, 0, 0);"
        "document.getElementById('f-starts_at').value ="
        " new Date(at - at.getTimezoneOffset() * 60000).toISOString().slice(0, 16);")
    submit_application(browser)
    WebDriverWait(browser, 30).until(lambda d: d.find_element(By.ID, "page-notice").text or None)
    [request] = query(site["matching_db"], "SELECT area FROM spot_requests")
    assert request["area"] == "nakano"

    # The service refuses an area outside its list: the form cannot send one, nor can anyone.
    refused = requests.post(f"{site['url']}/api/spot-requests", timeout=30, json={
        "name": "Maya Gurung", "email": "maya@example.org", "locale": "ne", "kind": "hospital",
        "starts_at": "2099-01-01T01:00:00Z", "area": "atlantis", "languages": ["ne"]})
    assert refused.status_code == 400 and "area" in refused.json()["errors"]
