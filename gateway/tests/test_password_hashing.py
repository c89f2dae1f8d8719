"""Staff passwords: argon2 with its default parameters, and its cheapest only in the tests."""

from __future__ import annotations

import os

from argon2 import profiles
from gateway.accounts import CHEAP_HASHES_VARIABLE, password_hasher

PASSWORD = "a long enough password"


def test_outside_the_tests_passwords_are_hashed_with_argon2id_at_its_default_cost():
    hasher = password_hasher({})

    stored = hasher.hash(PASSWORD)

    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert hasher.verify(stored, PASSWORD)


def test_the_suite_hashes_with_argon2s_profile_for_tests():
    assert os.environ[CHEAP_HASHES_VARIABLE] == "1"
    cheapest = profiles.CHEAPEST
    hasher = password_hasher()

    assert (hasher.time_cost, hasher.memory_cost, hasher.parallelism) == (
        cheapest.time_cost, cheapest.memory_cost, cheapest.parallelism)


def test_a_hash_made_either_way_is_checked_either_way():
    real, cheap = password_hasher({}), password_hasher({CHEAP_HASHES_VARIABLE: "1"})

    for made_by in (real, cheap):
        stored = made_by.hash(PASSWORD)
        for checked_by in (real, cheap):
            assert checked_by.verify(stored, PASSWORD)
