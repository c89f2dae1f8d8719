"""Tax receipts: the PDF holds every field a tax office needs, issued once and never edited,
voided and replaced with a suffix; staff corrections of the payments they record; search."""

import base64
import io
import uuid
from contextlib import contextmanager

import pypdf
import pytest
from donations_testkit import STAFF, call, events
from servicekit import errors
from servicekit.db import connect
from servicekit.testing import query, wait_until
from servicekit.tokyo import today_in_tokyo

ORG = {
    "RECEIPT_ORG_NAME": "特定非営利活動法人 Japan Intercultural Intelligence",
    "RECEIPT_ORG_ADDRESS": "東京都渋谷区神南一丁目1番1号",
    "RECEIPT_ORG_REPRESENTATIVE": "理事長 山田 太郎",
    "RECEIPT_CERTIFICATION_NUMBER": "生都管第1234号",
    "RECEIPT_CERTIFICATION_DATE": "2020-04-01",
    "RECEIPT_RESIDENT_TAX_DESIGNATED_BY": "東京都",
    "RECEIPT_RESIDENT_TAX_DESIGNATED_BY_EN": "the Tokyo Metropolitan Government",
    "PUBLIC_SITE_URL": "https://jii.example",
}
NEPALI_NAME = "राम बहादुर थापा"
ADDRESS = {"postal_code": "163-8001", "prefecture": "東京都", "city": "新宿区",
           "line1": "西新宿二丁目8番1号", "line2": None}
PRINTED_ADDRESS = "〒163-8001 東京都新宿区西新宿二丁目8番1号"
OSAKA = {"postal_code": "5300001", "prefecture": "大阪府", "city": "大阪市北区",
         "line1": "梅田1-1-1", "line2": "梅田ビル2階"}


@pytest.fixture
def donations_config(donations_config):
    return {**donations_config, **ORG}


def staff_payment(**overrides):
    request = {"source": "bank_transfer", "amount": 50000, "paid_on": today_in_tokyo().isoformat(),
               "payer_name": NEPALI_NAME, "payer_email": "ram@example.com", "locale": "ne",
               "reference": f"MUFG #{uuid.uuid4().hex[:8]}", "postal_address": ADDRESS}
    request.update(overrides)
    return request


def text_of(document: dict) -> str:
    pdf = base64.b64decode(document["pdf_base64"])
    assert pdf.startswith(b"%PDF-")
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)


def live_receipt(db, payment_id):
    return wait_until(lambda: (query(
        db, "SELECT * FROM receipts WHERE payment_id = %s AND voided_at IS NULL",
        (payment_id,)) or [None])[0], timeout=60, message="the gift receipt")


def test_a_bank_transfer_gets_a_japanese_pdf_receipt_with_every_field_a_tax_office_needs(
    donations, donations_config
):
    db = donations_config["DATABASE_URL"]
    payment = call(donations, "record_staff_payment", staff_payment(), context=STAFF)
    receipt = live_receipt(db, payment["id"])
    assert receipt["number"] == payment["receipt_number"]

    text = text_of(call(donations, "receipt_document", receipt["number"], {}, context=STAFF))
    paid = today_in_tokyo()
    for field in ("寄附金受領証明書", ORG["RECEIPT_ORG_NAME"], ORG["RECEIPT_ORG_ADDRESS"],
                  ORG["RECEIPT_CERTIFICATION_NUMBER"], "認定日 2020年4月1日",
                  "特定非営利活動に係る事業", "¥50,000",
                  f"{paid.year}年{paid.month}月{paid.day}日", NEPALI_NAME, PRINTED_ADDRESS,
                  payment["receipt_number"], "個人住民税", "東京都の条例"):
        assert field in text.replace("\n", ""), field
    # the thank-you e-mail's event carries the signed link to this receipt
    [thanked] = events(db, "payment_succeeded")
    assert thanked["receipt_url"].startswith("https://jii.example/api/receipts/")


