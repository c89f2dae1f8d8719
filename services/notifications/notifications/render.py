"""Render notification e-mails from Jinja2 templates, per message kind and locale.

Templates live in ``templates/<kind>/<locale>.{subject,txt,html}``. Directories whose name
starts with ``_`` hold shared layouts and are not message kinds. Adding a kind means adding a
directory with the three files for every supported locale. Adding a locale means adding it to
``SUPPORTED_LOCALES`` and ``_FORMATS``, a layout under ``templates/_layout/``, then the files for
every kind (``missing_templates`` lists the gaps).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
import jinja2.meta
import jinja2.nodes
from contracts.locales import LOCALES, primary_language

TEMPLATE_DIR = Path(__file__).parent / "templates"
SUPPORTED_LOCALES: tuple[str, ...] = LOCALES
FALLBACK_LOCALES: tuple[str, ...] = ("en", "ja")
PARTS: tuple[str, ...] = ("subject", "txt", "html")
DISPLAY_TZ = ZoneInfo("Asia/Tokyo")


class UnknownMessageKind(LookupError):
    """No templates exist for the requested message kind."""


@dataclass(frozen=True)
class RenderedMessage:
    subject: str
    text: str
    html: str
    locale: str  # the locale actually rendered, after fallback


# --- locale-aware formatting ---------------------------------------------------------------

_DEVANAGARI_DIGITS = str.maketrans("0123456789", "०१२३४५६७८९")

_EN_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
# Gregorian month names as CLDR gives them for Nepali.
_NE_MONTHS = (
    "जनवरी", "फेब्रुअरी", "मार्च", "अप्रिल", "मे", "जुन",
    "जुलाई", "अगस्ट", "सेप्टेम्बर", "अक्टोबर", "नोभेम्बर", "डिसेम्बर",
)  # fmt: skip


def _group_western(digits: str) -> str:
    return f"{int(digits):,}"


def _group_south_asian(digits: str) -> str:
    # Nepali groups the last three digits, then pairs: 1,00,000 (CLDR pattern #,##,##0).
    if len(digits) <= 3:
        return digits
    head, tail = digits[:-3], digits[-3:]
    pairs = []
    while len(head) > 2:
        pairs.insert(0, head[-2:])
        head = head[:-2]
    return ",".join([head, *pairs, tail])


def _check_yen(amount: object) -> int:
    # Money is integer yen everywhere; a float or Decimal here is a bug upstream, not a format.
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError(f"yen amounts must be int, got {type(amount).__name__}")
    return amount


def _to_tokyo(value: datetime | date | str) -> date | datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:  # data times are UTC
            value = value.replace(tzinfo=UTC)
        return value.astimezone(DISPLAY_TZ)
    if isinstance(value, date):
        return value
    raise TypeError(f"expected a datetime, date or ISO 8601 string, got {type(value).__name__}")


@dataclass(frozen=True)
class _LocaleFormats:
    yen: Callable[[int], str]
    date: Callable[[date], str]
    time: Callable[[datetime], str]


def _sign(n: int) -> str:
    return "-" if n < 0 else ""


_FORMATS: dict[str, _LocaleFormats] = {
    "ja": _LocaleFormats(
        yen=lambda n: f"{_sign(n)}{_group_western(str(abs(n)))}円",
        date=lambda d: f"{d.year}年{d.month}月{d.day}日",
        time=lambda t: f"{t.hour}:{t.minute:02d}",
    ),
    "en": _LocaleFormats(
        yen=lambda n: f"{_sign(n)}¥{_group_western(str(abs(n)))}",
        date=lambda d: f"{d.day} {_EN_MONTHS[d.month - 1]} {d.year}",
        time=lambda t: f"{t.hour:02d}:{t.minute:02d} (Japan time)",
    ),
    "ne": _LocaleFormats(
        yen=lambda n: f"{_sign(n)}{_group_south_asian(str(abs(n)))} येन".translate(
            _DEVANAGARI_DIGITS
        ),
        date=lambda d: f"{d.year} {_NE_MONTHS[d.month - 1]} {d.day}".translate(_DEVANAGARI_DIGITS),
        time=lambda t: f"{t.hour:02d}:{t.minute:02d} (जापानको समय)".translate(_DEVANAGARI_DIGITS),
    ),
}


def format_yen(amount: int, locale: str) -> str:
    """Format integer yen the way a reader of ``locale`` expects: 3,000円 / ¥3,000 / ३,००० येन."""
    return _FORMATS[resolve_locale(locale)].yen(_check_yen(amount))


def format_number(value: int, locale: str) -> str:
    """A count (people, sessions) grouped for the reader: 1,234 / १,२३४ in Nepali."""
    number = _check_yen(value)
    if resolve_locale(locale) == "ne":
        return f"{_sign(number)}{_group_south_asian(str(abs(number)))}".translate(
            _DEVANAGARI_DIGITS)
    return f"{number:,}"


def format_month(value: str, locale: str) -> str:
    """A ``YYYY-MM`` month: 2026年4月 / April 2026 / २०२६ अप्रिल."""
    year, month = (int(part) for part in value.split("-"))
    language = resolve_locale(locale)
    if language == "ja":
        return f"{year}年{month}月"
    if language == "ne":
        return f"{year} {_NE_MONTHS[month - 1]}".translate(_DEVANAGARI_DIGITS)
    return f"{_EN_MONTHS[month - 1]} {year}"


def format_year(value: int, locale: str) -> str:
    """A calendar year: 2026年 / 2026 / २०२६ (no grouping, unlike a count)."""
    year = str(_check_yen(value))
    language = resolve_locale(locale)
    if language == "ja":
        return f"{year}年"
    return year.translate(_DEVANAGARI_DIGITS) if language == "ne" else year


def format_date(value: datetime | date | str, locale: str) -> str:
    """The calendar date in Asia/Tokyo (datetimes are taken as UTC when naive)."""
    return _FORMATS[resolve_locale(locale)].date(_to_tokyo(value))


def format_datetime(value: datetime | str, locale: str) -> str:
    """Date and time of day in Asia/Tokyo."""
    local = _to_tokyo(value)
    if not isinstance(local, datetime):
        raise TypeError("format_datetime needs a datetime, not a date")
    fmt = _FORMATS[resolve_locale(locale)]
    sep = " " if resolve_locale(locale) == "ja" else ", "
    return f"{fmt.date(local)}{sep}{fmt.time(local)}"


# --- locales -------------------------------------------------------------------------------

_TAG = re.compile(r"^[A-Za-z]{2,8}(?:[-_][A-Za-z0-9]{1,8})*$")


def resolve_locale(tag: str | None) -> str:
    """Map a BCP 47 tag (``ja-JP``, ``en_US``, ``NE``) to a supported language, else ``en``."""
    if not tag or not _TAG.match(tag.strip()):
        return FALLBACK_LOCALES[0]
    language = primary_language(tag)
    return language if language in SUPPORTED_LOCALES else FALLBACK_LOCALES[0]


def _candidate_locales(tag: str | None) -> list[str]:
    ordered = [primary_language(tag or ""), *FALLBACK_LOCALES]
    return [loc for loc in dict.fromkeys(ordered) if loc in SUPPORTED_LOCALES]


# --- templates -----------------------------------------------------------------------------


def _strict(fn: Callable[[Any], str]) -> Callable[[Any], str]:
    # Filters receive StrictUndefined as a value; make a missing variable fail as UndefinedError.
    def apply(value: Any) -> str:
        if isinstance(value, jinja2.Undefined):
            value._fail_with_undefined_error()
        return fn(value)

    return apply


@functools.cache
def _environment(locale: str) -> jinja2.Environment:
    # One environment per locale so filters know the reader's language without a context variable.
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR, encoding="utf-8"),
        undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        # Templates are package files, fixed while the process runs: no stat per message to
        # see whether one changed.
        auto_reload=False,
    )
    env.filters["yen"] = _strict(lambda amount: format_yen(amount, locale))
    env.filters["date"] = _strict(lambda value: format_date(value, locale))
    env.filters["datetime"] = _strict(lambda value: format_datetime(value, locale))
    env.filters["num"] = _strict(lambda value: format_number(value, locale))
    env.filters["month"] = _strict(lambda value: format_month(value, locale))
    env.filters["year"] = _strict(lambda value: format_year(value, locale))
    return env


def _template_name(kind: str, locale: str, part: str) -> str:
    return f"{kind}/{locale}.{part}"


def _has_locale(kind: str, locale: str) -> bool:
    return all((TEMPLATE_DIR / _template_name(kind, locale, part)).is_file() for part in PARTS)


def known_kinds() -> list[str]:
    """Every message kind that has a template directory, sorted."""
    return sorted(
        p.name for p in TEMPLATE_DIR.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))
    )


@functools.cache
def _rendered_locale(kind: str, language: str) -> str:
    """The locale `kind` is rendered in for a reader of `language`; the answer is fixed by the
    package's files, so it is worked out once (each check is a directory scan and stats)."""
    if kind not in known_kinds():
        raise UnknownMessageKind(kind)
    for candidate in _candidate_locales(language):
        if _has_locale(kind, candidate):
            return candidate
    raise UnknownMessageKind(f"{kind}: no templates for any of {_candidate_locales(language)}")


