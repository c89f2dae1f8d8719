"""A donor who uses only the keyboard becomes a JII Partner: Tab and Shift+Tab to move, Enter
and Space to press, arrow keys within a group of choices; no click anywhere. Whatever has the
focus shows it."""

from __future__ import annotations

from browsing import open_page
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait
from servicekit.testing import query, wait_until

VISA = "4242424242424242"
MAX_TABS = 80


def press(driver, *keys: str) -> None:
    ActionChains(driver).send_keys(*keys).perform()


def focused(driver):
    return driver.switch_to.active_element


# The focused element's outline, and its contrast with what it is drawn on (the background of
# the nearest ancestor that has one): WCAG asks 3:1 of a focus indicator.
FOCUS_RING = """
const luminance = color => {
  const [r, g, b] = color.match(/[\\d.]+/g).slice(0, 3).map(v => {
    const c = Number(v) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
};
const opaque = color => !/rgba\\(.*,\\s*0\\)$|transparent/.test(color);
const style = getComputedStyle(document.activeElement);
let under = document.activeElement.parentElement;
while (under && !opaque(getComputedStyle(under).backgroundColor)) under = under.parentElement;
const ground = under ? getComputedStyle(under).backgroundColor : 'rgb(255, 255, 255)';
const [hi, lo] = [luminance(style.outlineColor), luminance(ground)].sort((a, b) => b - a);
return {style: style.outlineStyle, width: parseFloat(style.outlineWidth),
        contrast: (hi + 0.05) / (lo + 0.05)};
"""


def shows_focus(driver) -> bool:
    """The focused element is drawn with a visible ring (the site's :focus-visible outline)
    that stands out from what is around it."""
    ring = driver.execute_script(FOCUS_RING)
    return ring["style"] != "none" and ring["width"] >= 2 and ring["contrast"] >= 3


def tab_to(driver, selector: str, backwards: bool = False):
    """Press Tab (or Shift+Tab) until the element matching `selector` has the focus."""
    for _ in range(MAX_TABS):
        if driver.execute_script("return document.activeElement.matches(arguments[0])",
                                 selector):
            assert shows_focus(driver), f"{selector} has the focus but does not show it"
            return focused(driver)
        press(driver, Keys.SHIFT + Keys.TAB if backwards else Keys.TAB)
    raise AssertionError(f"{selector} cannot be reached with the keyboard")


def checked(driver, name: str) -> str:
    return driver.execute_script(
        "return document.querySelector(`input[name='${arguments[0]}']:checked`).value", name)


def test_a_donor_becomes_a_monthly_partner_with_the_keyboard_alone(site, browser, smtp_sink):
    open_page(browser, f"{site['url']}/donate?lang=en")

    # The first Tab reaches the skip link, which shows itself.
    skip = tab_to(browser, "a.skip")
    assert skip.is_displayed() and skip.rect["x"] >= 0

    # The language switch: Enter on one button, Space on another after Shift+Tab.
    tab_to(browser, "nav.langs button[data-lang=ne]")
    press(browser, Keys.ENTER)
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "ne"
    tab_to(browser, "nav.langs button[data-lang=en]", backwards=True)
    press(browser, Keys.SPACE)
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"

    # Monthly or once, then the tier: arrow keys move within each group.
    tab_to(browser, "input[name=frequency]:checked")
    press(browser, Keys.ARROW_RIGHT)
    assert checked(browser, "frequency") == "once"
    press(browser, Keys.ARROW_LEFT)
    assert checked(browser, "frequency") == "monthly"
    tab_to(browser, "input[name=tier]:checked")
    press(browser, Keys.ARROW_LEFT)
    assert checked(browser, "tier") == "class"
    assert "10,000" in browser.find_element(By.ID, "submit").text

    tab_to(browser, "#name")
    press(browser, "Sita Rai")
    tab_to(browser, "#email")
    press(browser, "sita@example.com")

    # The card field, then the button; each part of the card is reached by Tab.
    for part, value in (("number", VISA), ("exp_month", "12"), ("exp_year", "34"),
                        ("cvc", "123")):
        tab_to(browser, f"[name=localstripe-{part}]")
        press(browser, value)
    tab_to(browser, "#submit")
    press(browser, Keys.ENTER)

    WebDriverWait(browser, 30).until(ec.url_contains("/donate/thanks"))
    open_page(browser, browser.current_url)
    assert "10,000" in browser.find_element(By.ID, "thanks-amount").text
    wait_until(lambda: query(site["donations_db"], "SELECT status, amount FROM pledges")
               == [{"status": "active", "amount": 10000}], timeout=30,
               message="the pledge active")
    wait_until(lambda: query(site["donations_db"], "SELECT amount FROM payments")
               == [{"amount": 10000}], timeout=30, message="the first month paid")
    # And the thank-you page's own link home is reachable too.
    tab_to(browser, "main a[href='/']")