def test_the_english_version_is_made_on_request_from_the_frozen_content_and_kept(
    donations, donations_config
):
    db = donations_config["DATABASE_URL"]
    payment = call(donations, "record_staff_payment", staff_payment(), context=STAFF)
    number = live_receipt(db, payment["id"])["number"]
    english = call(donations, "receipt_document", number, {"lang": "en"}, context=STAFF)
    text = text_of(english)
    assert "Receipt for Donation" in text and NEPALI_NAME in text and "¥50,000" in text
    assert "the Tokyo Metropolitan Government" in text.replace("\n", " ")
    again = call(donations, "receipt_document", number, {"lang": "en"}, context=STAFF)
    assert again["pdf_base64"] == english["pdf_base64"]
    assert {r["language"] for r in query(db, "SELECT language FROM receipt_documents")} == {
        "ja", "en"}


def test_the_donors_signed_link_opens_the_receipt_and_a_forged_one_is_refused(
    donations, donations_config
):
    db = donations_config["DATABASE_URL"]
    payment = call(donations, "record_staff_payment", staff_payment(), context=STAFF)
    [thanked] = events(db, "payment_succeeded")
    token = thanked["receipt_url"].rsplit("/", 1)[1]
    opened = call(donations, "receipt_by_link", token, {})
    assert opened["number"] == payment["receipt_number"] and not opened["voided"]
    assert NEPALI_NAME in text_of(opened)
    with pytest.raises(errors.Forbidden):
        call(donations, "receipt_by_link", token[:-3] + "xyz", {})


def test_no_receipt_is_issued_without_the_donors_address_until_staff_add_it(
    donations, donations_config
):
    db = donations_config["DATABASE_URL"]
    payment = call(donations, "record_staff_payment", staff_payment(postal_address=None),
                   context=STAFF)
    [thanked] = events(db, "payment_succeeded")
    token = thanked["receipt_url"].rsplit("/", 1)[1]
    with pytest.raises(errors.Conflict) as refused:
        call(donations, "receipt_by_link", token, {})
    assert refused.value.details == {"reason": "waiting_for_address"}
    assert query(db, "SELECT count(*) AS n FROM receipts")[0]["n"] == 0

    call(donations, "set_supporter_address", payment["supporter_id"],
         {"postal_address": ADDRESS}, context=STAFF)
    assert PRINTED_ADDRESS in text_of(call(donations, "receipt_by_link", token, {}))


def test_membership_fees_and_monthly_gifts_get_no_gift_receipt(donations, donations_config):
    fee = call(donations, "record_staff_payment", staff_payment(source="membership_fee",
                                                                amount=3000), context=STAFF)
    with pytest.raises(errors.Conflict) as refused:
        call(donations, "issue_receipt_for_payment", fee["id"], context=STAFF)
    assert refused.value.details == {"reason": "not_a_gift_receipt"}
    assert "receipt_url" not in events(donations_config["DATABASE_URL"], "payment_succeeded")[0]