def missing_templates() -> list[str]:
    """Template files that should exist (every kind × locale × part) but do not."""
    return [
        _template_name(kind, locale, part)
        for kind in known_kinds()
        for locale in SUPPORTED_LOCALES
        for part in PARTS
        if not (TEMPLATE_DIR / _template_name(kind, locale, part)).is_file()
    ]


def required_context(kind: str, locale: str | None = None) -> set[str]:
    """Names a kind's templates read from the context (for one locale, or the union over all)."""
    if kind not in known_kinds():
        raise UnknownMessageKind(kind)
    locales = [resolve_locale(locale)] if locale else list(SUPPORTED_LOCALES)
    env = _environment("en")
    names: set[str] = set()
    for loc in locales:
        for part in PARTS:
            path = TEMPLATE_DIR / _template_name(kind, loc, part)
            if path.is_file():
                ast = env.parse(path.read_text(encoding="utf-8"))
                imported = {
                    alias if isinstance(alias, str) else alias[-1]
                    for node in ast.find_all(jinja2.nodes.FromImport)
                    for alias in node.names
                }
                names |= jinja2.meta.find_undeclared_variables(ast) - imported
    return names


def rendered_locale(kind: str, locale: str | None) -> str:
    """The locale `render` renders `kind` in for a reader of `locale`, without rendering.
    Raises `UnknownMessageKind` as `render` does."""
    language = primary_language(locale or "")
    # Any unsupported language falls back alike; one cache entry for all of them.
    return _rendered_locale(kind, language if language in SUPPORTED_LOCALES else "")


def render(kind: str, locale: str | None, context: Mapping[str, Any]) -> RenderedMessage:
    """Render subject, plain text and HTML for ``kind`` in the best available locale.

    Fallback order: the requested language, then English, then Japanese. A variable the templates
    use but ``context`` lacks raises ``jinja2.UndefinedError``.
    """
    candidate = rendered_locale(kind, locale)
    env = _environment(candidate)
    ctx = dict(context)
    subject = env.get_template(_template_name(kind, candidate, "subject")).render(ctx)
    # A header must be one line; collapsing also keeps odd context values from injecting headers.
    subject = " ".join(subject.split())
    if not subject:
        raise ValueError(f"{kind}/{candidate}: empty subject")
    text = env.get_template(_template_name(kind, candidate, "txt")).render(ctx).strip() + "\n"
    html = env.get_template(_template_name(kind, candidate, "html")).render(ctx).strip() + "\n"
    return RenderedMessage(subject=subject, text=text, html=html, locale=candidate)
