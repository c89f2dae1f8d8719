"""Rendering of notification templates: locales, fallback, strictness, escaping, formats."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import jinja2
import pytest
from notifications import render as render_module
from notifications.render import (
    SUPPORTED_LOCALES,
    RenderedMessage,
    UnknownMessageKind,
    format_date,
    format_datetime,
    format_yen,
    known_kinds,
    missing_templates,
    render,
    required_context,
    resolve_locale,
)

EXAMPLES = Path(__file__).parent / "examples"

# The context each kind needs; the service wiring builds exactly these from the event.
CONTEXTS: dict[str, dict[str, object]] = {
    "pledge_welcome": {
        "name": "Test Supporter",
        "amount": 3000,
        "receipt_number": "R2026-000123",
        "paid_at": "2026-03-31T16:30:00+00:00",
        "manage_url": "https://jii.example/pledge?token=abc.def",
    },
    "donation_thanks": {
        "name": "Test Supporter",
        "amount": 10000,
        "receipt_number": "R2026-000124",
        "paid_at": "2026-03-31T16:30:00+00:00",
        "source": "card_one_time",
        "tier_impact": None,
        "designation_name": None,
        "manage_url": None,
    },
}

# As donations' payment_succeeded carries them (from donations.tiers).
TIER_CONNECT = {
    "ja": "3万円で、10人の外国人住民が日本の人々とつながる機会をつくることができます。",
    "en": "¥30,000 gives 10 foreign residents a chance to connect with Japanese people.",
    "ne": "¥३०,००० ले १० जना विदेशी बासिन्दालाई जापानी मानिसहरूसँग जोडिने अवसर दिन्छ।"}
FAMILY_FRIEND = {"ja": "おとなりさんファミリーフレンド", "en": "Otonari-san Family Friend",
                 "ne": "ओतोनारी-सान फ्यामिली फ्रेन्ड"}

EXPECTED_AMOUNT = {
    ("pledge_welcome", "ja"): "3,000円",
    ("pledge_welcome", "en"): "¥3,000",
    ("pledge_welcome", "ne"): "३,००० येन",
    ("donation_thanks", "ja"): "10,000円",
    ("donation_thanks", "en"): "¥10,000",
    ("donation_thanks", "ne"): "१०,००० येन",
}
# 16:30 UTC on 31 March is already 1 April in Tokyo.
EXPECTED_DATE = {"ja": "2026年4月1日", "en": "1 April 2026", "ne": "२०२६ अप्रिल १"}


def test_the_two_donation_kinds_exist_with_every_locale() -> None:
    assert {"pledge_welcome", "donation_thanks"} <= set(known_kinds())
    assert missing_templates() == []


def test_every_context_fixture_covers_a_known_kind() -> None:
    # The other kinds are covered from example events in test_messages.py.
    assert set(CONTEXTS) <= set(known_kinds())


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
@pytest.mark.parametrize("kind", sorted(CONTEXTS))
def test_every_kind_renders_amount_receipt_and_tokyo_date_in_every_locale(
    kind: str, locale: str
) -> None:
    msg = render(kind, locale, CONTEXTS[kind])

    assert msg.locale == locale
    assert msg.subject and "\n" not in msg.subject
    for body in (msg.text, msg.html):
        assert EXPECTED_AMOUNT[kind, locale] in body
        assert str(CONTEXTS[kind]["receipt_number"]) in body
        assert EXPECTED_DATE[locale] in body
        assert "Test Supporter" in body
    assert msg.html.startswith("<!DOCTYPE html>")
    assert f'<html lang="{locale}">' in msg.html


@pytest.mark.parametrize("kind", sorted(CONTEXTS))
def test_every_locale_of_a_kind_needs_the_same_context(kind: str) -> None:
    # A translation that forgot the receipt number (or used a new variable) shows up here.
    per_locale = {loc: required_context(kind, loc) for loc in SUPPORTED_LOCALES}
    assert all(names == set(CONTEXTS[kind]) for names in per_locale.values()), per_locale


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("ja-JP", "ja"),
        ("en-US", "en"),
        ("ne-NP", "ne"),
        ("NE", "ne"),
        ("en_GB", "en"),
        ("ja-Jpan-JP", "ja"),
        ("fr-FR", "en"),
        ("", "en"),
        (None, "en"),
        ("not a tag!", "en"),
    ],
)
def test_bcp47_tags_resolve_to_their_language_or_english(tag: str | None, expected: str) -> None:
    assert resolve_locale(tag) == expected
    assert render("donation_thanks", tag, CONTEXTS["donation_thanks"]).locale == expected


@pytest.fixture
def template_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A scratch template directory, so fallback can be shown with kinds missing locales."""
    layout = render_module.TEMPLATE_DIR / "_layout"
    (tmp_path / "_layout").mkdir()
    for f in layout.iterdir():
        (tmp_path / "_layout" / f.name).write_bytes(f.read_bytes())
    monkeypatch.setattr(render_module, "TEMPLATE_DIR", tmp_path)
    render_module._environment.cache_clear()
    yield tmp_path
    render_module._environment.cache_clear()