def test_a_correction_voids_the_receipt_and_issues_a_suffixed_replacement_keeping_old_bytes(
    donations, donations_config
):
    db = donations_config["DATABASE_URL"]
    payment = call(donations, "record_staff_payment", staff_payment(), context=STAFF)
    number = live_receipt(db, payment["id"])["number"]
    original = call(donations, "receipt_document", number, {}, context=STAFF)

    call(donations, "set_supporter_address", payment["supporter_id"],
         {"postal_address": OSAKA, "donor_kind": "company"}, context=STAFF)
    replacement = call(donations, "reissue_receipt", number, {"reason": "address moved"},
                       context=STAFF)
    assert replacement["number"] == f"{number}-2" and replacement["replaces"] == number
    old = call(donations, "receipt_view", number, context=STAFF)
    assert (old["voided"], old["void_reason"], old["voided_by"]) == (
        True, "address moved", "staff:aiko@jii.example")
    # the void receipt's bytes are the ones given out, unchanged
    assert call(donations, "receipt_document", number, {}, context=STAFF) == {
        **original, "voided": True}
    new_text = text_of(call(donations, "receipt_document", f"{number}-2", {}, context=STAFF))
    assert "〒530-0001 大阪府大阪市北区梅田1-1-1 梅田ビル2階" in new_text
    assert f"{NEPALI_NAME} 御中" in new_text and f"{number}-2" in new_text
    assert number in new_text.replace(f"{number}-2", "")  # names the one it replaces
    with pytest.raises(errors.Conflict):
        call(donations, "reissue_receipt", number, {"reason": "again"}, context=STAFF)
    third = call(donations, "reissue_receipt", f"{number}-2", {"reason": "typo"},
                 context=STAFF)
    assert third["number"] == f"{number}-3"

    today = today_in_tokyo().isoformat()
    report = call(donations, "donation_report", {"from": today, "to": today}, context=STAFF)
    assert [(v["number"], v["replaced_by"]) for v in report["voided_receipts"]] == [
        (number, f"{number}-2"), (f"{number}-2", f"{number}-3")]


def test_the_same_bank_reference_recorded_twice_is_refused_naming_the_first_payment(
    donations, donations_config
):
    first = call(donations, "record_staff_payment", staff_payment(reference="MUFG #8841"),
                 context=STAFF)
    with pytest.raises(errors.Conflict) as refused:
        call(donations, "record_staff_payment",
             staff_payment(reference="  mufg   #8841 ", amount=7000), context=STAFF)
    assert refused.value.details == {"payment_id": first["id"],
                                     "receipt_number": first["receipt_number"]}
    assert first["id"] in str(refused.value)
    assert query(donations_config["DATABASE_URL"], "SELECT count(*) AS n FROM payments"
                 )[0]["n"] == 1


def test_voiding_a_staff_payment_voids_its_receipt_leaves_the_report_and_emits_an_event(
    donations, donations_config
):
    db = donations_config["DATABASE_URL"]
    kept = call(donations, "record_staff_payment", staff_payment(amount=10000), context=STAFF)
    wrong = call(donations, "record_staff_payment", staff_payment(reference="MUFG #1"),
                 context=STAFF)
    number = live_receipt(db, wrong["id"])["number"]
    voided = call(donations, "void_staff_payment", wrong["id"], {"reason": "entered twice"},
                  context=STAFF)
    assert voided["voided"] and voided["void_reason"] == "entered twice"
    assert call(donations, "receipt_view", number, context=STAFF)["voided"]
    [event] = events(db, "payment_voided")
    assert (event["payment_id"], event["amount"], event["voided_receipts"]) == (
        wrong["id"], 50000, [number])
    assert "name" not in event and "email" not in event

    today = today_in_tokyo().isoformat()
    report = call(donations, "donation_report", {"from": today, "to": today}, context=STAFF)
    assert report["total"]["gross"] == 10000
    assert [p["payment_id"] for p in report["voided_payments"]] == [wrong["id"]]
    # the reference is free again: the transfer can be entered correctly
    call(donations, "record_staff_payment", staff_payment(reference="MUFG #1", amount=5000),
         context=STAFF)
    with pytest.raises(errors.Conflict):
        call(donations, "refund_payment", wrong["id"], {}, context=STAFF)
    assert kept["id"] != wrong["id"]


