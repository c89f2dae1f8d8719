"""Every message kind, built from a valid example event of its contract, renders in every locale.

Fails when a locale lacks a template, when a template reads a variable the event does not
provide (in any branch, not only the one rendered), or when a reviewed rendering changes.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path
from typing import Any

import jinja2
import pytest
from contracts.donations import SOURCES
from contracts.matching import CLOSE_REASONS, SPOT_KINDS
from contracts.programs import SESSION_CANCEL_REASONS, TOPICS
from notification_examples import EMILY, EXAMPLES, example
from notifications import messages
from notifications.deliveries import BULK, Outgoing, is_transactional
from notifications.render import (
    SUPPORTED_LOCALES,
    _environment,
    known_kinds,
    missing_templates,
    render,
    required_context,
)

REVIEWED = Path(__file__).parent / "examples"
AUDIENCE = messages.Audience(staff_email="staff@j-ii.org", staff_locale="ja")
UNSUBSCRIBE_URL = "https://api.j-ii.org/api/unsubscribe/eyJlIjoiaGFuYWtvIn0.sig"

# Variants that reach the other branches and kinds of the builders.
VARIANTS: dict[str, tuple[tuple[str, str], dict[str, Any]]] = {
    "payment_succeeded.first": (("donations", "payment_succeeded"),
                                {"first_of_pledge": True, "source": "monthly",
                                 "pledge_id": "6f1c1d1e-0000-4000-8000-000000000003"}),
    "payment_failed.one_time": (("donations", "payment_failed"),
                                {"source": "card_one_time", "update_card_url": ...}),
    "pledge_changed.resumed": (("donations", "pledge_changed"),
                               {"change": "resumed", "previous_amount": 5000}),
    "pledge_canceled.by_staff": (("donations", "pledge_canceled"), {"actor": "staff:42"}),
    "payment_refunded.full": (("donations", "payment_refunded"),
                              {"amount": 10000, "refunded_total": 10000,
                               "fully_refunded": True}),
    "pairing_declined.by_resident": (("matching", "pairing_declined"),
                                     {"declined_by": "resident"}),
    "pairing_closed_early.safeguarding": (("matching", "pairing_closed_early"),
                                          {"reason": "safeguarding"}),
    "payment_disputed.fraud_no_deadline": (("donations", "payment_disputed"),
                                           {"reason": "fraudulent", "evidence_due_by": None}),
    "participant_applied.volunteer": (("matching", "participant_applied"),
                                      {"role": "volunteer"}),
    "participant_approved.partner": (("matching", "participant_approved"),
                                     {"role": "partner", "cleared": True}),
    "participant_approved.volunteer": (("matching", "participant_approved"),
                                       {"role": "volunteer", "cleared": True}),
    "pairing_started.contact_shared": (("matching", "pairing_started"),
                                       {"shared_contact": {"resident": ["name", "email"],
                                                           "partner": []}}),
    "class_enrollment_withdrawn.waiting": (("programs", "class_enrollment_withdrawn"),
                                           {"previous_status": "waitlisted"}),
    "consultation_opened.normal": (("programs", "consultation_opened"), {"urgency": "normal"}),
    "consultation_resolved.referred": (("programs", "consultation_resolved"),
                                       {"outcome": "referred"}),
    "consultation_resolved.closed": (("programs", "consultation_resolved"),
                                     {"outcome": "closed"}),
    "dead_letters_growing.first": (("notifications", "dead_letters_growing"),
                                   {"depth": 1, "previous_depth": 0}),
    "payment_succeeded.with_receipt": (("donations", "payment_succeeded"), {
        "source": "bank_transfer",
        "receipt_url": "https://www.j-ii.org/api/receipts/eyJnaWZ0Ijoi.sig"}),
    "annual_receipts_ready.no_address": (("donations", "annual_receipts_ready"), {
        "receipts": [], "total": 0, "address_missing": True}),
}


def _outgoing(key: tuple[str, str], changes: dict | None = None) -> list[Outgoing]:
    data = example(*key, **(changes or {}))
    if key == ("programs", "impact_updated"):
        return [messages.impact_update(data, {"name": "山田 花子", "email": "h@example.com",
                                              "locale": "ja"}, UNSUBSCRIBE_URL)]
    return messages.BUILDERS[key](data, AUDIENCE)


def _all_messages() -> dict[str, Outgoing]:
    found: dict[str, Outgoing] = {}
    cases = {key[1]: (key, {}) for key in EXAMPLES
             if key in messages.BUILDERS or key[1] == "impact_updated"}
    cases.update(VARIANTS)
    for name, (key, changes) in cases.items():
        for i, message in enumerate(_outgoing(key, changes)):
            found[f"{name}[{i}]:{message.kind}"] = message
    return found


ALL = _all_messages()


def test_every_template_kind_is_sent_for_some_event() -> None:
    assert {m.kind for m in ALL.values()} == set(known_kinds())


def test_no_kind_lacks_a_locale_or_a_part() -> None:
    assert missing_templates() == []


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
@pytest.mark.parametrize("case", sorted(ALL))
def test_every_message_renders_in_every_locale_without_fallback(case: str, locale: str) -> None:
    message = ALL[case]
    rendered = render(message.kind, locale, message.context)

    assert rendered.locale == locale
    assert rendered.subject and "{" not in rendered.subject
    assert rendered.html.startswith("<!DOCTYPE html>")
    assert f'<html lang="{locale}">' in rendered.html
    for body in (rendered.text, rendered.html):
        assert "{{" not in body and "{%" not in body
        if message.to_name and "name" in message.context:
            assert str(message.context["name"]).split()[0] in body


@pytest.mark.parametrize("case", sorted(ALL))
def test_templates_read_only_variables_the_event_provides_in_every_branch(case: str) -> None:
    # StrictUndefined only catches the branch rendered; this reads every branch of every locale.
    message = ALL[case]
    assert required_context(message.kind) <= set(message.context)


@pytest.mark.parametrize("kind", sorted(known_kinds()))
def test_every_locale_of_a_kind_reads_the_same_variables(kind: str) -> None:
    per_locale = {loc: required_context(kind, loc) for loc in SUPPORTED_LOCALES}
    assert len({frozenset(v) for v in per_locale.values()}) == 1, per_locale


@pytest.mark.parametrize("case", sorted(ALL))
def test_a_missing_variable_fails_the_render(case: str) -> None:
    message = ALL[case]
    used = sorted(required_context(message.kind) & set(message.context))
    context = {k: v for k, v in message.context.items() if k != used[0]}
    with pytest.raises(jinja2.UndefinedError):
        # every locale names its reader (or, for staff, the first detail) unconditionally
        for locale in SUPPORTED_LOCALES:
            render(message.kind, locale, context)


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_every_value_an_event_may_carry_has_a_label_in_every_locale(locale: str) -> None:
    for kind in SPOT_KINDS:
        for message in _outgoing(("matching", "spot_request_assigned"), {"kind": kind}):
            render(message.kind, locale, message.context)
    for topic in TOPICS:
        for message in _outgoing(("programs", "consultation_assigned"), {"topic": topic}):
            render(message.kind, locale, message.context)
        for message in _outgoing(("programs", "consultation_opened"), {"topic": topic}):
            render(message.kind, locale, message.context)
    for reason in CLOSE_REASONS:
        for message in _outgoing(("matching", "pairing_closed_early"), {"reason": reason}):
            render(message.kind, locale, message.context)
    for kind in SPOT_KINDS:
        for message in _outgoing(("matching", "spot_request_reminder_due"), {"kind": kind}):
            render(message.kind, locale, message.context)
    for reason in SESSION_CANCEL_REASONS:
        for message in _outgoing(("programs", "class_session_cancelled"), {"reason": reason}):
            render(message.kind, locale, message.context)
    labels = _environment(locale).get_template(f"_layout/labels.{locale}").make_module()
    assert set(labels.payment_sources) == set(SOURCES)
    assert set(labels.session_cancel_reasons) == set(SESSION_CANCEL_REASONS)


def test_pairing_offer_goes_to_both_sides_each_with_only_their_own_links() -> None:
    resident, partner = _outgoing(("matching", "pairing_offered"))
    assert (resident.to_addr, partner.to_addr) == ("sita@example.net", "hanako@example.com")
    for message, own, other in ((resident, "res", "par"), (partner, "par", "res")):
        rendered = render(message.kind, message.locale, message.context)
        for body in (rendered.text, rendered.html):
            assert f"t={own}.accept" in body and f"t={own}.decline" in body
            assert f"t={other}." not in body
    assert "सीता गुरुङ" in render("pairing_offered", "ja", partner.context).text
    assert "山田 花子" in render("pairing_offered", "ne", resident.context).text


@pytest.mark.parametrize("locale, consent", [
    ("en", "Nothing is shared unless you tick that box"),
    ("ja", "チェックを入れない限り、お知らせすることはありません"),
    ("ne", "बाकसमा चिन्ह नलगाएसम्म केही पनि दिइँदैन"),
])
def test_a_pairing_offer_says_contact_details_are_shared_only_with_consent(
        locale: str, consent: str) -> None:
    # The offer page asks before an accepted pairing passes on name and e-mail: the e-mail
    # says so before the person opens it.
    for message in _outgoing(("matching", "pairing_offered")):
        rendered = render(message.kind, locale, message.context)
        assert consent in rendered.text and consent in rendered.html


@pytest.mark.parametrize("event_type", ["pairing_started", "pairing_ending_soon",
                                        "pairing_completed"])
def test_pairing_news_goes_to_both_sides_in_their_own_language(event_type: str) -> None:
    resident, partner = _outgoing(("matching", event_type))
    assert (resident.locale, partner.locale) == ("ne-NP", "ja")
    assert render(resident.kind, resident.locale, resident.context).locale == "ne"
    assert "सीता गुरुङ" in render(partner.kind, partner.locale, partner.context).text


@pytest.mark.parametrize("declined_by, told, other_name", [
    ("partner", "sita@example.net", "山田 花子"),
    ("resident", "hanako@example.com", "सीता गुरुङ"),
])
def test_a_declined_offer_is_told_only_to_the_side_that_did_not_decline(
        declined_by: str, told: str, other_name: str) -> None:
    [message] = _outgoing(("matching", "pairing_declined"), {"declined_by": declined_by})
    assert (message.kind, message.to_addr) == ("pairing_not_going_ahead", told)
    assert message.context["other_name"] == other_name


def test_an_expired_offer_is_told_to_both_sides_each_in_their_own_language() -> None:
    resident, partner = _outgoing(("matching", "pairing_offer_expired"))
    assert [(m.kind, m.to_addr, m.locale) for m in (resident, partner)] == [
        ("pairing_not_going_ahead", "sita@example.net", "ne-NP"),
        ("pairing_not_going_ahead", "hanako@example.com", "ja")]
    to_resident = render(resident.kind, resident.locale, resident.context)
    to_partner = render(partner.kind, partner.locale, partner.context)
    assert to_resident.locale == "ne" and "山田 花子" in to_resident.text
    assert to_partner.locale == "ja" and "सीता गुरुङ" in to_partner.text


def test_a_withdrawal_tells_the_other_side_of_each_cancelled_offer_and_an_older_event_no_one(
) -> None:
    key = ("matching", "participant_withdrawn")
    [message] = _outgoing(key)
    assert (message.kind, message.to_addr, message.locale) == (
        "pairing_not_going_ahead", "sita@example.net", "ne-NP")
    assert message.context["other_name"] == "山田 花子"
    # a partner withdrawn with two families offered: each family is told, once
    emily = {"participant_id": "7a000000-0000-4000-8000-000000000003", **EMILY}
    two = [*EXAMPLES[key]["cancelled_offers"],
           {"pairing_id": "7b000000-0000-4000-8000-000000000002", "other": emily}]
    assert [(m.to_addr, m.locale) for m in _outgoing(key, {"cancelled_offers": two})] == [
        ("sita@example.net", "ne-NP"), ("emily@example.org", "en-GB")]
    assert _outgoing(key, {"cancelled_offers": []}) == []
    assert _outgoing(key, {"cancelled_offers": ...}) == []  # an event from before the field


# Words that would tell the reader who said no, that someone left, or why.
TELLING = {
    "en": ("declin", "refus", "withdr", "left", "expired", "answer", "moved", "because"),
    "ja": ("辞退", "断", "退会", "取り下げ", "期限", "回答", "転居", "理由", "見送"),
    "ne": ("अस्वीकार", "फिर्ता", "म्याद", "छोड", "बसाइँ", "कारणले गर्दा"),
}


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_the_message_is_the_same_whatever_the_cause_and_never_says_who_or_why(
        locale: str) -> None:
    # The resident told after the partner declined, after nobody answered, after the partner
    # was withdrawn: one and the same e-mail.
    to_resident = [_outgoing(("matching", "pairing_declined"))[0],
                   _outgoing(("matching", "pairing_offer_expired"))[0],
                   _outgoing(("matching", "participant_withdrawn"))[0]]
    [rendered] = {render(m.kind, locale, m.context) for m in to_resident}
    for part in (rendered.subject, rendered.text, rendered.html):
        assert not [word for word in TELLING[locale] if word in part.lower()]
    assert "info@j-ii.org" in rendered.text and "山田 花子" in rendered.text


def test_spot_assignment_tells_the_resident_and_the_volunteer() -> None:
    resident, volunteer = _outgoing(("matching", "spot_request_assigned"))
    assert (resident.kind, resident.to_addr) == ("spot_assigned_resident", "sita@example.net")
    assert (volunteer.kind, volunteer.to_addr) == ("spot_assigned_volunteer", "emily@example.org")
    text = render(volunteer.kind, volunteer.locale, volunteer.context).text
    assert "nursery school enrolment" in text and "20 April 2026, 10:00 (Japan time)" in text


def test_staff_alerts_go_to_the_configured_staff_address_in_its_locale() -> None:
    closed = _outgoing(("matching", "pairing_closed_early"))[0]
    urgent = _outgoing(("programs", "consultation_opened"))[-1]
    [disputed] = _outgoing(("donations", "payment_disputed"))
    [dead_letters] = _outgoing(("notifications", "dead_letters_growing"))
    for alert in (closed, urgent, disputed, dead_letters):
        assert (alert.to_addr, alert.locale) == ("staff@j-ii.org", "ja")
    assert "転居" in render(closed.kind, closed.locale, closed.context).text


def test_a_dispute_tells_staff_the_receipt_amount_reason_and_deadline_to_answer_in_stripe(
) -> None:
    [alert] = _outgoing(("donations", "payment_disputed"))
    assert (alert.kind, alert.to_addr, alert.locale) == ("staff_dispute", "staff@j-ii.org", "ja")
    expected = {
        # The evidence deadline is 23:59:59 Tokyo time on 29 April.
        "ja": ("10,000円", "心当たりのない請求", "2026年4月29日 23:59", "不審請求の申請"),
        "en": ("¥10,000", "does not recognise", "29 April 2026, 23:59 (Japan time)",
               "Stripe dashboard"),
        "ne": ("१०,००० येन", "नचिनिएको भुक्तानी", "२०२६ अप्रिल २९, २३:५९", "Stripe ड्यासबोर्ड"),
    }
    for locale, phrases in expected.items():
        rendered = render(alert.kind, locale, alert.context)
        assert "R2026-000124" in rendered.subject
        for body in (rendered.text, rendered.html):
            assert "R2026-000124" in body and "du_1PqR2sT3uV4wX5yZ" in body
            assert all(phrase in body for phrase in phrases), (locale, phrases)


def test_a_dispute_without_a_deadline_or_with_an_unknown_reason_still_reads_well() -> None:
    [fraud] = _outgoing(("donations", "payment_disputed"),
                        {"reason": "fraudulent", "evidence_due_by": ...})
    text = render(fraud.kind, "en", fraud.context).text
    assert "Evidence due by: not given yet" in text
    assert "not necessarily the cardholder" in text, "no blind call to a possibly stolen card"
    [odd] = _outgoing(("donations", "payment_disputed"), {"reason": "some_new_reason"})
    assert "Reason: some_new_reason" in render(odd.kind, "en", odd.context).text


def test_the_spot_reminder_goes_to_each_side_in_their_own_language_naming_the_other() -> None:
    resident, volunteer = _outgoing(("matching", "spot_request_reminder_due"))
    assert (resident.kind, resident.to_addr, resident.locale) == (
        "spot_reminder_resident", "sita@example.net", "ne-NP")
    assert (volunteer.kind, volunteer.to_addr, volunteer.locale) == (
        "spot_reminder_volunteer", "emily@example.org", "en-GB")
    to_resident = render(resident.kind, resident.locale, resident.context)
    to_volunteer = render(volunteer.kind, volunteer.locale, volunteer.context)
    assert to_resident.locale == "ne" and to_volunteer.locale == "en"
    assert "Emily Carter" in to_resident.text and "नर्सरी (होइकुएन) भर्ना" in to_resident.text
    assert "२०२६ अप्रिल २०, १०:०० (जापानको समय)" in to_resident.text
    assert "सीता गुरुङ" in to_volunteer.text and "Languages: ne, ja" in to_volunteer.text
    assert "20 April 2026, 10:00 (Japan time)" in to_volunteer.text
    assert "Area: Shinjuku" in to_volunteer.text


def test_the_dead_letter_alert_names_the_queue_counts_and_commands_that_work() -> None:
    [alert] = _outgoing(("notifications", "dead_letters_growing"))
    assert (alert.kind, alert.to_addr, alert.locale) == (
        "staff_dlq_growing", "staff@j-ii.org", "ja")
    for locale in SUPPORTED_LOCALES:
        rendered = render(alert.kind, locale, alert.context)
        for body in (rendered.text, rendered.html):
            assert "donations.dlq" in body
            for command in ("jii dlq list donations", "jii dlq show donations 1",
                            "jii dlq replay donations 1", "--all"):
                assert command in body, (locale, command)
    text = render(alert.kind, "en", alert.context).text
    assert "Parked events: 7" in text and "At the previous alert: 3" in text
    [first] = _outgoing(("notifications", "dead_letters_growing"),
                        {"depth": 1, "previous_depth": 0})
    first_text = render(first.kind, "en", first.context).text
    assert "At the previous alert: none" in first_text
    assert "holds 1 unhandled event" in render(first.kind, "en", first.context).subject


def test_the_commands_in_the_dead_letter_alert_are_real_jii_commands() -> None:
    cli = pytest.importorskip("jii_cli.main")
    workspace = pytest.importorskip("jii_cli.workspace")
    from notifications.dead_letters import DEFAULT_QUEUES

    for queue in DEFAULT_QUEUES:
        [alert] = _outgoing(("notifications", "dead_letters_growing"), {"queue": queue})
        assert alert.context["service"] in workspace.DEPLOYABLES, queue
        text = render(alert.kind, "en", alert.context).text
        commands = [line.strip() for line in text.splitlines() if line.strip().startswith("jii ")]
        assert len(commands) == 3
        for command in [*commands, f"jii dlq replay {alert.context['service']} --all"]:
            cli.build_parser().parse_args(shlex.split(command)[1:])  # exits on a bad command


def test_only_urgent_consultations_alert_staff() -> None:
    sent = _outgoing(("programs", "consultation_opened"), {"urgency": "high"})
    assert [m.kind for m in sent] == ["consultation_received"]  # the resident's receipt only


def test_a_recovered_pledge_sends_nothing_beyond_the_payment_thank_you() -> None:
    assert _outgoing(("donations", "pledge_changed"), {"change": "recovered"}) == []


def test_payment_failed_carries_the_card_update_link() -> None:
    [message] = _outgoing(("donations", "payment_failed"))
    for locale in SUPPORTED_LOCALES:
        rendered = render(message.kind, locale, message.context)
        assert "https://j-ii.org/pledge?token=abc.def" in rendered.text
        assert 'href="https://j-ii.org/pledge?token=abc.def"' in rendered.html


def test_impact_update_is_the_only_bulk_kind_and_carries_one_click_unsubscribe() -> None:
    assert BULK == {"impact_update"}
    assert all(is_transactional(kind) for kind in known_kinds() if kind != "impact_update")
    [message] = _outgoing(("programs", "impact_updated"))
    assert message.headers == {"List-Unsubscribe": f"<{UNSUBSCRIBE_URL}>",
                               "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    rendered = render(message.kind, "ne", message.context)
    assert "१,२३४" in rendered.text and "२०२६ अप्रिल" in rendered.subject
    assert UNSUBSCRIBE_URL in rendered.text


SPOT_KINDS_OF_MAIL = [("spot_request_assigned", 0), ("spot_request_assigned", 1),
                      ("spot_request_reminder_due", 0), ("spot_request_reminder_due", 1),
                      ("spot_request_unassigned", 0)]
AREA_SHOWN = {"ja": "新宿区", "en": "Shinjuku", "ne": "Shinjuku (新宿区)"}


@pytest.mark.parametrize("locale", ["ja", "en", "ne"])
@pytest.mark.parametrize("event_type, index", SPOT_KINDS_OF_MAIL)
def test_spot_mails_name_the_area_in_the_readers_language_never_by_its_code(
        event_type: str, index: int, locale: str) -> None:
    message = messages.BUILDERS[("matching", event_type)](
        example("matching", event_type), AUDIENCE)[index]
    rendered = render(message.kind, locale, message.context)
    for part in (rendered.text, rendered.html):
        assert AREA_SHOWN[locale] in part and "shinjuku" not in part


def test_a_spot_event_without_area_names_still_shows_its_area() -> None:
    data = {k: v for k, v in example("matching", "spot_request_assigned").items()
            if k != "area_name"}
    message = messages.spot_request_assigned(data, AUDIENCE)[0]
    assert "shinjuku" in render(message.kind, "ne", message.context).text


TIER_CLASS = {
    "ja": "1万円で、外国にルーツを持つ子どもたちのための地域の学習支援教室を1回開くことが"
          "できます。",
    "en": "¥10,000 can hold one local learning support class for children with roots abroad.",
    "ne": "¥१०,००० ले विदेशी जरा भएका बालबालिकाका लागि एउटा स्थानीय सिकाइ सहयोग कक्षा सञ्चालन गर्न"
          " सकिन्छ।"}
HANAMARU = {"ja": "はなまる教室", "en": "Hanamaru Class", "ne": "हानामारु कक्षा"}


@pytest.mark.parametrize("locale", ["ja", "en", "ne"])
def test_a_thank_you_names_the_tiers_impact_and_the_program_the_gift_was_given_for(locale):
    data = example("donations", "payment_succeeded", locale=locale, tier="class",
                   designation="hanamaru_class", tier_impact=TIER_CLASS,
                   designation_name=HANAMARU)
    [message] = messages.payment_succeeded(data, AUDIENCE)
    rendered = render(message.kind, message.locale, message.context)
    for part in (rendered.text, rendered.html):
        assert TIER_CLASS[locale] in part and HANAMARU[locale] in part


@pytest.mark.parametrize("locale", ["ja", "en", "ne"])
def test_a_gift_where_it_is_needed_most_and_an_older_event_mention_no_program(locale):
    general = example("donations", "payment_succeeded", locale=locale, designation="general",
                      designation_name={"ja": "活動全般", "en": "Where it is needed most",
                                        "ne": "सबैभन्दा आवश्यक ठाउँमा"})
    older = example("donations", "payment_succeeded", locale=locale)
    for data in (general, older):
        [message] = messages.payment_succeeded(data, AUDIENCE)
        rendered = render(message.kind, message.locale, message.context)
        said = {"ja": "ご指定いただいた", "en": "As you asked", "ne": "इच्छाअनुसार"}[locale]
        assert said not in rendered.text and said not in rendered.html


# What a grant maker or a member must never read: that they made a donation.
DONATION_WORDS = {"ja": "寄付", "en": "donation", "ne": "आर्थिक सहयोग"}


@pytest.mark.parametrize("locale", ["ja", "en", "ne"])
@pytest.mark.parametrize("source", ["grant", "membership_fee"])
def test_grants_and_membership_fees_are_not_thanked_as_donations(source: str, locale: str):
    data = example("donations", "payment_succeeded", locale=locale, source=source,
                   designation="family_friend", designation_name={
                       "ja": "おとなりさんファミリーフレンド", "en": "Otonari-san Family Friend",
                       "ne": "ओतोनारी-सान फ्यामिली फ्रेन्ड"})
    [message] = messages.payment_succeeded(data, AUDIENCE)
    rendered = render(message.kind, message.locale, message.context)
    for part in (rendered.subject, rendered.text, rendered.html):
        assert DONATION_WORDS[locale] not in part.lower()


@pytest.mark.parametrize("locale, raised, year_raised", [
    ("en", "Donations received: ¥1,850,000", "So far in 2026:\n  ¥6,400,000 received"),
    ("ja", "いただいたご寄付：1,850,000円", "2026年の累計：\n  いただいたご寄付 6,400,000円"),
    ("ne", "प्राप्त दान: १८,५०,००० येन", "२०२६ मा अहिलेसम्म:\n  प्राप्त दान ६४,००,००० येन"),
])
def test_impact_update_says_what_was_raised_in_the_month_and_the_year_so_far(
        locale: str, raised: str, year_raised: str) -> None:
    [message] = _outgoing(("programs", "impact_updated"))
    rendered = render(message.kind, locale, message.context)
    assert raised in rendered.text and year_raised in rendered.text
    month_amount = {"en": "¥1,850,000", "ja": "1,850,000円", "ne": "१८,५०,००० येन"}[locale]
    assert month_amount in rendered.html


def test_impact_update_told_before_the_year_so_far_existed_still_renders() -> None:
    figures = {k: v for k, v in example("programs", "impact_updated").items()
               if k != "year_to_date"}
    message = messages.impact_update(figures, {"name": "Ann", "email": "a@example.org",
                                               "locale": "en"}, UNSUBSCRIBE_URL)
    rendered = render(message.kind, "en", message.context)
    assert "Donations received" in rendered.text and "So far" not in rendered.text


# Reviewed renderings: a template change that alters one of these must come with re-reviewed
# example files (set JII_UPDATE_EXAMPLES=1 to rewrite them, then read the diff).
REVIEWED_CASES: dict[str, tuple[str, str]] = {
    "payment_failed.monthly.en": ("payment_failed[0]:payment_failed", "en"),
    "pledge_changed.amount.ne": ("pledge_changed[0]:pledge_changed", "ne"),
    "refund_notice.partial.ja": ("payment_refunded[0]:refund_notice", "ja"),
    "pairing_offered.resident.ne": ("pairing_offered[0]:pairing_offered", "ne"),
    "pairing_offered.partner.ja": ("pairing_offered[1]:pairing_offered", "ja"),
    "pairing_not_going_ahead.resident.ne": (
        "pairing_declined[0]:pairing_not_going_ahead", "ne"),
    "pairing_not_going_ahead.partner.ja": (
        "pairing_offer_expired[1]:pairing_not_going_ahead", "ja"),
    "pairing_not_going_ahead.resident.en": (
        "participant_withdrawn[0]:pairing_not_going_ahead", "en"),
    "pairing_completed.partner.en": ("pairing_completed[1]:pairing_completed", "en"),
    "pairing_closed_early.staff.ja": ("pairing_closed_early[0]:pairing_closed_early", "ja"),
    "spot_assigned_volunteer.en": ("spot_request_assigned[1]:spot_assigned_volunteer", "en"),
    "class_enrollment_waitlisted.ja": (
        "class_enrollment_waitlisted[0]:class_enrollment_waitlisted", "ja"),
    "consultation_assigned.ne": ("consultation_assigned[0]:consultation_assigned", "ne"),
    "impact_update.en": ("impact_updated[0]:impact_update", "en"),
    "impact_update.ja": ("impact_updated[0]:impact_update", "ja"),
    "staff_dispute.ja": ("payment_disputed[0]:staff_dispute", "ja"),
    "staff_dispute.fraud_no_deadline.en": (
        "payment_disputed.fraud_no_deadline[0]:staff_dispute", "en"),
    "spot_reminder_resident.ne": ("spot_request_reminder_due[0]:spot_reminder_resident", "ne"),
    "spot_reminder_volunteer.en": ("spot_request_reminder_due[1]:spot_reminder_volunteer", "en"),
    "spot_unassigned_volunteer.ja": ("spot_request_unassigned[0]:spot_unassigned_volunteer", "ja"),
    "staff_dlq_growing.ja": ("dead_letters_growing[0]:staff_dlq_growing", "ja"),
    "staff_dlq_growing.first.en": ("dead_letters_growing.first[0]:staff_dlq_growing", "en"),
    "application_received.resident.ne": (
        "participant_applied[0]:application_received", "ne"),
    "application_approved.volunteer.en": (
        "participant_approved.volunteer[0]:application_approved", "en"),
    "pairing_started.contact_shared.partner.ja": (
        "pairing_started.contact_shared[1]:pairing_started", "ja"),
    "pairing_started.contact_shared.resident.en": (
        "pairing_started.contact_shared[0]:pairing_started", "en"),
    "pairing_ended_early.partner.en": ("pairing_closed_early[2]:pairing_ended_early", "en"),
    "spot_cancelled_volunteer.en": ("spot_request_cancelled[1]:spot_cancelled_volunteer", "en"),
    "spot_cancelled_resident.ne": ("spot_request_cancelled[0]:spot_cancelled_resident", "ne"),
    "spot_request_received.ja": ("spot_request_created[0]:spot_request_received", "ja"),
    "class_enrollment_withdrawn.ja": (
        "class_enrollment_withdrawn[0]:class_enrollment_withdrawn", "ja"),
    "consultation_received.urgent.en": ("consultation_opened[0]:consultation_received", "en"),
    "consultation_assigned_expert.ja": (
        "consultation_assigned[1]:consultation_assigned_expert", "ja"),
    "consultation_closed.referred.ne": (
        "consultation_resolved.referred[0]:consultation_closed", "ne"),
    "donation_thanks.with_receipt.ja": (
        "payment_succeeded.with_receipt[0]:donation_thanks", "ja"),
    "annual_receipts.ne": ("annual_receipts_ready[0]:annual_receipts", "ne"),
    "annual_receipts.en": ("annual_receipts_ready[0]:annual_receipts", "en"),
    "annual_receipts.ja": ("annual_receipts_ready[0]:annual_receipts", "ja"),
    "annual_receipts.no_address.ja": (
        "annual_receipts_ready.no_address[0]:annual_receipts", "ja"),
}


@pytest.mark.parametrize("name", sorted(REVIEWED_CASES))
def test_rendering_matches_the_reviewed_example(name: str) -> None:
    case, locale = REVIEWED_CASES[name]
    message = ALL[case]
    rendered = render(message.kind, locale, message.context)
    text = f"Subject: {rendered.subject}\n\n{rendered.text}"
    txt_path, html_path = REVIEWED / f"{name}.txt", REVIEWED / f"{name}.html"
    if os.environ.get("JII_UPDATE_EXAMPLES") == "1":
        txt_path.write_text(text, encoding="utf-8")
        html_path.write_text(rendered.html, encoding="utf-8")
    assert text == txt_path.read_text(encoding="utf-8")
    assert rendered.html == html_path.read_text(encoding="utf-8")


@pytest.mark.parametrize("locale", ["ja", "en", "ne"])
def test_an_enrolment_mail_offers_the_withdrawal_link_only_when_the_event_carries_one(locale):
    from notification_examples import ENROLLMENT

    guardian = {**ENROLLMENT["guardian"], "locale": locale}
    with_link = messages.class_enrollment_confirmed(
        {**ENROLLMENT, "guardian": guardian}, AUDIENCE)[0]
    without = messages.class_enrollment_confirmed(
        {**{k: v for k, v in ENROLLMENT.items() if k != "withdraw_url"}, "guardian": guardian},
        AUDIENCE)[0]
    shown = render(with_link.kind, with_link.locale, with_link.context)
    assert ENROLLMENT["withdraw_url"] in shown.text
    assert f'href="{ENROLLMENT["withdraw_url"]}"' in shown.html
    hidden = render(without.kind, without.locale, without.context)
    assert "withdraw" not in hidden.text and "withdraw" not in hidden.html


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_a_thank_you_offers_the_english_receipt_beside_the_original_unless_in_japanese(
    locale: str,
) -> None:
    [message] = _outgoing(*VARIANTS["payment_succeeded.with_receipt"])
    url = message.context["receipt_url"]
    rendered = render(message.kind, locale, message.context)
    for body in (rendered.text, rendered.html):
        assert url in body
        assert (f"{url}?lang=en" in body) == (locale != "ja")
