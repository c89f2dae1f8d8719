"""The public site in a real Chromium (Debian's, through its chromedriver and Selenium), against
the whole platform: the gateway serving `web/`, the services, localstripe with its Stripe.js
stand-in, and an SMTP sink. Pages are checked with axe-core, and screenshots are kept under
var/artifacts/browser/ (git-ignored) as test artifacts."""

from __future__ import annotations

from pathlib import Path

import pytest
from browsing import PHONE, WEBHOOK_SECRET

HERE = Path(__file__).parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")


def pytest_collection_modifyitems(config, items):
    # Under pytest-xdist every browser test runs in one worker, one Chromium at a time.
    for item in items:
        if Path(str(item.fspath)).is_relative_to(HERE):
            item.add_marker(pytest.mark.xdist_group("browser"))
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    if not missing:
        return
    reason = (f"Chromium is not installed ({', '.join(missing)} missing): "
              "apt-get install chromium chromium-driver (deploy/system-packages.txt)")
    for item in items:
        if Path(str(item.fspath)).is_relative_to(HERE):
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core as the axe-playwright-python package ships it (a dev dependency), the same copy
    the staff console's browser tests use."""
    import axe_playwright_python

    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text()


@pytest.fixture
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-dev-shm-usage", f"--window-size={PHONE[0]},{PHONE[1]}",
                     "--lang=en-US"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(60)
    yield driver
    driver.quit()


@pytest.fixture
def site(platform_factory):
    """Every service, the gateway serving the site (localstripe's Stripe.js stand-in in its
    pages), localstripe and the SMTP sink."""
    from gateway.auth import issue_token

    started = platform_factory("notifications", "programs", "matching", "donations", "gateway",
                               secrets={"STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET},
                               overrides={"gateway": {"RATE_LIMIT_BURST": 50}})
    staff = issue_token(started.staff_secret, "staff@jii.example.org", "staff")
    return {"url": started.url, "stripe": started.stripe,
            "donations_db": started.database("donations"),
            "matching_db": started.database("matching"),
            "programs_db": started.database("programs"),
            "staff": {"Authorization": f"Bearer {staff}"}}