def test_a_manual_refund_of_a_bank_transfer_reissues_its_receipt_for_what_is_left(
    donations, donations_config
):
    db = donations_config["DATABASE_URL"]
    payment = call(donations, "record_staff_payment", staff_payment(), context=STAFF)
    number = live_receipt(db, payment["id"])["number"]
    after = call(donations, "refund_payment", payment["id"],
                 {"amount": 20000, "reason": "sent back by bank"}, context=STAFF)
    assert after["refunded_amount"] == 20000
    [refunded] = events(db, "payment_refunded")
    assert refunded["amount"] == 20000
    replacement = wait_until(lambda: (query(
        db, "SELECT * FROM receipts WHERE number = %s", (f"{number}-2",)) or [None])[0],
        timeout=60, message="the receipt reissued after the refund")
    assert replacement["amount"] == 30000
    assert "¥30,000" in text_of(call(donations, "receipt_document", f"{number}-2", {},
                                     context=STAFF))
    with pytest.raises(errors.Conflict):
        call(donations, "void_staff_payment", payment["id"], {"reason": "x"}, context=STAFF)


def test_staff_find_a_supporter_by_name_email_receipt_number_or_bank_reference(
    donations, donations_config
):
    db = donations_config["DATABASE_URL"]
    payment = call(donations, "record_staff_payment", staff_payment(reference="SMBC 2026-0042"),
                   context=STAFF)
    call(donations, "record_staff_payment", staff_payment(
        payer_name="Sato Ichiro", payer_email="ichiro@example.com", locale="ja"), context=STAFF)
    live_receipt(db, payment["id"])
    for q, matched in ((payment["receipt_number"].lower(), "receipt_number"),
                       ("smbc 2026-0042", "reference"), ("थापा", "name"),
                       ("RAM@EXAMPLE", "email")):
        [found] = call(donations, "search_supporters", {"q": q}, context=STAFF)["results"]
        assert found["supporter_id"] == payment["supporter_id"] and matched in found[
            "matched_by"], q
    [found] = call(donations, "search_supporters", {"q": payment["receipt_number"]},
                   context=STAFF)["results"]
    assert [p["tax_receipt"] for p in found["payments"]] == [payment["receipt_number"]]
    assert call(donations, "search_supporters", {"q": "100%_"}, context=STAFF)[
        "results"] == []


# -- annual receipts and the year-end run -------------------------------------------------------

def _monthly_supporters(db, count, year):
    """`count` supporters with two monthly gifts each in `year` (and one without an address)."""
    ids = []
    with connect(db) as conn:
        for n in range(count):
            sid = str(uuid.uuid4())
            address = (None,) * 4 if n == count - 1 else (
                "153-0061", "東京都", "目黒区", f"中目黒{n + 1}-1")
            conn.execute("INSERT INTO supporters (id, name, email, locale, postal_code,"
                         " prefecture, city, address_line1) VALUES (%s, %s, %s, %s, %s, %s, %s,"
                         " %s)", (sid, f"支援者 {n}", f"s{n}@example.com",
                                  ("ja", "en", "ne")[n % 3], *address))
            for month, amount in ((3, 3000), (11, 5000)):
                conn.execute(
                    "INSERT INTO payments (id, supporter_id, source, amount, receipt_number,"
                    " paid_at) VALUES (%s, %s, 'monthly', %s, %s, %s)",
                    (str(uuid.uuid4()), sid, amount, f"R{year}-{n * 2 + month:06d}",
                     f"{year}-{month:02d}-10T03:00:00+00:00"))
            ids.append(sid)
    return ids


def test_an_annual_receipt_lists_each_monthly_gift_and_is_numbered_without_gaps(
    donations, donations_config
):
    db = donations_config["DATABASE_URL"]
    year = today_in_tokyo().year - 1
    first, second, _ = _monthly_supporters(db, 3, year)
    receipt = call(donations, "issue_annual_receipt", first, year, context=STAFF)
    assert (receipt["number"], receipt["amount"]) == (f"A{year}-000001", 8000)
    assert call(donations, "issue_annual_receipt", first, year, context=STAFF) == receipt
    assert call(donations, "issue_annual_receipt", second, year, context=STAFF)[
        "number"] == f"A{year}-000002"
    text = text_of(call(donations, "receipt_document", receipt["number"], {}, context=STAFF))
    for field in (f"{year}年3月10日", f"{year}年11月10日", "¥3,000", "¥5,000", "¥8,000",
                  "支援者 0", "〒153-0061 東京都目黒区中目黒1-1"):
        assert field in text, field
    with pytest.raises(errors.Conflict) as refused:
        call(donations, "issue_annual_receipt", first, year + 1, context=STAFF)
    assert refused.value.details == {"reason": "year_not_over"}


