"""The staff console in real Chromium, as staff use it: sign-in kept alive by the refresh
cookie, the live feed, a bank transfer and its receipt, the donation report, a matching
proposal approved, a child enrolled past capacity, case notes kept from the wrong role, a
class's capacity raised and a session cancelled, an expert assigned and a consultation moved
on, a spot request reassigned and completed with its hours, the console in Nepali; each page
checked with axe-core, the main flows driven from the keyboard. Screenshots go to
var/artifacts/.

Run by tests/test_staff_console_browser.py, which starts the platform, in a pytest of its own
without the root conftest: Playwright's synchronous API cannot run under eventlet's monkey
patching (the platform's processes need it; this one must not have it).
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
import requests
from applicants import PARTNER, RESIDENT
from playwright.sync_api import expect
from servicekit.devtools.localstripe_server import create_card_payment_method
from servicekit.testing import park_dead_letter

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "var" / "artifacts"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
PASSWORD = "a long enough password"
ADMIN = "admin@j-ii.org"
VISA = "4242424242424242"


@pytest.fixture(scope="module")
def platform() -> dict:
    return {"url": os.environ["JII_CONSOLE_URL"], "stripe": os.environ["JII_CONSOLE_STRIPE"],
            "gateway_db": os.environ["JII_CONSOLE_GATEWAY_DB"],
            "clock_file": Path(os.environ["JII_CONSOLE_CLOCK_FILE"])}


def wait_for_row(url: str, sql: str, timeout: float = 30) -> None:
    import time

    deadline = time.monotonic() + timeout
    with psycopg.connect(url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            if conn.execute(sql).fetchone():
                return
            time.sleep(0.1)
    raise AssertionError(f"no row for {sql!r} after {timeout}s")


@pytest.fixture(scope="module")
def browser() -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM,
                                              args=["--disable-gpu", "--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture
def refusals() -> list[str]:
    """HTTP statuses a test provokes on purpose (a refusal the page must show): Chromium logs
    each as a console error, which is otherwise a failure."""
    return ["401"]


@pytest.fixture
def page(browser, request, refusals) -> Iterator:
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: message.type == "error"
            and not any(status in message.text for status in refusals)
            and errors.append(message.text))
    page.set_default_timeout(15_000)
    yield page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()
    assert not errors, errors


def sign_in(page, platform: dict, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{platform['url']}/staff/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Sign out").wait_for()


def sign_in_by_keyboard(page, platform: dict, email: str) -> None:
    page.goto(f"{platform['url']}/staff/")
    expect(page.get_by_role("heading", name="Staff sign-in")).to_be_visible()
    page.keyboard.press("Tab")  # the skip link
    page.get_by_label("E-mail").focus()
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def staff_headers(platform: dict, email: str = ADMIN) -> dict:
    """A bearer token for setting the scene through the API, as another office would."""
    answer = requests.post(f"{platform['url']}/api/staff/session", timeout=30,
                           json={"email": email, "password": PASSWORD})
    assert answer.status_code == 201, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def serious_accessibility_violations(page) -> list[str]:
    """axe-core's serious and critical findings on the page as it is now (axe-core comes from
    the axe-playwright-python package, installed with the project's dev dependencies)."""
    import axe_playwright_python

    script = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text()
    page.evaluate(script)
    results = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [f"{v['id']} ({v['impact']}): {v['help']} at "
            f"{[node['target'] for node in v['nodes']][:3]}"
            for v in results["violations"] if v["impact"] in ("serious", "critical")]


def accessible(page) -> None:
    assert serious_accessibility_violations(page) == []