def _write_kind(root: Path, kind: str, locale: str, parts: tuple[str, ...]) -> None:
    (root / kind).mkdir(exist_ok=True)
    for part in parts:
        (root / kind / f"{locale}.{part}").write_text(f"{kind} {locale} {part}", encoding="utf-8")


def test_falls_back_to_japanese_when_neither_requested_nor_english_exists(
    template_dir: Path,
) -> None:
    _write_kind(template_dir, "only_ja", "ja", ("subject", "txt", "html"))

    msg = render("only_ja", "ne-NP", {})

    assert msg.locale == "ja"
    assert msg.subject == "only_ja ja subject"
    assert missing_templates() == [
        f"only_ja/{loc}.{p}" for loc in ("en", "ne") for p in render_module.PARTS
    ]


def test_falls_back_to_english_when_a_locale_lacks_one_of_its_parts(template_dir: Path) -> None:
    _write_kind(template_dir, "partial", "ne", ("subject", "txt"))  # no ne.html
    _write_kind(template_dir, "partial", "en", ("subject", "txt", "html"))
    _write_kind(template_dir, "partial", "ja", ("subject", "txt", "html"))

    msg = render("partial", "ne", {})

    assert msg.locale == "en"
    assert msg.html == "partial en html\n"


def test_unknown_kind_is_an_error() -> None:
    with pytest.raises(UnknownMessageKind):
        render("no_such_kind", "en", {})


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
@pytest.mark.parametrize(
    ("kind", "missing"),
    [(kind, name) for kind, ctx in sorted(CONTEXTS.items()) for name in sorted(ctx)],
)
def test_a_missing_context_variable_raises(kind: str, missing: str, locale: str) -> None:
    context = {k: v for k, v in CONTEXTS[kind].items() if k != missing}
    with pytest.raises(jinja2.UndefinedError):
        render(kind, locale, context)


def test_names_are_escaped_in_html_and_left_alone_in_plain_text() -> None:
    context = {**CONTEXTS["donation_thanks"], "name": 'Ann <script>alert("x")</script> & Co'}

    msg = render("donation_thanks", "en", context)

    assert "<script>" not in msg.html
    assert "Ann &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Co" in msg.html
    assert 'Dear Ann <script>alert("x")</script> & Co,' in msg.text


@pytest.mark.parametrize(
    ("source", "locale", "phrase"),
    [
        ("monthly", "en", "as a JII Partner"),
        ("membership_fee", "en", "membership fee"),
        ("bank_transfer", "en", "your bank transfer"),
        ("grant", "en", "your grant payment"),
        ("bank_transfer", "ja", "お振込み"),
        ("grant", "ja", "助成金"),
        ("bank_transfer", "ne", "बैंक ट्रान्सफर"),
        ("grant", "ne", "अनुदान"),
        ("monthly", "ja", "今月のご寄付"),
        ("membership_fee", "ja", "会費"),
        ("monthly", "ne", "यस महिनाको"),
        ("membership_fee", "ne", "सदस्यता शुल्क"),
    ],
)
def test_donation_thanks_wording_follows_the_payment_source(
    source: str, locale: str, phrase: str
) -> None:
    msg = render("donation_thanks", locale, {**CONTEXTS["donation_thanks"], "source": source})
    assert phrase in msg.text
    assert phrase in msg.html