def test_a_year_end_run_stopped_halfway_and_restarted_sends_each_supporter_one_email(
    donations, donations_config
):
    from donations import receipt_pdf, yearend
    from donations.receipt_entrypoints import ReceiptSettings
    from servicekit.events.outbox import OutboxWriter

    db = donations_config["DATABASE_URL"]
    year = today_in_tokyo().year - 1
    supporters = _monthly_supporters(db, 4, year)
    settings = ReceiptSettings()
    settings.container = type("C", (), {"config": donations_config})()
    settings.setup()

    @contextmanager
    def transaction():
        with connect(db) as conn:  # commits when the block ends
            yield conn

    # the run "stops" after two supporters ...
    yearend.run(transaction, OutboxWriter("donations", None), year, settings.org,
                receipt_pdf.render, settings.links, supporters=sorted(supporters)[:2])
    # ... and staff start it again through the service
    started = call(donations, "start_year_end_run", {"year": year}, context=STAFF)
    assert started["supporters"] == 4
    wait_until(lambda: call(donations, "year_end_progress", year, context=STAFF)[
        "remaining"] == 0, timeout=60, message="the year-end run")
    ready = events(db, "annual_receipts_ready")
    assert sorted(e["supporter_id"] for e in ready) == sorted(supporters)
    by_supporter = {e["supporter_id"]: e for e in ready}
    no_address = by_supporter[supporters[-1]]
    assert no_address["address_missing"] and no_address["receipts"] == []
    with_receipt = by_supporter[supporters[0]]
    [link] = with_receipt["receipts"]
    assert (link["kind"], link["amount"], with_receipt["total"]) == ("annual", 8000, 8000)
    opened = call(donations, "receipt_by_link", link["url"].rsplit("/", 1)[1], {})
    assert opened["number"] == link["receipt_number"]


def test_jii_receipts_year_end_runs_the_year_through_the_service_and_repeats_harmlessly(
    donations, donations_config, monkeypatch, capsys
):
    import json

    from jii_cli.main import main

    db = donations_config["DATABASE_URL"]
    year = today_in_tokyo().year - 1
    _monthly_supporters(db, 2, year)
    monkeypatch.setenv("AMQP_URI", donations_config["AMQP_URI"])
    command = ["receipts", "year-end", "--year", str(year), "--json"]
    assert main(command) == 0
    progress = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert progress[-1] == {"year": year, "supporters": 2, "sent": 2, "remaining": 0}
    assert main(command) == 0
    assert len(events(db, "annual_receipts_ready")) == 2