def test_an_admin_sees_a_pledge_live_records_a_bank_transfer_with_its_receipt_and_the_report(
        platform, page):
    page.goto(f"{platform['url']}/staff/")
    accessible(page)  # the sign-in page
    sign_in(page, platform, ADMIN)
    expect(page.get_by_role("heading", name="Live activity")).to_be_visible()

    # A pledge made on the public side appears in the feed without a reload.
    method = create_card_payment_method(platform["stripe"], VISA)
    pledged = requests.post(f"{platform['url']}/api/pledges", timeout=30, json={
        "amount": 3000, "email": "hanako@example.org", "name": "Yamada Hanako",
        "locale": "ja", "payment_method": method})
    assert pledged.status_code == 201, pledged.text
    wait_for_row(platform["gateway_db"],
                 "SELECT 1 FROM staff_events WHERE type = 'pledge_started'")
    # Stored in the gateway's feed, it is on the page within 2 s.
    expect(page.locator("#feed li[data-type=pledge_started]")).to_be_visible(timeout=2000)
    page.locator("#feed-source").select_option("matching")
    expect(page.locator("#feed li[data-type=pledge_started]")).to_have_count(0)
    page.locator("#feed-source").select_option("")
    accessible(page)

    # A reload keeps the session: the refresh cookie, not a stored token.
    page.reload()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    assert page.evaluate("JSON.stringify(localStorage)").find("eyJ") == -1
    assert page.evaluate("document.cookie") == ""  # the refresh cookie is httpOnly

    page.get_by_role("link", name="Donations").click()
    form = page.locator("#payment-form")
    form.get_by_label("Kind").select_option("bank_transfer")
    form.get_by_label("Amount (yen)").fill("50000")
    form.get_by_label("Payer name").fill("Suzuki Taro")
    form.get_by_label("Payer e-mail").fill("taro@example.org")
    form.get_by_label("Reference").fill("MUFG 2026-0412")
    form.get_by_role("button", name="Record payment").click()
    expect(page.locator("#status")).to_contain_text("Receipt R")
    receipt = page.locator("#recorded .receipt").first
    expect(receipt).to_have_text(re.compile(r"^R\d{4}-\d{6}$"))

    page.locator("#report-form").get_by_role("button", name="Show report").click()
    expect(page.get_by_role("img", name=re.compile("Income by source"))).to_be_visible()
    expect(page.locator("#report")).to_contain_text("¥50,000")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").click()
    csv = Path(download.value.path()).read_text(encoding="utf-8")
    assert receipt.inner_text() in csv and "bank_transfer" in csv
    accessible(page)

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Staff sign-in")).to_be_visible()
    page.reload()
    expect(page.get_by_role("heading", name="Staff sign-in")).to_be_visible()


def test_an_admin_finds_a_payments_receipt_downloads_it_and_reissues_it_with_a_reason(
        platform, page):
    url = platform["url"]
    token = requests.post(f"{url}/api/staff/session", timeout=30, json={
        "email": ADMIN, "password": PASSWORD}).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    payment = requests.post(f"{url}/api/staff/payments", headers=headers, timeout=30, json={
        "source": "bank_transfer", "amount": 40000, "paid_on": "2026-04-01",
        "payer_name": "Tanaka Ichiro", "payer_email": "ichiro@example.org", "locale": "en",
        "reference": "Resona 2026-0401", "postal_address": {
            "postal_code": "164-0001", "prefecture": "東京都", "city": "中野区",
            "line1": "中野1-1-1"}})
    assert payment.status_code == 201, payment.text
    number = payment.json()["receipt_number"]
    wait_for(lambda: requests.get(f"{url}/api/staff/receipts", params={"number": number},
                                  headers=headers, timeout=30).json()["receipts"])

    sign_in(page, platform, ADMIN)
    page.get_by_role("link", name="Receipts").click()
    filters = page.locator("#receipt-filters")
    filters.get_by_label("Receipt number").fill(number)
    filters.get_by_label("Status").select_option("issued")
    filters.get_by_role("button", name="Show receipts").click()
    row = page.locator(f'#receipts tr[data-number="{number}"]')
    expect(row).to_contain_text("Tanaka Ichiro")
    expect(row).to_contain_text("¥40,000")
    expect(row).to_contain_text("In force")
    with page.expect_download() as download:
        row.get_by_role("button", name="PDF (English translation)").click()
    assert download.value.suggested_filename == f"{number}-en.pdf"
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF-")
    accessible(page)

    row.get_by_label("Reason").fill("Name misspelt")
    row.get_by_role("button", name="Void and reissue").click()
    expect(page.locator("#status")).to_contain_text(f"its replacement is {number}-2")
    # the list is drawn again with the same filters: only the replacement is in force
    expect(page.locator(f'#receipts tr[data-number="{number}-2"]')).to_contain_text("In force")
    expect(page.locator(f'#receipts tr[data-number="{number}"]')).to_have_count(0)
    filters.get_by_label("Status").select_option("")
    filters.get_by_role("button", name="Show receipts").click()
    voided = page.locator(f'#receipts tr[data-number="{number}"]')
    expect(voided).to_contain_text("Void")
    expect(voided).to_contain_text("Name misspelt")
    expect(voided).to_contain_text(f"replaced by {number}-2")
    expect(voided.get_by_role("button", name="Void and reissue")).to_have_count(0)
    accessible(page)


