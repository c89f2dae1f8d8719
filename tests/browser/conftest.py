"""The public site in a real Chromium (Debian's, through its chromedriver and Selenium), against
the whole platform: the gateway serving `web/`, the services, localstripe with its Stripe.js
stand-in, and an SMTP sink. Pages are checked with axe-core, and screenshots are kept under
var/artifacts/browser/ (git-ignored) as test artifacts."""

from __future__ import annotations

from pathlib import Path

import pytest
from browsing import PHONE, WEBHOOK_SECRET
from servicekit.testing import free_port

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
# The organisation's transfer account as its settings give it (the donation page shows these).
BANK_ACCOUNT = {
    "BANK_NAME": "住信SBIネット銀行", "BANK_NAME_EN": "Sumishin SBI Net Bank", "BANK_CODE": "0038",
    "BANK_BRANCH": "法人第一支店", "BANK_BRANCH_EN": "Corporate First Branch",
    "BANK_BRANCH_CODE": "106", "BANK_ACCOUNT_TYPE": "ordinary", "BANK_ACCOUNT_NUMBER": "1418300",
    "BANK_ACCOUNT_HOLDER": "Japan Intercultural Intelligence",
    "BANK_ACCOUNT_HOLDER_KANA": "トクヒ）ジヤパンインターカルチユラルインテリジエンス",
}


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
def site(runner_factory, service_config, make_database, smtp_sink, localstripe_factory,
         gateway_database):
    """Every service, the gateway serving the site, localstripe and the SMTP sink."""
    from donations.service import DonationsService
    from gateway.auth import issue_token
    from gateway.service import GatewayService
    from matching.service import MatchingService
    from notifications.service import NotificationsService
    from programs.service import ProgramsService

    address = f"127.0.0.1:{free_port()}"
    url = f"http://{address}"
    stripe_base = localstripe_factory(f"{url}/api/webhooks/stripe", WEBHOOK_SECRET)
    notifications = service_config(
        make_database("notifications", ROOT / "services/notifications/migrations"),
        SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_sink.port, PUBLIC_SITE_URL=url)
    donations = service_config(
        make_database("donations", ROOT / "services/donations/migrations"),
        STRIPE_API_KEY="sk_test_localstripe", STRIPE_API_BASE=stripe_base,
        STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET, PUBLIC_SITE_URL=url,
        PLEDGE_LINK_SECRET="browser-test-pledge-link-secret-0123456789", **BANK_ACCOUNT)
    matching = service_config(
        make_database("matching", ROOT / "services/matching/migrations"), PUBLIC_SITE_URL=url,
        PAIRING_LINK_SECRET="browser-test-pairing-link-secret-0123456789")
    programs = service_config(
        make_database("programs", ROOT / "services/programs/migrations"), PUBLIC_SITE_URL=url)
    gateway = service_config(
        gateway_database, WEB_SERVER_ADDRESS=address, RPC_TIMEOUT_SECONDS=10,
        STRIPE_JS_URL=f"{stripe_base}/js.stripe.com/v3/",
        STRIPE_PUBLISHABLE_KEY="pk_test_localstripe", RATE_LIMIT_BURST=50)
    # notifications first: its queues must exist before anyone publishes
    for config, service in ((notifications, NotificationsService), (programs, ProgramsService),
                            (matching, MatchingService), (donations, DonationsService),
                            (gateway, GatewayService)):
        runner_factory(config, service).start()
    staff = issue_token(gateway["STAFF_TOKEN_SECRET"], "staff@jii.example.org", "staff")
    return {"url": url, "stripe": stripe_base, "donations_db": donations["DATABASE_URL"],
            "matching_db": matching["DATABASE_URL"], "programs_db": programs["DATABASE_URL"],
            "staff": {"Authorization": f"Bearer {staff}"}}