def test_staff_list_receipts_newest_first_by_year_kind_status_supporter_and_number(
    donations, donations_config
):
    db = donations_config["DATABASE_URL"]
    year = today_in_tokyo().year - 1
    first, _, _ = _monthly_supporters(db, 3, year)
    annual = call(donations, "issue_annual_receipt", first, year, context=STAFF)
    payment = call(donations, "record_staff_payment", staff_payment(), context=STAFF)
    number = live_receipt(db, payment["id"])["number"]
    call(donations, "receipt_document", number, {"lang": "en"}, context=STAFF)
    replacement = call(donations, "reissue_receipt", number, {"reason": "typo in name"},
                       context=STAFF)

    def listed(**query):
        return call(donations, "list_receipts", query, context=STAFF)

    everything = listed()
    assert [r["number"] for r in everything["receipts"]] == [
        replacement["number"], number, annual["number"]]
    assert everything["next"] is None
    voided = everything["receipts"][1]
    assert (voided["voided"], voided["void_reason"], voided["replaced_by"]) == (
        True, "typo in name", replacement["number"])
    assert voided["donor_name"] == NEPALI_NAME
    assert (voided["languages"], voided["stored_languages"]) == (["ja", "en"], ["ja", "en"])
    assert everything["receipts"][0]["stored_languages"] == ["ja"]

    assert [r["number"] for r in listed(status="voided")["receipts"]] == [number]
    assert [r["number"] for r in listed(status="issued", kind="gift")["receipts"]] == [
        replacement["number"]]
    assert [r["number"] for r in listed(year=year)["receipts"]] == [annual["number"]]
    assert [r["number"] for r in listed(supporter_id=first)["receipts"]] == [annual["number"]]
    # part of a number, any case; `_` and `%` are literal
    assert [r["number"] for r in listed(number=f"{number.lower()}-")["receipts"]] == [
        replacement["number"]]
    assert listed(number="%")["receipts"] == []

    page = listed(limit=2)
    assert [r["number"] for r in page["receipts"]] == [replacement["number"], number]
    rest = listed(limit=2, after=page["next"])
    assert ([r["number"] for r in rest["receipts"]], rest["next"]) == ([annual["number"]], None)

    for bad in ({"kind": "monthly"}, {"status": "cancelled"}, {"supporter_id": "nobody"},
                {"year": "1999"}, {"after": "not-a-cursor"}, {"colour": "red"}):
        with pytest.raises(errors.InvalidInput):
            listed(**bad)
    with pytest.raises(errors.Forbidden):
        call(donations, "list_receipts", {}, context={**STAFF, "staff_role": "consultant"})


def test_a_year_end_run_whose_guess_is_overtaken_stores_only_pdfs_of_what_it_froze(
    donations, donations_config
):
    """The run renders the next supporters' receipts ahead, guessing the numbers they will
    take; staff issuing an annual receipt meanwhile makes every guess wrong, and each receipt
    is then rendered again in its transaction: the stored bytes always show its own number."""
    from donations import receipt_pdf, receipts, yearend
    from donations.receipt_entrypoints import ReceiptSettings
    from servicekit.events.outbox import OutboxWriter

    db = donations_config["DATABASE_URL"]
    year = today_in_tokyo().year - 1
    *run_for, by_staff, _ = _monthly_supporters(db, 4, year)
    settings = ReceiptSettings()
    settings.container = type("C", (), {"config": donations_config})()
    settings.setup()
    rendered: list[str] = []
    opened = 0

    def render(content, language):
        rendered.append(content["number"])
        return receipt_pdf.render(content, language)

    @contextmanager
    def transaction():
        nonlocal opened
        opened += 1
        if opened == 4:  # after the counter read and two guesses: the first supporter's
            with connect(db) as conn:
                receipts.issue_annual(conn, by_staff, year, settings.org, receipt_pdf.render,
                                      "staff:aiko@jii.example")
        with connect(db) as conn:
            yield conn

    counts = yearend.run(transaction, OutboxWriter("donations", None), year, settings.org,
                         render, settings.links, supporters=run_for, ahead=2)
    assert counts == {"sent": 2, "already_sent": 0}
    issued = query(db, "SELECT r.number, r.supporter_id, d.pdf FROM receipts r JOIN"
                       " receipt_documents d ON d.receipt_id = r.id ORDER BY r.number")
    assert [(r["number"], str(r["supporter_id"])) for r in issued] == [
        (f"A{year}-00000{n}", s) for n, s in enumerate([by_staff, *run_for], start=1)]
    for receipt in issued:
        text = "".join(page.extract_text() for page in
                       pypdf.PdfReader(io.BytesIO(bytes(receipt["pdf"]))).pages)
        assert receipt["number"] in text
    # two guesses made (numbers 1 and 2), both overtaken, so each was rendered again (2, 3)
    assert sorted(rendered) == [f"A{year}-00000{n}" for n in (1, 2, 2, 3)]