def wait_for(found, timeout: float = 60) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not found():
        if time.monotonic() > deadline:
            raise AssertionError(f"not there after {timeout}s")
        time.sleep(0.2)


def test_an_admin_screens_two_applications_runs_a_proposal_and_approves_the_offer(
        platform, page):
    for role, body in (("residents", RESIDENT), ("partners", PARTNER)):
        answer = requests.post(f"{platform['url']}/api/applications/{role}", json=body,
                               timeout=30)
        assert answer.status_code == 201, answer.text
    sign_in(page, platform, ADMIN)
    page.get_by_role("link", name="Matching").click()
    for name in ("Maya Gurung", "Sato Yuki"):
        row = page.locator("#applications tr", has_text=name)
        row.get_by_role("button", name="Approve").click()
        expect(page.locator("#applications tr", has_text=name)).to_have_count(0)
    accessible(page)

    page.get_by_role("button", name="Run a proposal").click()
    proposal = page.locator("#proposals tr", has_text="Maya Gurung")
    expect(proposal).to_contain_text("Sato Yuki")
    expect(proposal).to_contain_text("children 1.00")  # the score's breakdown per term
    proposal.get_by_role("button", name="Approve and offer").click()
    expect(proposal).to_contain_text("offered")
    accessible(page)


def test_a_class_made_and_filled_from_the_keyboard_puts_the_second_child_on_the_waitlist(
        platform, page):
    sign_in_by_keyboard(page, platform, ADMIN)  # without the mouse

    page.get_by_role("link", name="Programs").focus()
    page.keyboard.press("Enter")
    form = page.locator("#class-form")
    form.get_by_label("Title").focus()
    for text in ("Hanamaru Class Toshima", "Ikebukuro Library", "Sundays 14:00-15:30",
                 "katakana"):
        page.keyboard.type(text)
        page.keyboard.press("Tab")
    page.keyboard.press("Control+A")
    page.keyboard.type("1")
    page.keyboard.press("Tab")
    page.keyboard.type("2026-06-07T14:00:00+09:00, 2026-06-14T14:00:00+09:00")
    page.keyboard.press("Enter")
    link = page.get_by_role("link", name="Hanamaru Class Toshima")
    link.focus()
    page.keyboard.press("Enter")

    for n in (1, 2):
        enrol = page.locator("#enrol-form")
        enrol.get_by_label("Child's first name").focus()
        page.keyboard.type(f"Sita{n}")
        page.keyboard.press("Tab")
        page.keyboard.type("Gurung")
        page.keyboard.press("Tab")
        page.keyboard.type("Grade 1")
        page.keyboard.press("Tab")  # age: the grade is enough
        page.keyboard.press("Tab")
        page.keyboard.press("Tab")  # languages: ja already
        page.keyboard.type("Maya Gurung")
        page.keyboard.press("Tab")
        page.keyboard.type(f"maya{n}@example.org")
        page.keyboard.press("Tab")
        page.keyboard.press("Tab")  # locale: ja already
        page.keyboard.press("Space")  # participation consent
        page.keyboard.press("Enter")
        expected = "a seat is confirmed" if n == 1 else "on the waitlist"
        expect(page.locator("#status")).to_contain_text(expected)
        # The roster is drawn again before the next child is entered.
        expect(page.get_by_role("heading", name="Enrolled (1)")).to_be_visible()
    expect(page.locator("#waitlist li")).to_have_count(1)
    expect(page.locator("#waitlist")).to_contain_text("Sita2 Gurung")
    expect(page.get_by_role("heading", name="Enrolled (1)")).to_be_visible()
    accessible(page)


