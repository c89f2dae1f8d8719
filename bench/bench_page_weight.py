"""Page weight of the donation page (issue: under 150 KB on first load, Stripe.js aside):
the bytes a fresh Chromium transfers to show `/donate` (HTML, CSS, scripts, the API's JSON),
measured from the browser's own Resource Timing, beside the budget and beside Stripe.js.

    .venv/bin/python bench/bench_page_weight.py [--repeats 3]

Needs Debian's chromium and chromedriver, the local RabbitMQ and PostgreSQL; starts
localstripe (whose Stripe.js stand-in stands for Stripe's), programs, donations and the
gateway itself, and removes what it created. Each repeat is a new browser profile (a cold
cache). Prints every resource of the last load, then the totals.
"""

from __future__ import annotations

import eventlet  # noqa: E402

eventlet.monkey_patch()

import argparse  # noqa: E402
import logging  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402

from benchkit import Vhost, fresh_databases, service_runner  # noqa: E402
from servicekit import platform  # noqa: E402
from servicekit.devtools.localstripe_server import start_localstripe  # noqa: E402
from servicekit.devtools.localstripe_server import stop as stop_process  # noqa: E402
from servicekit.migrations import drop_database  # noqa: E402
from servicekit.testing import free_port  # noqa: E402

BUDGET = 150 * 1024

# Every resource the page loaded, with what went over the wire (headers included).
ENTRIES = """
const nav = performance.getEntriesByType('navigation')[0];
return [{name: nav.name, bytes: nav.transferSize}].concat(
  performance.getEntriesByType('resource').map(e => ({name: e.name, bytes: e.transferSize})));
"""


def load_once(url: str) -> list[dict]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.support.ui import WebDriverWait

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-dev-shm-usage", "--window-size=412,915"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        driver.get(url)
        WebDriverWait(driver, 30).until(
            lambda d: d.execute_script("return document.body.dataset.ready === 'true'"))
        return driver.execute_script(ENTRIES)
    finally:
        driver.quit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    vhost = Vhost()
    databases = fresh_databases(("gateway", "programs", "donations"))
    stripe_port = free_port()
    stripe = start_localstripe(stripe_port, log=subprocess.DEVNULL)
    stripe_base = f"http://127.0.0.1:{stripe_port}"
    address = f"127.0.0.1:{free_port()}"
    # The services' own config.yml (the transfer account the page shows included), on this
    # bench's broker, databases and localstripe.
    inputs = platform.Inputs(
        amqp_uri=vhost.uri, databases=databases, gateway_address=address,
        stripe_base=stripe_base, stripe_key=platform.LOCALSTRIPE_API_KEY,
        secrets={"STRIPE_WEBHOOK_SECRET": "whsec_bench",
                 "STAFF_TOKEN_SECRET": "bench-secret-bench-secret-bench-secret"},
        settings={"LOG_LEVEL": "WARNING"})
    runners = []
    try:
        runners += platform.start_in_process(platform.configs(inputs, databases),
                                             service_runner).values()
        site, stripe_bytes = [], []
        for _ in range(args.repeats):
            entries = load_once(f"http://{address}/donate?lang=ja")
            ours = [e for e in entries if not e["name"].startswith(stripe_base)]
            site.append(sum(e["bytes"] for e in ours))
            stripe_bytes.append(sum(e["bytes"] for e in entries if e not in ours))
        for entry in entries:
            print(f"  {entry['bytes']:>7} B  {entry['name']}")
        median = statistics.median(site)
        print(f"donation page, first load: {median / 1024:.1f} KB transferred "
              f"(median of {args.repeats}), budget {BUDGET / 1024:.0f} KB "
              f"-> {median / BUDGET:.2f} of the budget")
        # Another origin without Timing-Allow-Origin: the browser reports its size as 0.
        print(f"Stripe.js: not counted (localstripe's stand-in here, "
              f"{statistics.median(stripe_bytes) / 1024:.1f} KB visible to the page)")
    finally:
        for runner in reversed(runners):
            runner.kill()
        stop_process(stripe)
        vhost.delete()
        for url in databases.values():
            drop_database(url)


if __name__ == "__main__":
    main()
