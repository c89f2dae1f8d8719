"""What the browser tests do with a page: open it, check it with axe-core, photograph it."""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "var" / "artifacts" / "browser"
PHONE = (412, 915)
WEBHOOK_SECRET = "whsec_test_browser"


def open_page(driver, url: str) -> None:
    """Open `url` and wait until its script has filled the page in."""
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(url)
    WebDriverWait(driver, 20).until(
        lambda d: d.execute_script("return document.body.dataset.ready === 'true'"))


def serious_violations(driver, axe_source: str) -> list[dict]:
    """axe-core's serious and critical violations on the page as it is now."""
    driver.execute_script(axe_source)
    violations = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']})"
        ".then(r => done(r.violations), e => done([{id: 'axe-error', impact: 'critical',"
        " help: String(e), nodes: []}]));")
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "targets": [n["target"] for n in v["nodes"]][:5]}
            for v in violations if v["impact"] in ("serious", "critical")]


def assert_accessible(driver, axe_source: str) -> None:
    found = serious_violations(driver, axe_source)
    assert not found, json.dumps(found, ensure_ascii=False, indent=1)


def screenshot(driver, name: str) -> Path:
    """The whole page at phone width, kept under var/artifacts/browser/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(PHONE[0], max(PHONE[1], min(int(height) + 120, 6000)))
    path = ARTIFACTS / f"{name}.png"
    driver.save_screenshot(str(path))
    driver.set_window_size(*PHONE)
    return path


def link_in(message, path: str) -> str:
    """The first link to `path` (e.g. "/pledge") in an e-mail's plain text."""
    import re

    text = message.get_body(("plain",)).get_content()
    found = re.search(r"https?://[^\s<>\"]+" + re.escape(path) + r"\?[^\s<>\"]+", text)
    assert found, f"no {path} link in: {text}"
    return found.group(0)
