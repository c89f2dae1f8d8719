"""The browser half of bench_console_feed.py: a staff console in Chromium, signed in, noting
when each event's line first appears in the live feed. Runs without eventlet (Playwright's
synchronous API cannot run under it).

    python bench/console_watcher.py URL EMAIL PASSWORD COUNT   (prints JSON {event id: ms})
"""

from __future__ import annotations

import json
import os
import sys

from playwright.sync_api import sync_playwright

# Each new line's first appearance, stamped with the page's clock (ms since the epoch).
OBSERVE = """() => {
  window.__seen = {};
  new MutationObserver((changes) => {
    const now = performance.timeOrigin + performance.now();
    for (const change of changes) for (const node of change.addedNodes) {
      const id = node.dataset && node.dataset.id;
      if (id && !(id in window.__seen)) window.__seen[id] = now;
    }
  }).observe(document.getElementById('feed'), {childList: true});
}"""


def main() -> None:
    url, email, password, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
            args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(locale="en-GB")
        page.goto(f"{url}/staff/")
        page.get_by_label("E-mail").fill(email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.locator("#feed").wait_for(state="attached")
        page.wait_for_timeout(1000)  # the first long poll is waiting
        page.evaluate(OBSERVE)
        print("ready", flush=True)
        page.wait_for_function(f"() => Object.keys(window.__seen).length >= {count}",
                               timeout=300_000, polling=500)
        seen = page.evaluate("() => window.__seen")
        browser.close()
    print(json.dumps(seen), flush=True)


if __name__ == "__main__":
    main()
