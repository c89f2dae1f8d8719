"""One list of the languages the platform speaks, and one reading of a language tag."""

import pytest
from contracts.locales import LOCALES, Locale, primary_language, supported_locale
from marshmallow import Schema, ValidationError


class Person(Schema):
    locale = Locale(required=True)


@pytest.mark.parametrize("tag, language", [
    ("ja", "ja"), ("ja-JP", "ja"), ("EN_us", "en"), ("ne-NP", "ne"), ("pt-BR", "pt")])
def test_a_tag_is_read_as_its_primary_language_in_lower_case(tag, language):
    assert primary_language(tag) == language


@pytest.mark.parametrize("tag", ["ja-JP", "en", "NE"])
def test_a_supported_tag_loads_as_the_language_it_names(tag):
    assert Person().load({"locale": tag})["locale"] in LOCALES
    assert supported_locale(tag) == tag[:2].lower()


@pytest.mark.parametrize("tag, message", [
    ("pt-BR", "Must be one of: ja, en, ne."),
    ("j", "Length must be between 2 and 35."),
    ("ja-" + "x" * 40, "Length must be between 2 and 35."),
    ("ja JP", "Must be a language tag such as ja, en-US or ne-NP."),
    ("ja--JP", "Must be a language tag such as ja, en-US or ne-NP."),
])
def test_an_unsupported_or_malformed_tag_is_refused_naming_the_rule(tag, message):
    with pytest.raises(ValidationError) as refused:
        Person().load({"locale": tag})
    assert refused.value.messages == {"locale": [message]}
