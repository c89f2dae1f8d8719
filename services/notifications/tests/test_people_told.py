"""People told what happened to them: applicants, both sides of a pairing closed early or
started (with the contact the other side agreed to share), a volunteer whose visit was
cancelled, a guardian whose child staff took off a class, the resident and the expert of a
consultation. Built from valid example events, exactly as the service does."""

from __future__ import annotations

import pytest
from notification_examples import envelope, example
from notifications import messages
from notifications.render import SUPPORTED_LOCALES, render
from notifications_testkit import publish
from servicekit.testing import query, wait_until

AUDIENCE = messages.Audience(staff_email="staff@j-ii.org", staff_locale="ja")


def built(source: str, event_type: str, **changes) -> list:
    return messages.BUILDERS[(source, event_type)](example(source, event_type, **changes),
                                                   AUDIENCE)


def bodies(message, locale: str | None = None) -> list[str]:
    rendered = render(message.kind, locale or message.locale, message.context)
    return [rendered.subject, rendered.text, rendered.html]


@pytest.mark.parametrize("event_type, kind", [
    ("participant_applied", "application_received"),
    ("participant_approved", "application_approved"),
    ("participant_rejected", "application_rejected"),
])
def test_applicants_are_told_on_receipt_approval_and_rejection_in_their_language(
        event_type: str, kind: str) -> None:
    [message] = built("matching", event_type)
    data = example("matching", event_type)
    assert (message.kind, message.to_addr, message.locale) == (kind, data["email"],
                                                               data["locale"])
    assert data["name"] in bodies(message)[1]


@pytest.mark.parametrize("role, program", [("resident", "Family Friend"),
                                           ("partner", "Family Friend"),
                                           ("volunteer", "Spot Otonari-san")])
def test_the_application_messages_name_the_program_applied_to(role: str, program: str) -> None:
    for event_type in ("participant_applied", "participant_approved", "participant_rejected"):
        [message] = built("matching", event_type, role=role)
        assert program in bodies(message, "en")[0]


@pytest.mark.parametrize("reason", ["safeguarding", "duplicate", "unreachable"])
def test_a_rejection_never_says_why(reason: str) -> None:
    [message] = built("matching", "participant_rejected", reason=reason)
    for locale, word in (("en", reason), ("en", "safeguard"), ("ja", "安全"), ("ja", "重複")):
        assert not [part for part in bodies(message, locale) if word in part.lower()]


def test_both_sides_are_told_a_pairing_closed_early_and_never_why() -> None:
    staff, resident, partner = built("matching", "pairing_closed_early", reason="safeguarding")
    assert staff.to_addr == "staff@j-ii.org"
    assert [(m.kind, m.to_addr) for m in (resident, partner)] == [
        ("pairing_ended_early", "sita@example.net"), ("pairing_ended_early", "hanako@example.com")]
    for message in (resident, partner):
        for locale in SUPPORTED_LOCALES:
            text = " ".join(bodies(message, locale)).lower()
            assert not [w for w in ("safeguard", "安全", "सुरक्षा", "moved", "転居") if w in text]
    assert "山田 花子" in bodies(resident)[1] and "सीता गुरुङ" in bodies(partner)[1]


def test_a_pairing_start_shows_the_other_sides_email_only_with_their_consent() -> None:
    resident, partner = built("matching", "pairing_started", shared_contact={
        "resident": ["name", "email"], "partner": []})
    _, text, html = bodies(partner)  # the resident agreed: the partner may write to her
    assert "sita@example.net" in text and "sita@example.net" in html
    to_resident = " ".join(bodies(resident))
    assert "hanako@example.com" not in to_resident  # the partner did not agree
    assert "will introduce you" in " ".join(bodies(resident, "en"))
    assert "紹介" in bodies(resident, "ja")[1]


def test_an_older_pairing_start_without_consent_shares_no_address() -> None:
    for message in built("matching", "pairing_started"):
        text = " ".join(bodies(message))
        assert "@example" not in text.replace(message.to_addr, "")


def test_a_requester_gets_a_receipt_for_their_spot_request_in_their_language() -> None:
    [message] = built("matching", "spot_request_created")
    assert (message.kind, message.to_addr, message.locale) == (
        "spot_request_received", "sita@example.net", "ne-NP")
    subject, text, _ = bodies(message, "en")
    assert "received" in subject and "20 April 2026, 10:00 (Japan time)" in text


def test_a_cancelled_request_is_told_to_the_requester_and_to_its_volunteer_if_any() -> None:
    requester, volunteer = built("matching", "spot_request_cancelled")
    assert (requester.kind, requester.to_addr, requester.locale) == (
        "spot_cancelled_resident", "sita@example.net", "ne-NP")
    assert (volunteer.kind, volunteer.to_addr, volunteer.locale) == (
        "spot_cancelled_volunteer", "emily@example.org", "en-GB")
    subject, text, _ = bodies(volunteer)
    assert "cancelled" in subject and "20 April 2026, 10:00 (Japan time)" in text
    for message in (requester, volunteer):  # staff's reason stays with staff
        assert "resolved by the family" not in " ".join(bodies(message, "en"))
    [only] = built("matching", "spot_request_cancelled", volunteer=...)
    assert only.kind == "spot_cancelled_resident"


