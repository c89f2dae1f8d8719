"""The staff console in real Chromium: the platform runs here, the browser flows
(tests/browser/console_flows.py) in a pytest of their own without eventlet, which
Playwright's synchronous API cannot run under."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from gateway.accounts import add_account
from matching.clock import Clock, system_now
from matching.service import MatchingService
from nameko.testing.utils import get_container, get_extension
from servicekit.db import connect

ROOT = Path(__file__).resolve().parents[1]
FLOWS = ROOT / "tests" / "browser" / "console_flows.py"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
WEBHOOK_SECRET = "whsec_console_browser_tests"
PASSWORD = "a long enough password"
# Receipts are issued only once the organisation's details are set.
RECEIPT_ORG = {"RECEIPT_ORG_NAME": "特定非営利活動法人 Japan Intercultural Intelligence",
               "RECEIPT_ORG_ADDRESS": "東京都渋谷区神南一丁目1番1号",
               "RECEIPT_CERTIFICATION_NUMBER": "生都管第1234号",
               "RECEIPT_CERTIFICATION_DATE": "2020-04-01"}
# Under pytest-xdist every browser test runs in one worker, one Chromium at a time.
pytestmark = pytest.mark.xdist_group("browser")
ACCOUNTS = (("admin@j-ii.org", "admin"), ("staff@j-ii.org", "staff"),
            ("consultant@j-ii.org", "consultant"))


class OffsetClock:
    """The matching service's clock in the browser flows: the system time moved on by the
    seconds the flows write to a file (JII_CONSOLE_CLOCK_FILE), so that a spot visit booked
    ahead can be over when its hours are logged, as staff do the day after."""

    def __init__(self, path: Path):
        self.path = path

    def __call__(self) -> datetime:
        offset = float(self.path.read_text()) if self.path.exists() else 0.0
        return system_now() + timedelta(seconds=offset)


@pytest.fixture
def console_platform(platform_factory, tmp_path) -> dict:
    clock_file = tmp_path / "matching-clock-offset"

    def on_the_offset_clock(name, runner):
        if name == "matching":
            get_extension(get_container(runner, MatchingService), Clock).source = \
                OffsetClock(clock_file)

    # notifications is here for the dead-letter queues the console shows (its timer is not
    # needed: once an hour).
    started = platform_factory(
        "donations", "matching", "notifications", "programs", "gateway",
        secrets={"STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET}, prepare=on_the_offset_clock,
        overrides={"donations": RECEIPT_ORG, "notifications": {"DLQ_WATCH_SECONDS": 3600},
                   "gateway": {"RPC_TIMEOUT_SECONDS": 20, "RATE_LIMIT_BURST": 1000,
                               "RATE_LIMIT_PER_MINUTE": 60000}})
    gateway_database = started.database("gateway")
    with connect(gateway_database) as conn:
        for email, role in ACCOUNTS:
            add_account(conn, email, PASSWORD, role)
        conn.commit()
    return {"url": started.url, "stripe": started.stripe, "gateway_db": gateway_database,
            "clock_file": clock_file, "amqp": started.amqp_uri}


@pytest.mark.slow
@pytest.mark.skipif(not Path(CHROMIUM).exists(),
                    reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)")
def test_staff_sign_in_watch_the_feed_record_match_enrol_and_are_kept_from_case_notes(
        console_platform):
    env = {**os.environ, "JII_CONSOLE_URL": console_platform["url"],
           "JII_CONSOLE_STRIPE": console_platform["stripe"],
           "JII_CONSOLE_GATEWAY_DB": console_platform["gateway_db"],
           "JII_CONSOLE_CLOCK_FILE": str(console_platform["clock_file"]),
           "JII_CONSOLE_AMQP": console_platform["amqp"]}
    # subprocess is green under eventlet: the platform keeps serving while the browser runs.
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "--noconftest", "-p", "no:cacheprovider",
         "-p", "no:nameko", "-q", "-o", "python_files=console_flows.py", str(FLOWS)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    (ROOT / "var" / "artifacts").mkdir(parents=True, exist_ok=True)
    (ROOT / "var" / "artifacts" / "console_flows.log").write_text(run.stdout + run.stderr)
    assert run.returncode == 0, run.stdout[-8000:] + run.stderr[-2000:]