@pytest.mark.parametrize(
    ("amount", "locale", "expected"),
    [
        (3000, "ja", "3,000円"),
        (3000, "en", "¥3,000"),
        (3000, "ne", "३,००० येन"),
        (500, "ne", "५०० येन"),
        (100000, "ja", "100,000円"),
        (100000, "ne", "१,००,००० येन"),
        (1234567, "ne", "१२,३४,५६७ येन"),
        (1234567, "en", "¥1,234,567"),
        (3000, "ja-JP", "3,000円"),
        (-3000, "en", "-¥3,000"),
    ],
)
def test_yen_is_formatted_for_the_reader(amount: int, locale: str, expected: str) -> None:
    assert format_yen(amount, locale) == expected


@pytest.mark.parametrize("amount", [3000.0, True, "3000"])
def test_yen_refuses_anything_but_integer_yen(amount: object) -> None:
    with pytest.raises(TypeError):
        format_yen(amount, "en")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "locale", "expected"),
    [
        (datetime(2026, 3, 31, 14, 59, tzinfo=UTC), "ja", "2026年3月31日"),
        (datetime(2026, 3, 31, 15, 0, tzinfo=UTC), "ja", "2026年4月1日"),
        ("2026-03-31T15:00:00Z", "en", "1 April 2026"),
        (datetime(2026, 3, 31, 15, 0), "en", "1 April 2026"),  # naive means UTC
        ("2026-12-24T03:00:00+00:00", "ne", "२०२६ डिसेम्बर २४"),
        (date(2026, 1, 5), "en", "5 January 2026"),
    ],
)
def test_dates_are_shown_in_tokyo(value: datetime | str | date, locale: str, expected: str) -> None:
    assert format_date(value, locale) == expected


def test_datetimes_are_shown_in_tokyo_with_the_time_of_day() -> None:
    utc = datetime(2026, 3, 31, 9, 5, tzinfo=UTC)
    assert format_datetime(utc, "ja") == "2026年3月31日 18:05"
    assert format_datetime(utc, "en") == "31 March 2026, 18:05 (Japan time)"
    assert format_datetime(utc, "ne") == "२०२६ मार्च ३१, १८:०५ (जापानको समय)"


# Reviewed renderings. A template change that alters one of these must come with a re-reviewed
# example file: the comparison is exact on purpose.
EXAMPLE_CASES: dict[str, tuple[str, str, dict[str, object]]] = {
    "pledge_welcome.ja": (
        "pledge_welcome",
        "ja",
        {**CONTEXTS["pledge_welcome"], "name": "山田 花子", "amount": 5000},
    ),
    "pledge_welcome.en": (
        "pledge_welcome",
        "en",
        {**CONTEXTS["pledge_welcome"], "name": "Emily Carter", "amount": 5000},
    ),
    "pledge_welcome.ne": (
        "pledge_welcome",
        "ne",
        {**CONTEXTS["pledge_welcome"], "name": "सीता गुरुङ", "amount": 5000},
    ),
    "donation_thanks.card_one_time.ja": (
        "donation_thanks",
        "ja",
        {**CONTEXTS["donation_thanks"], "name": "佐藤 健", "amount": 30000,
         "tier_impact": TIER_CONNECT, "designation_name": FAMILY_FRIEND},
    ),
    "donation_thanks.grant.en": (
        "donation_thanks",
        "en",
        {**CONTEXTS["donation_thanks"], "name": "Tokyo Community Foundation", "amount": 1500000,
         "source": "grant", "designation_name": FAMILY_FRIEND},
    ),
    "donation_thanks.bank_transfer.en": (
        "donation_thanks",
        "en",
        {**CONTEXTS["donation_thanks"], "name": "Emily Carter", "source": "bank_transfer"},
    ),
    "donation_thanks.monthly.ne": (
        "donation_thanks",
        "ne",
        {
            **CONTEXTS["donation_thanks"],
            "name": "राम बहादुर थापा",
            "amount": 100000,
            "source": "monthly",
            "manage_url": "https://jii.example/pledge?token=abc.def",
        },
    ),
}


def _example_text(msg: RenderedMessage) -> str:
    return f"Subject: {msg.subject}\n\n{msg.text}"


@pytest.mark.parametrize("case", sorted(EXAMPLE_CASES))
def test_rendering_matches_the_reviewed_example(case: str) -> None:
    kind, locale, context = EXAMPLE_CASES[case]
    msg = render(kind, locale, context)
    assert _example_text(msg) == (EXAMPLES / f"{case}.txt").read_text(encoding="utf-8")
    assert msg.html == (EXAMPLES / f"{case}.html").read_text(encoding="utf-8")