def test_a_guardian_is_told_when_staff_withdraw_the_child_not_after_their_own_click() -> None:
    [message] = built("programs", "class_enrollment_withdrawn")
    assert (message.kind, message.to_addr) == ("class_enrollment_withdrawn", "sita@example.net")
    subject, text, _ = bodies(message, "en")
    assert "Aarav" in subject and "place in はなまる教室 新宿" in text
    assert "moved away" not in text
    [waiting] = built("programs", "class_enrollment_withdrawn", previous_status="waitlisted")
    assert "waiting list" in bodies(waiting, "en")[1]
    assert built("programs", "class_enrollment_withdrawn", withdrawn_by="guardian") == []


def test_a_cancelled_session_tells_each_family_in_its_language_naming_its_children() -> None:
    sita, emily = built("programs", "class_session_cancelled")
    assert [(m.kind, m.to_addr, m.locale) for m in (sita, emily)] == [
        ("class_session_cancelled", "sita@example.net", "ne-NP"),
        ("class_session_cancelled", "emily@example.org", "en-GB")]
    subject, text, html = bodies(sita)
    assert "रद्द" in subject and "मौसमका कारण" in text and "Aarav, Anisha" in html
    subject, text, _ = bodies(emily)
    assert "cancelled" in subject and "because of the weather" in text
    assert "Lily" in text and "Aarav" not in text
    [only] = built("programs", "class_session_cancelled",
                   families=[{"guardian": {"name": "山田 花子", "email": "h@example.com",
                                           "locale": "ja"}, "children": ["Ken"]}])
    assert "休講" in bodies(only)[0]
    assert built("programs", "class_session_cancelled", families=[]) == []


def test_the_resident_gets_a_receipt_for_a_consultation_and_staff_an_urgent_alert() -> None:
    receipt, alert = built("programs", "consultation_opened")
    assert (receipt.kind, receipt.to_addr) == ("consultation_received", "sita@example.net")
    assert alert.kind == "staff_urgent_consultation"
    assert "119" in bodies(receipt, "en")[1]
    [normal] = built("programs", "consultation_opened", urgency="normal")
    assert normal.kind == "consultation_received" and "119" not in bodies(normal, "en")[1]


def test_the_expert_is_told_of_the_case_with_the_residents_contact_in_their_language() -> None:
    resident, expert = built("programs", "consultation_assigned")
    assert resident.kind == "consultation_assigned"
    assert (expert.kind, expert.to_addr, expert.locale) == (
        "consultation_assigned_expert", "tanaka@example.jp", "ja")
    subject, text, html = bodies(expert)
    assert "在留資格・ビザ" in subject
    for body in (text, html):
        assert "sita@example.net" in body and "सीता गुरुङ" in body
        assert "7d000000-0000-4000-8000-000000000001" in body


@pytest.mark.parametrize("outcome, phrase", [("resolved", "has been resolved"),
                                             ("referred", "referred"),
                                             ("closed", "We have closed")])
def test_the_resident_is_told_how_the_consultation_ended(outcome: str, phrase: str) -> None:
    [message] = built("programs", "consultation_resolved", outcome=outcome)
    assert (message.kind, message.to_addr) == ("consultation_closed", "sita@example.net")
    assert phrase in bodies(message, "en")[1]


@pytest.mark.parametrize(("source", "event_type", "expected"), [
    ("programs", "consultation_assigned",
     [("consultation_assigned", "sita@example.net"),
      ("consultation_assigned_expert", "tanaka@example.jp")]),
    ("programs", "consultation_resolved", [("consultation_closed", "sita@example.net")]),
    ("matching", "participant_applied", [("application_received", "sita@example.net")]),
    ("matching", "spot_request_created", [("spot_request_received", "sita@example.net")]),
    ("matching", "spot_request_cancelled",
     [("spot_cancelled_resident", "sita@example.net"),
      ("spot_cancelled_volunteer", "emily@example.org")]),
    ("programs", "class_enrollment_withdrawn",
     [("class_enrollment_withdrawn", "sita@example.net")]),
    ("programs", "class_session_cancelled",
     [("class_session_cancelled", "sita@example.net"),
      ("class_session_cancelled", "emily@example.org")]),
], ids=["consultation_assigned", "consultation_resolved", "participant_applied",
        "spot_request_created", "spot_request_cancelled", "class_enrollment_withdrawn",
        "class_session_cancelled"])
def test_the_service_consumes_the_event_and_mails_each_person_once(
        sink_factory, start_notifications, handled, source, event_type, expected):
    sink = sink_factory()
    config = start_notifications(sink.port)
    event = envelope(source, event_type)
    for _ in range(2):
        publish(config, event)

    wait_until(lambda: len(sink.messages()) == len(expected), message=f"{event_type} mail")
    handled(source, event_type, 2)
    assert sorted(m["To"].addresses[0].addr_spec for m in sink.messages()) == sorted(
        to for _, to in expected)
    rows = query(config["DATABASE_URL"], "SELECT kind, recipient, status FROM deliveries")
    assert sorted((r["kind"], r["recipient"]) for r in rows) == sorted(expected)
    assert {r["status"] for r in rows} == {"sent"}