def test_staff_cannot_open_case_notes_which_a_consultant_reads(platform, page,
                                                                 browser):
    opened = requests.post(f"{platform['url']}/api/consultations", timeout=30, json={
        "topic": "housing", "language": "ne", "urgency": "urgent",
        "summary": "The landlord wants us out within a week.", "email": "ram@example.org",
        "locale": "ne", "name": "Ram Thapa"})
    assert opened.status_code == 201, opened.text
    consultation = opened.json()["id"]

    sign_in(page, platform, "staff@j-ii.org")
    page.goto(f"{platform['url']}/staff/#/programs/consultation/{consultation}")
    expect(page.locator("#notes-refused")).to_contain_text("only consultants and admins")
    expect(page.locator("#notes")).to_have_count(0)
    token = requests.post(f"{platform['url']}/api/staff/session", timeout=30, json={
        "email": "staff@j-ii.org", "password": PASSWORD}).json()["token"]
    refused = requests.get(f"{platform['url']}/api/staff/consultations/{consultation}/notes",
                           headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert refused.status_code == 403
    accessible(page)

    consultant = browser.new_context(locale="en-GB").new_page()
    sign_in(consultant, platform, "consultant@j-ii.org")
    expect(consultant.get_by_role("link", name="Donations")).to_be_hidden()
    consultant.goto(f"{platform['url']}/staff/#/programs/consultation/{consultation}")
    consultant.get_by_label("New case note").fill("Called the ward's housing desk.")
    consultant.get_by_role("button", name="Add note").click()
    expect(consultant.locator("#notes li")).to_contain_text("housing desk")


def test_from_the_keyboard_an_admin_raises_a_class_capacity_and_cancels_a_session(
        platform, page, refusals):
    refusals.append("409")  # the capacity below the seats taken
    ahead = datetime.now(UTC) + timedelta(days=20)
    created = requests.post(f"{platform['url']}/api/staff/classes", timeout=30, json={
        "title": "Hanamaru Class Nakano", "venue": "Nakano Ward Office", "level": "hiragana",
        "schedule": "Saturdays 10:00-11:30", "capacity": 1,
        "sessions": [{"starts_at": (ahead + timedelta(days=7 * n)).isoformat()}
                     for n in range(2)]}, headers=staff_headers(platform))
    assert created.status_code == 201, created.text
    cls = created.json()
    for first, email, locale in (("Aarav", "sita@example.org", "ne"),
                                 ("Lily", "emily@example.org", "en")):
        enrolled = requests.post(f"{platform['url']}/api/classes/{cls['id']}/enrollments",
                                 timeout=30, json={
            "child_first_name": first, "child_last_name": "Gurung", "child_grade": "Grade 2",
            "languages": ["ja"], "guardian_name": f"Guardian of {first}",
            "guardian_email": email, "guardian_locale": locale,
            "participation_consent": True, "photo_consent": False})
        assert enrolled.status_code == 201, enrolled.text

    sign_in_by_keyboard(page, platform, ADMIN)
    page.get_by_role("link", name="Programs").focus()
    page.keyboard.press("Enter")
    page.get_by_role("link", name="Hanamaru Class Nakano").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Enrolled (1)")).to_be_visible()

    # A second seat: the child waiting gets it.
    page.get_by_text("Edit class").focus()
    page.keyboard.press("Enter")  # opens the form
    page.locator("#class-edit-form").get_by_label("Capacity").focus()
    page.keyboard.press("Control+A")
    page.keyboard.type("2")
    page.keyboard.press("Enter")
    expect(page.locator("#status")).to_contain_text("1 from the waitlist now have a seat")
    expect(page.get_by_role("heading", name="Enrolled (2)")).to_be_visible()
    expect(page.locator("#waitlist li")).to_have_count(0)

    # Below the seats taken: refused, said why, nothing changed.
    page.get_by_text("Edit class").focus()
    page.keyboard.press("Enter")
    page.locator("#class-edit-form").get_by_label("Capacity").focus()
    page.keyboard.press("Control+A")
    page.keyboard.type("1")
    page.keyboard.press("Enter")
    expect(page.locator("#status.bad")).to_contain_text("cannot go below 2")
    expect(page.get_by_role("heading", name="Enrolled (2)")).to_be_visible()

    # The first session called off because the hall is taken.
    first = page.locator("#sessions tbody tr").first
    first.get_by_label("Reason (told to families)").focus()
    page.keyboard.press("ArrowDown")  # weather -> venue unavailable
    page.keyboard.press("Tab")
    page.keyboard.type("the hall was booked twice")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # Cancel session
    expect(page.locator("#status")).to_contain_text("Session cancelled; 2 families are told")
    expect(first).to_contain_text("cancelled · Venue unavailable")
    expect(first.get_by_role("button", name="Cancel session")).to_have_count(0)
    expect(page.locator("#sessions tbody tr").nth(1)).to_contain_text("planned")
    wait_for_row(platform["gateway_db"],
                 "SELECT 1 FROM staff_events WHERE type = 'class_session_cancelled'"
                 " AND jsonb_array_length(data->'families') = 2")
    accessible(page)


def test_an_admin_assigns_an_expert_moves_the_case_on_and_reads_the_console_in_nepali(
        platform, page):
    expert = requests.post(f"{platform['url']}/api/staff/experts", timeout=30, json={
        "name": "Kobayashi Aya", "email": "aya@example.org", "locale": "ja",
        "profession": "administrative_scrivener", "specialties": ["work"],
        "languages": ["ja", "ne"]}, headers=staff_headers(platform))
    assert expert.status_code == 201, expert.text
    opened = requests.post(f"{platform['url']}/api/consultations", timeout=30, json={
        "topic": "work", "language": "ne", "urgency": "normal",
        "summary": "My employer has not paid two months of wages.", "email": "hari@example.org",
        "locale": "ne", "name": "Hari Shrestha"})
    assert opened.status_code == 201, opened.text

    sign_in(page, platform, ADMIN)
    page.goto(f"{platform['url']}/staff/#/programs/consultation/{opened.json()['id']}")
    state = page.locator("#case-state")
    expect(state).to_contain_text("intake")
    page.locator("#assign-form select").select_option(expert.json()["id"])
    page.get_by_role("button", name="Assign an expert").click()
    expect(page.locator("#status")).to_contain_text("Assigned to Kobayashi Aya")
    expect(state).to_contain_text("Status: assigned")
    expect(state).to_contain_text("Expert: Kobayashi Aya")
    accessible(page)

    status = page.locator("#status-form")
    status.get_by_label("New status").select_option("in_progress")
    status.get_by_role("button", name="Change status").click()
    expect(state).to_contain_text("Status: in progress")
    status.get_by_label("New status").select_option("resolved")
    status.get_by_label("Note").fill("Wages paid after the labour office called.")
    status.get_by_role("button", name="Change status").click()
    expect(state).to_contain_text("Status: resolved")
    expect(page.locator("#status-form")).to_have_count(0)  # an ended case goes nowhere
    expect(page.locator("#assign-form")).to_have_count(0)

    # The same page in Nepali, and back.
    page.locator("#lang").select_option("ne")
    expect(page.locator("html")).to_have_attribute("lang", "ne")
    expect(page.get_by_role("link", name="कार्यक्रमहरू", exact=True)).to_be_visible()
    expect(page.locator("#case-state")).to_contain_text("समाधान भयो")
    expect(page.get_by_role("button", name="साइन आउट")).to_be_visible()
    accessible(page)
    page.reload()  # the choice is remembered
    expect(page.get_by_role("link", name="कार्यक्रमहरू", exact=True)).to_be_visible()
    page.locator("#lang").select_option("en")
    expect(page.get_by_role("link", name="Programs", exact=True)).to_be_visible()


VOLUNTEER = {
    "locale": "ja", "area": "shinjuku", "gender": "female",
    "languages": [{"code": "ja", "level": "native"}, {"code": "en", "level": "fluent"}],
    "experience_ages": [3], "interests": ["cooking"], "slots": ["sat-morning"],
}


def test_an_admin_assigns_reassigns_and_completes_a_spot_request_with_its_hours(
        platform, page, refusals):
    refusals.append("400")  # hours logged before the visit is over
    headers = staff_headers(platform)
    for name, email in (("Ito Kenji", "kenji@example.org"), ("Mori Aki", "aki@example.org")):
        applied = requests.post(f"{platform['url']}/api/applications/volunteers", timeout=30,
                                json={**VOLUNTEER, "name": name, "email": email})
        assert applied.status_code == 201, applied.text
        approved = requests.post(
            f"{platform['url']}/api/staff/participants/{applied.json()['id']}/approve",
            json={}, headers=headers, timeout=30)
        assert approved.status_code == 200, approved.text
    starts_at = (datetime.now(UTC) + timedelta(hours=3)).replace(microsecond=0)
    created = requests.post(f"{platform['url']}/api/spot-requests", timeout=30, json={
        "name": "Bishnu Rai", "email": "bishnu@example.org", "locale": "ne",
        "kind": "hospital", "starts_at": starts_at.isoformat(), "area": "shinjuku",
        "languages": ["en"]})
    assert created.status_code == 201, created.text

    sign_in(page, platform, ADMIN)
    page.get_by_role("link", name="Matching").click()
    row = page.locator("#spot-requests tr", has_text="Bishnu Rai")
    row.get_by_role("button", name="Ranked volunteers").click()
    row.get_by_role("button", name="Assign: Ito Kenji").click()
    expect(page.locator("#status")).to_contain_text("Assigned.")
    expect(row).to_have_count(0)  # no longer open

    page.locator("#spot-status").select_option("assigned")
    row = page.locator("#spot-requests tr", has_text="Bishnu Rai")
    expect(row).to_contain_text("Ito Kenji")
    row.get_by_label("Why the volunteer no longer goes").select_option("volunteer_unavailable")
    row.get_by_role("button", name="Ranked volunteers").click()
    expect(row.get_by_role("button", name="Reassign: Ito Kenji")).to_have_count(0)
    row.get_by_role("button", name="Reassign: Mori Aki").click()
    expect(page.locator("#status")).to_contain_text("Reassigned")
    expect(row).to_contain_text("Mori Aki")
    accessible(page)

    # Hours cannot be logged before the visit; once over (the service's clock moves past
    # it), they are.
    row.get_by_label("Hours").fill("2.5")
    row.get_by_role("button", name="Complete").click()
    expect(page.locator("#status.bad")).to_contain_text("the visit has not taken place yet")
    platform["clock_file"].write_text(str(6 * 3600))
    row.get_by_role("button", name="Complete").click()
    expect(page.locator("#status")).to_contain_text("Completed with 2.5 hours")
    page.locator("#spot-status").select_option("completed")
    expect(page.locator("#spot-requests tr", has_text="Bishnu Rai")).to_contain_text("2.5 h")
    accessible(page)


def test_an_admin_finds_a_supporter_by_bank_reference_and_opens_their_payments(platform, page):
    # A bank transfer recorded earlier (by staff, through the API).
    recorded = requests.post(f"{platform['url']}/api/staff/payments", timeout=30,
                             headers=staff_headers(platform, ADMIN), json={
        "source": "bank_transfer", "amount": 20000, "paid_on": "2026-04-15",
        "payer_name": "Kobayashi Emi", "payer_email": "emi@example.org", "locale": "en",
        "reference": "SMBC 2026-0999"})
    assert recorded.status_code == 201, recorded.text
    receipt = recorded.json()["receipt_number"]

    sign_in(page, platform, ADMIN)
    page.get_by_role("link", name="Donations").click()
    search = page.locator("#supporter-search")
    search.get_by_label("Name, e-mail, receipt number or bank reference").fill("SMBC 2026-0999")
    search.get_by_role("button", name="Search").click()
    found = page.locator("#supporters tr", has_text="Kobayashi Emi")
    expect(found).to_contain_text("bank reference")
    expect(found).to_contain_text(receipt)
    accessible(page)

    found.get_by_role("link", name="Kobayashi Emi").click()
    expect(page.get_by_role("heading", name="Kobayashi Emi")).to_be_visible()
    payments = page.locator("#supporter-payments tr")
    expect(payments).to_have_count(1)
    expect(payments).to_contain_text(receipt)
    expect(payments).to_contain_text("¥20,000")
    accessible(page)

    # The payments list, filtered by kind, leads to the same supporter.
    page.get_by_role("link", name="Back to donations").click()
    listing = page.locator("#payments-filter")
    listing.get_by_label("Kind").select_option("bank_transfer")
    listing.get_by_role("button", name="Show payments").click()
    row = page.locator("#payments tr", has_text=receipt)
    expect(row).to_contain_text("SMBC 2026-0999")
    expect(page.locator("#payments-range")).to_contain_text(re.compile(r"^1–\d+ of \d+$"))
    row.get_by_role("link", name="Open supporter").click()
    expect(page.get_by_role("heading", name="Kobayashi Emi")).to_be_visible()


FEED_QUEUE = "evt-feed--gateway"


def test_an_admin_looks_into_a_dead_letter_queue_and_replays_it_into_the_feed(platform, page):
    event_id = str(uuid.uuid4())
    event = {"id": event_id, "type": "bank_transfer_notified", "version": 1,
             "source": "donations", "occurred_at": "2026-11-01T00:00:00+00:00",
             "correlation_id": event_id, "data": {
                 "supporter_id": str(uuid.uuid4()), "name": "Ito Ken", "email": "ken@example.org",
                 "locale": "ja", "notice_id": str(uuid.uuid4()), "amount": 10000,
                 "currency": "jpy", "transferred_on": "2026-10-31", "donor_kind": "person",
                 "receipt_requested": False, "notified_at": "2026-11-01T00:00:00+00:00"}}
    # Parked the way the feed's consumer parks what it could not store.
    park_dead_letter(os.environ["JII_CONSOLE_AMQP"], "gateway", event,
                     "Traceback ...\nOperationalError: the database went away", FEED_QUEUE)

    sign_in(page, platform, ADMIN)
    page.get_by_role("link", name="Operations").click()
    queue = page.locator("#dead-letter-queues tr", has_text="gateway.dlq")
    expect(queue).to_contain_text("1")
    queue.get_by_role("button", name="Show gateway.dlq").click()
    parked = page.locator("#parked")
    expect(parked).to_contain_text("bank_transfer_notified")
    expect(parked).to_contain_text("OperationalError: the database went away")
    accessible(page)

    page.locator("#replay-form").get_by_role("button", name="Replay all").click()
    expect(page.locator("#status")).to_contain_text("1 replayed, 0 still waiting")
    expect(page.locator("#dead-letter-queues tr", has_text="gateway.dlq")).to_contain_text("0")
    # The feed's consumer takes it as if it had never failed: it is in the live feed.
    page.get_by_role("link", name="Activity").click()
    expect(page.locator(f"#feed li[data-id='{event_id}']")).to_be_visible(timeout=10_000)


def test_an_admin_adds_a_staff_account_which_signs_in_until_it_is_disabled(platform, page,
                                                                          browser):
    sign_in(page, platform, ADMIN)
    page.get_by_role("link", name="Operations").click()
    form = page.locator("#account-form")
    form.get_by_label("E-mail").fill("new.staff@j-ii.org")
    form.get_by_label("Role").select_option("staff")
    form.get_by_role("button", name="Add an account").click()
    temporary = page.locator("#temporary-password")
    expect(temporary).to_have_text(re.compile(r"^\S{16,}$"))
    password = temporary.inner_text()
    row = page.locator("#account-list tr", has_text="new.staff@j-ii.org")
    expect(row).to_contain_text("active")
    accessible(page)

    newcomer = browser.new_context(locale="en-GB").new_page()
    try:
        sign_in(newcomer, platform, "new.staff@j-ii.org", password)
        expect(newcomer.locator("#who")).to_contain_text("new.staff@j-ii.org (staff)")

        row.get_by_role("button", name="Disable").click()
        expect(row).to_contain_text("disabled")
        # Its refresh cookie no longer buys a token: a reload finds it signed out...
        newcomer.reload()
        expect(newcomer.get_by_role("heading", name="Staff sign-in")).to_be_visible()
        # ...and signing in again is refused.
        newcomer.get_by_label("E-mail").fill("new.staff@j-ii.org")
        newcomer.get_by_label("Password").fill(password)
        newcomer.get_by_role("button", name="Sign in").click()
        expect(newcomer.locator("#sign-in-error")).to_contain_text("wrong")
    finally:
        newcomer.context.close()


def test_staff_see_neither_accounts_nor_dead_letters_and_the_api_refuses_them(platform, page):
    sign_in(page, platform, "staff@j-ii.org")
    page.get_by_role("link", name="Operations").click()
    expect(page.get_by_role("heading", name="Mail log")).to_be_visible()
    expect(page.locator("#accounts")).to_have_count(0)
    expect(page.locator("#dead-letters")).to_have_count(0)
    accessible(page)

    headers = staff_headers(platform, "staff@j-ii.org")
    for method, path, body in (
            ("GET", "/api/staff/accounts", None),
            ("POST", "/api/staff/accounts", {"email": "x@j-ii.org", "role": "admin"}),
            ("GET", "/api/staff/dead-letters", None),
            ("GET", "/api/staff/dead-letters/gateway", None),
            ("POST", "/api/staff/dead-letters/gateway/replay", {"all": True})):
        refused = requests.request(method, f"{platform['url']}{path}", json=body,
                                   headers=headers, timeout=30)
        assert refused.status_code == 403, (path, refused.text)
