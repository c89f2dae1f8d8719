"""The staff console's message catalogue (staff-web/messages.json): Japanese, English and
Nepali carry the same keys, none empty, each with the same {placeholders}, so switching the
language never shows a key or drops a figure. Plain pytest: no browser, no services."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

CATALOGUE = Path(__file__).resolve().parents[1] / "staff-web" / "messages.json"
LANGUAGES = ("ja", "en", "ne")


def catalogue() -> dict[str, dict[str, str]]:
    return json.loads(CATALOGUE.read_text(encoding="utf-8"))


def test_the_catalogue_has_exactly_japanese_english_and_nepali() -> None:
    assert sorted(catalogue()) == sorted(LANGUAGES)


@pytest.mark.parametrize("language", ("ja", "ne"))
def test_every_language_has_the_same_keys_as_english(language: str) -> None:
    messages = catalogue()
    assert sorted(set(messages["en"]) - set(messages[language])) == [], "missing"
    assert sorted(set(messages[language]) - set(messages["en"])) == [], "not in English"


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_message_is_empty_and_each_keeps_the_english_placeholders(language: str) -> None:
    messages = catalogue()
    for key, english in messages["en"].items():
        text = messages[language][key]
        assert text.strip(), f"{language}.{key} is empty"
        assert set(re.findall(r"\{(\w+)\}", text)) == set(re.findall(r"\{(\w+)\}", english)), (
            f"{language}.{key}: {text!r} against {english!r}")


def test_no_key_is_given_twice_in_a_language() -> None:
    # json.loads keeps the last of two equal keys without a word: merges of the catalogue can
    # leave a stale first one behind.
    twice: list[str] = []

    def no_repeats(pairs: list[tuple[str, object]]) -> dict:
        keys = [key for key, _ in pairs]
        twice.extend(sorted({key for key in keys if keys.count(key) > 1}))
        return dict(pairs)

    json.loads(CATALOGUE.read_text(encoding="utf-8"), object_pairs_hook=no_repeats)
    assert twice == []
