"""The languages the platform speaks to people in, and how a language tag maps to one.

One list for every service and the gateway: a fourth language is added here (and in the
templates and pages that carry its words), not in six places.
"""

from __future__ import annotations

import re
from typing import Any

from marshmallow import ValidationError, fields

LOCALES: tuple[str, ...] = ("ja", "en", "ne")
# BCP 47 allows 35 characters for the tags people realistically send.
MAX_TAG_LENGTH = 35
UNSUPPORTED = f"Must be one of: {', '.join(LOCALES)}."
# A language subtag, then any further subtags (region, script), by hyphen or underscore.
TAG = re.compile(r"^[A-Za-z]{2,8}(?:[-_][A-Za-z0-9]{1,8})*$")


def primary_language(tag: str) -> str:
    """The primary language subtag, lower case: 'pt-BR' → 'pt', 'en_US' → 'en'."""
    return tag.strip().replace("_", "-").split("-", 1)[0].lower()


def supported_locale(tag: str) -> str:
    """The supported language a tag names ('ja-JP' → 'ja'); ValueError when there is none."""
    language = primary_language(tag)
    if language not in LOCALES:
        raise ValueError(UNSUPPORTED)
    return language


class Locale(fields.String):
    """The tag a person gave (2 to 35 characters), loaded as the supported language it names
    ('ja-JP' → 'ja'), so every request schema checks and normalises it the same way."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        tag = super()._deserialize(value, attr, data, **kwargs)
        if not 2 <= len(tag) <= MAX_TAG_LENGTH:
            raise ValidationError(f"Length must be between 2 and {MAX_TAG_LENGTH}.")
        if not TAG.match(tag):
            raise ValidationError("Must be a language tag such as ja, en-US or ne-NP.")
        try:
            return supported_locale(tag)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
