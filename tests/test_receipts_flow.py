"""Tax receipts end to end through the gateway: a bank transfer's thank-you e-mail links a PDF
receipt the donor opens; the same transfer recorded twice is refused; voiding it voids the
receipt and takes it out of the report and of /api/impact, and staff see the event."""

import io

import pypdf
import pytest
import requests
from gateway.auth import issue_token
from servicekit.testing import wait_until
from servicekit.tokyo import today_in_tokyo

WEBHOOK_SECRET = "whsec_test_receipts_e2e"
ORG = {"RECEIPT_ORG_NAME": "特定非営利活動法人 Japan Intercultural Intelligence",
       "RECEIPT_ORG_ADDRESS": "東京都渋谷区神南一丁目1番1号",
       "RECEIPT_CERTIFICATION_NUMBER": "生都管第1234号",
       "RECEIPT_CERTIFICATION_DATE": "2020-04-01"}


@pytest.fixture
def platform(platform_factory):
    started = platform_factory("notifications", "programs", "donations", "gateway",
                               secrets={"STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET},
                               overrides={"donations": ORG,
                                          "gateway": {"RPC_TIMEOUT_SECONDS": 30}})
    token = issue_token(started.staff_secret, "aiko@jii.example", "staff")
    consultant = issue_token(started.staff_secret, "ken@jii.example", "consultant")
    return {"url": started.url, "headers": {"Authorization": f"Bearer {token}"},
            "consultant": {"Authorization": f"Bearer {consultant}"}}


def transfer(reference: str, amount: int) -> dict:
    return {"source": "bank_transfer", "amount": amount,
            "paid_on": today_in_tokyo().isoformat(), "payer_name": "सीता गुरुङ",
            "payer_email": "sita@example.net", "locale": "ne", "reference": reference,
            "postal_address": {"postal_code": "169-0073", "prefecture": "東京都",
                               "city": "新宿区", "line1": "百人町1-1-1"}}


def raised_this_month(url: str) -> int:
    month = today_in_tokyo().strftime("%Y-%m")
    figures = requests.get(f"{url}/api/impact", params={"from": month, "to": month},
                           timeout=10).json()
    return sum(m["yen_raised"] for m in figures["months"])


def test_a_double_recorded_transfer_is_refused_and_a_void_reaches_receipt_report_and_impact(
    platform, smtp_sink
):
    url, headers = platform["url"], platform["headers"]
    kept = requests.post(f"{url}/api/staff/payments", json=transfer("MUFG #1", 10000),
                         headers=headers, timeout=30)
    assert kept.status_code == 201, kept.text
    wrong = requests.post(f"{url}/api/staff/payments", json=transfer("SMBC 77", 50000),
                          headers=headers, timeout=30).json()

    twice = requests.post(f"{url}/api/staff/payments", json=transfer("smbc  77", 50000),
                          headers=headers, timeout=30)
    assert twice.status_code == 409
    assert twice.headers["Content-Type"].startswith("application/problem+json")
    assert wrong["id"] in twice.json()["detail"] and wrong["receipt_number"] in twice.json()[
        "detail"]

    # the donor's thank-you links the receipt; the link opens the PDF
    messages = wait_until(lambda: len(smtp_sink.messages()) == 2 and smtp_sink.messages(),
                          timeout=60, message="two thank-you e-mails")
    text = next(m.get_body(("plain",)).get_content() for m in messages
                if wrong["receipt_number"] in m.get_body(("plain",)).get_content())
    link = next(line.strip() for line in text.splitlines() if "/api/receipts/" in line)
    pdf = wait_until(lambda: (lambda r: r.status_code == 200 and r)(
        requests.get(link, timeout=60)), timeout=90, message="the receipt PDF")
    assert pdf.headers["Content-Type"] == "application/pdf"
    page = pypdf.PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert "सीता गुरुङ" in page and "¥50,000" in page and wrong["receipt_number"] in page
    assert requests.get(link[:-4] + "AAAA", timeout=30).status_code in (400, 403)

    wait_until(lambda: raised_this_month(url) == 60000, timeout=60, message="impact counted")
    voided = requests.post(f"{url}/api/staff/payments/{wrong['id']}/void", headers=headers,
                           json={"reason": "recorded twice"}, timeout=30)
    assert voided.status_code == 200, voided.text
    assert voided.json()["voided"] is True

    receipt = requests.get(f"{url}/api/staff/receipts/{wrong['receipt_number']}",
                           headers=headers, timeout=30).json()
    assert (receipt["voided"], receipt["void_reason"]) == (
        True, "payment voided: recorded twice")
    today = today_in_tokyo().isoformat()
    report = requests.get(f"{url}/api/staff/reports/donations", headers=headers, timeout=30,
                          params={"from": today, "to": today}).json()
    assert report["total"]["gross"] == 10000
    assert [v["number"] for v in report["voided_receipts"]] == [wrong["receipt_number"]]
    wait_until(lambda: raised_this_month(url) == 10000, timeout=60,
               message="impact without the voided payment")

    def voided_event():
        feed = requests.get(f"{url}/api/staff/events", params={"type": "payment_voided"},
                            headers=headers, timeout=30).json()
        return [e for e in feed["events"] if e["data"]["payment_id"] == wrong["id"]]

    [event] = wait_until(voided_event, timeout=30, message="the event in the staff feed")
    assert event["data"]["voided_receipts"] == [wrong["receipt_number"]]
    found = requests.get(f"{url}/api/staff/supporters", params={"q": "SMBC 77"},
                         headers=headers, timeout=30).json()["results"]
    assert [p["voided"] for p in found[0]["payments"]] == [True]


def test_staff_list_receipts_by_status_and_number_and_download_either_language(platform):
    url, headers = platform["url"], platform["headers"]
    payment = requests.post(f"{url}/api/staff/payments", json=transfer("JP Bank 5", 30000),
                            headers=headers, timeout=30).json()
    number = payment["receipt_number"]

    def listed(**params):
        answer = requests.get(f"{url}/api/staff/receipts", params=params, headers=headers,
                              timeout=30)
        assert answer.status_code == 200, answer.text
        return answer.json()

    [receipt] = wait_until(lambda: listed(number=number[-6:])["receipts"], timeout=90,
                           message="the gift receipt in the list")
    assert (receipt["number"], receipt["kind"], receipt["amount"], receipt["voided"]) == (
        number, "gift", 30000, False)
    assert receipt["donor_name"] == "सीता गुरुङ" and receipt["languages"] == ["ja", "en"]

    for lang, title in (("ja", "寄附金受領証明書"), ("en", "Receipt for Donation")):
        pdf = requests.get(f"{url}/api/staff/receipts/{number}/pdf", params={"lang": lang},
                           headers=headers, timeout=60)
        assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
        assert title in pypdf.PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()

    reissued = requests.post(f"{url}/api/staff/receipts/{number}/reissue", headers=headers,
                             json={"reason": "name misspelt"}, timeout=60)
    assert reissued.status_code == 201, reissued.text
    [voided] = listed(status="voided", kind="gift")["receipts"]
    assert (voided["number"], voided["replaced_by"], voided["stored_languages"]) == (
        number, f"{number}-2", ["ja", "en"])
    page = listed(limit=1)
    assert [r["number"] for r in page["receipts"]] == [f"{number}-2"] and page["next"]
    assert [r["number"] for r in listed(limit=1, after=page["next"])["receipts"]] == [number]

    refused = requests.get(f"{url}/api/staff/receipts", params={"colour": "red"},
                           headers=headers, timeout=30)
    assert refused.status_code == 400 and refused.json()["type"] == "/problems/invalid-query"
    assert requests.get(f"{url}/api/staff/receipts", params={"kind": "monthly"},
                        headers=headers, timeout=30).status_code == 400
    assert requests.get(f"{url}/api/staff/receipts", headers=platform["consultant"],
                        timeout=30).status_code == 403
    assert requests.get(f"{url}/api/staff/receipts", timeout=30).status_code == 401
