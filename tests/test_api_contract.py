"""schemathesis against the running gateway, with all four services up.

Every operation of `/api/openapi.json` gets a bounded number of generated requests: no answer
may be a 5xx, and each must be documented — its status code, its content type and its body's
schema. Staff routes are called signed in (`POST /api/staff/session` with a real account) as
each role: admin over every operation, staff and consultant over the staff routes with the
first of the same generated requests (their 403s must be documented too).
"""

from __future__ import annotations

import pytest
import requests
import schemathesis
from gateway.accounts import add_account
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from servicekit.db import connect

WEBHOOK_SECRET = "whsec_test_api_contract"
# A fixed number of examples, drawn the same way each run (derandomized), rather than a time
# budget: a loaded machine makes the test slower, never different.
EXAMPLES_PER_OPERATION = 6
OTHER_ROLES = ("staff", "consultant")
# Most of their answers are refusals: fewer examples find what more would.
OTHER_ROLE_EXAMPLES = 3
PASSWORD = "contract test password"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


@pytest.fixture
def platform(platform_factory):
    # Generated requests all come from one address: the public-POST limit is lifted.
    started = platform_factory(
        "notifications", "programs", "matching", "donations", "gateway",
        secrets={"STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET},
        overrides={"donations": {"RECEIPT_ORG_NAME": "JII", "RECEIPT_ORG_ADDRESS": "東京都渋谷区",
                                 "RECEIPT_CERTIFICATION_NUMBER": "1",
                                 "RECEIPT_CERTIFICATION_DATE": "2020-04-01"},
                   "gateway": {"RATE_LIMIT_BURST": 100000, "RATE_LIMIT_PER_MINUTE": 1000000}})
    url, database = started.url, started.database("gateway")
    return {"url": url, "headers": {role: _signed_in(url, database, role)
                                    for role in ("admin", *OTHER_ROLES)}}


def _signed_in(url: str, database: str, role: str) -> dict[str, str]:
    """The Authorization header of a real account of `role`, signed in through the API."""
    email = f"{role}@contract.jii.example"
    with connect(database) as conn:
        add_account(conn, email, PASSWORD, role)
        conn.commit()
    answer = requests.post(f"{url}/api/staff/session", json={"email": email,
                                                            "password": PASSWORD}, timeout=10)
    assert answer.status_code == 201, answer.text
    assert answer.json()["role"] == role
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def run_operation(operation, mode: GenerationMode, url: str,
                  callers: list[tuple[str, dict, int]]) -> list[str]:
    """Each generated case sent as each caller (role, headers, how many examples it gets):
    the cases are drawn once, for the caller with the most, and the others get the first
    of them (drawing is most of this test's time)."""
    failures: list[str] = []
    drawn = 0

    @settings(max_examples=max(examples for _, _, examples in callers), deadline=None,
              database=None, derandomize=True, phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case):
        nonlocal drawn
        drawn += 1
        for label, headers, examples in callers:
            if drawn > examples:
                continue
            try:
                case.call_and_validate(base_url=url, headers=headers, checks=CHECKS,
                                       timeout=15)
            except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - reported together
                failures.append(f"{operation.method.upper()} {operation.path} ({label}, "
                                f"{mode.value}): "
                                f"{type(exc).__name__}: {str(exc)[:1500]}")

    check()
    return failures


@pytest.mark.slow  # minutes: under xdist it is sent out first
def test_every_operation_answers_as_documented(platform):
    url = platform["url"]
    document = requests.get(f"{url}/api/openapi.json", timeout=10).json()
    schema = schemathesis.openapi.from_dict(document)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == sum(len(ops) for ops in document["paths"].values())
    admin = [("admin", platform["headers"]["admin"], EXAMPLES_PER_OPERATION)]
    others = [(role, platform["headers"][role], OTHER_ROLE_EXAMPLES) for role in OTHER_ROLES]
    assert any(op.definition.raw.get("security") for op in operations)
    failures: list[str] = []
    for operation in operations:
        # the other roles over the staff routes, where their 403s must be documented too
        callers = admin + others if operation.definition.raw.get("security") else admin
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            failures += run_operation(operation, mode, url, callers)
    assert not failures, "\n\n".join(failures)
