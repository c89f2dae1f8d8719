"""Every service's signed links: one way to sign, one way to refuse."""

from datetime import UTC, datetime, timedelta

import pytest
from servicekit.links import MAX_TOKEN_LENGTH, LinkInvalid, SignedLinks

SECRET = "a-link-secret-long-enough-0123456789"


def test_a_token_opens_what_it_was_signed_for():
    links = SignedLinks(SECRET, "kind-a", 3600)
    assert links.loads(links.dumps({"pledge": "p1"})) == {"pledge": "p1"}


def test_a_token_of_another_kind_or_secret_or_altered_is_not_valid():
    token = SignedLinks(SECRET, "kind-a", 3600).dumps({"pledge": "p1"})
    for reader in (SignedLinks(SECRET, "kind-b", 3600),
                   SignedLinks(SECRET[::-1], "kind-a", 3600)):
        with pytest.raises(LinkInvalid) as refused:
            reader.loads(token)
        assert not refused.value.expired and str(refused.value) == "this link is not valid"
    with pytest.raises(LinkInvalid):
        SignedLinks(SECRET, "kind-a", 3600).loads(token[:-2] + "xx")


def test_an_old_token_is_refused_as_expired_with_the_kind_s_own_words():
    now = datetime(2026, 12, 1, tzinfo=UTC)
    old = SignedLinks(SECRET, "kind-a", 3600, clock=lambda: now - timedelta(hours=2))
    links = SignedLinks(SECRET, "kind-a", 3600, clock=lambda: now)
    with pytest.raises(LinkInvalid) as refused:
        links.loads(old.dumps({"x": 1}), expired="ask for a new link")
    assert refused.value.expired and str(refused.value) == "ask for a new link"


def test_a_link_without_an_age_limit_still_opens_years_later():
    then = datetime(2020, 1, 1, tzinfo=UTC)
    forever = SignedLinks(SECRET, "kind-a", None, clock=lambda: then)
    assert SignedLinks(SECRET, "kind-a", None).loads(forever.dumps({"e": "x"})) == {"e": "x"}


def test_a_short_secret_is_refused_at_start_naming_its_setting():
    with pytest.raises(ValueError, match="PLEDGE_LINK_SECRET must be at least 32 characters"):
        SignedLinks("short", "kind-a", 60, setting="PLEDGE_LINK_SECRET")


def test_an_over_long_token_is_refused_before_it_is_decoded():
    with pytest.raises(LinkInvalid):
        SignedLinks(SECRET, "kind-a", 60).loads("a" * (MAX_TOKEN_LENGTH + 1))
