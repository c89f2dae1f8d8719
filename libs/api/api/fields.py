"""The vocabulary request schemas share: strict bases, text and id fields, language tags, the
platform's calendar and cursors. One definition each, for every area's schemas."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from contracts.locales import LOCALES
from marshmallow import RAISE, Schema, ValidationError, fields, post_load, validate
from servicekit.paging import DEFAULT_LIMIT, BadCursor, decode_cursor

# re.match anchors at the start: leading spaces are allowed, an all-blank value is not.
NOT_BLANK = validate.Regexp(r"\s*\S", error="Must not be blank.")
# A language a person speaks: any BCP 47 primary language subtag, optionally with subtags.
LANGUAGE_TAG_PATTERN = r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$"
LANGUAGE_TAG = validate.Regexp(LANGUAGE_TAG_PATTERN,
                               error="Must be a language tag such as ja, en, ne or pt-BR.")

# A supported language, optionally with a region (ISO 3166 alpha-2 or UN M.49 digits), e.g.
# "ja", "en-US", "ne-NP", "es-419" style. The language subtag is lowercase as browsers send it;
# the region is accepted in any case and normalised to upper case (BCP 47 canonical form).
LOCALE_PATTERN = rf"^({'|'.join(LOCALES)})(-([A-Za-z]{{2}}|[0-9]{{3}}))?$"
UUID_PATTERN = r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$"
# servicekit.paging's cursors: base64url without padding
CURSOR_PATTERN = r"^[A-Za-z0-9_-]+$"
MAX_PAGE = 200
MAX_CURSOR = 200


# The calendar the platform keeps: dates and months outside it are refused with the field named
# rather than reaching code (or a database) that cannot represent them, such as year 0000.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)
DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}\Z")
MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
OUT_OF_CALENDAR = f"Must be between {FIRST_DAY} and {LAST_DAY}."


def in_calendar(day: date) -> None:
    """A marshmallow validator for a `fields.Date`: a day the platform's calendar holds."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValidationError(OUT_OF_CALENDAR)


def iso_date(value: str) -> None:
    """A marshmallow validator for a date kept as its ISO text (it travels on over RPC)."""
    try:
        # fromisoformat alone would also take 20260401 and 2026-W14-3
        day = date.fromisoformat(value) if DATE_PATTERN.match(value) else None
    except ValueError:
        raise ValidationError("Not a day of the calendar (YYYY-MM-DD).") from None
    if day is None:
        raise ValidationError("Must be a date, YYYY-MM-DD.")
    in_calendar(day)


class Day(fields.Date):
    """A day of the platform's calendar written YYYY-MM-DD, loaded as a `date`. Stricter than
    `fields.Date`, which also takes 20260401, 2026-W14-3 and year 0001."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> date:
        if not isinstance(value, str) or not DATE_PATTERN.match(value):
            raise ValidationError("Must be a date, YYYY-MM-DD.")
        day = super()._deserialize(value, attr, data, **kwargs)
        in_calendar(day)
        return day


def aware_in_calendar(moment: datetime) -> None:
    """A marshmallow validator for a `fields.AwareDateTime`: its day in the platform's
    calendar."""
    in_calendar(moment.date())


def iso_month(value: str) -> None:
    """A marshmallow validator for a month kept as its text, YYYY-MM."""
    if not re.match(MONTH_PATTERN, value):
        raise ValidationError("Must be a month, YYYY-MM.")
    if not FIRST_DAY.year <= int(value[:4]) <= LAST_DAY.year:  # year 0000 is no date at all
        raise ValidationError(f"Must be between {FIRST_DAY:%Y-%m} and {LAST_DAY:%Y-%m}.")


def ordered(data: dict[str, Any], first: str, last: str, names: tuple[str, str]) -> None:
    """A period's two ends, when both are given, in order; the error names the first."""
    if data.get(first) is not None and data.get(last) is not None and data[first] > data[last]:
        raise ValidationError(f"Must not be after {names[1]}.", names[0])


def normalise_locale(tag: str) -> str:
    language, _, region = tag.partition("-")
    return f"{language}-{region.upper()}" if region else language


class Strict(Schema):
    """A request body: a misspelt field is an error, not silently dropped."""

    class Meta:
        unknown = RAISE


class Query(Schema):
    """A query string: a misspelt parameter is an error, not silently ignored."""

    class Meta:
        unknown = RAISE


def text(max_length: int = 200, **kwargs: Any) -> fields.String:
    """Free text of 1 to `max_length` characters, not all blank."""
    return fields.String(validate=[validate.Length(min=1, max=max_length), NOT_BLANK], **kwargs)


def uuid_text(metadata: dict[str, Any] | None = None, **kwargs: Any) -> fields.String:
    """An id kept as its text (it travels on in JSON), checked to be a UUID."""
    return fields.String(validate=validate.Regexp(UUID_PATTERN, error="Must be a UUID."),
                         metadata={"format": "uuid", **(metadata or {})}, **kwargs)


class Cursor(fields.String):
    """A staff list's `next` cursor (`servicekit.paging`): opaque to clients, checked on the way
    in and loaded as the key it names, so a forged one is a 400 naming `after`."""

    def __init__(self, **kwargs: Any) -> None:
        metadata = {"pattern": CURSOR_PATTERN, "minLength": 1, "maxLength": MAX_CURSOR,
                    "description": "The `next` cursor of the previous page.",
                    **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        cursor = super()._deserialize(value, attr, data, **kwargs)
        if not 1 <= len(cursor) <= MAX_CURSOR or not re.match(CURSOR_PATTERN, cursor):
            raise ValidationError("Not a valid cursor.")
        try:
            return decode_cursor(cursor)
        except BadCursor as exc:
            raise ValidationError(str(exc)) from None


def next_cursor(description: str = "Pass as `after` for the next page; null on the last "
                                   "page.") -> fields.String:
    """A page's `next`: the cursor a client sends back as `after`, null on the last page."""
    return fields.String(required=True, allow_none=True, metadata={"description": description})


class PageQuery(Query):
    """A staff list's page: how many rows (50 unless asked, at most 200), after the previous
    page's `next` cursor (loaded as the key it names, None for the first page)."""

    limit = fields.Integer(load_default=DEFAULT_LIMIT, validate=validate.Range(1, MAX_PAGE))
    after = Cursor()

    @post_load
    def _first_page(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        data.setdefault("after", None)
        return data


class Localised(Schema):
    """A name or text in each of the platform's languages."""

    ja = fields.String(required=True)
    en = fields.String(required=True)
    ne = fields.String(required=True)
