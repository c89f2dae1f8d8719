"""schemathesis against the running gateway, with all four services up (issue 7).

Every operation of `/api/openapi.json` gets a bounded number of generated requests (staff
routes with a valid admin token): no answer may be a 5xx, and each must be documented — its
status code, its content type and its body's schema.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import requests
import schemathesis
from donations.service import DonationsService
from gateway.auth import issue_token
from gateway.service import GatewayService
from hypothesis import HealthCheck, Phase, given, settings
from matching.service import MatchingService
from notifications.service import NotificationsService
from programs.service import ProgramsService
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from servicekit.testing import free_port

ROOT = Path(__file__).resolve().parents[1]
WEBHOOK_SECRET = "whsec_test_api_contract"
EXAMPLES_PER_OPERATION = 6
BUDGET_SECONDS = 170  # 79 operations and the site's pages
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


@pytest.fixture
def platform(runner_factory, service_config, make_database, smtp_sink, localstripe_factory,
             gateway_database):
    address = f"127.0.0.1:{free_port()}"
    url = f"http://{address}"
    stripe_base = localstripe_factory(f"{url}/api/webhooks/stripe", WEBHOOK_SECRET)
    configs = [
        (service_config(make_database("notifications",
                                      ROOT / "services/notifications/migrations"),
                        SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_sink.port,
                        UNSUBSCRIBE_SECRET="api-contract-unsubscribe-secret-0123456789",
                        PUBLIC_SITE_URL=url),
         NotificationsService),
        (service_config(make_database("programs", ROOT / "services/programs/migrations")),
         ProgramsService),
        (service_config(make_database("matching", ROOT / "services/matching/migrations"),
                        PAIRING_LINK_SECRET="api-contract-pairing-link-secret-0123456789",
                        PUBLIC_SITE_URL=url),
         MatchingService),
        (service_config(make_database("donations", ROOT / "services/donations/migrations"),
                        STRIPE_API_KEY="sk_test_localstripe", STRIPE_API_BASE=stripe_base,
                        STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
                        PLEDGE_LINK_SECRET="api-contract-pledge-link-secret-0123456789",
                        PLEDGE_MANAGE_URL=f"{url}/pledge", RECEIPT_URL=f"{url}/api/receipts",
                        RECEIPT_ORG_NAME="JII", RECEIPT_ORG_ADDRESS="東京都渋谷区",
                        RECEIPT_CERTIFICATION_NUMBER="1", RECEIPT_CERTIFICATION_DATE="2020-04-01"),
         DonationsService),
    ]
    # Generated requests all come from one address: the public-POST limit is lifted.
    gateway = service_config(gateway_database, WEB_SERVER_ADDRESS=address,
                             RPC_TIMEOUT_SECONDS=10, RATE_LIMIT_BURST=100000,
                             RATE_LIMIT_PER_MINUTE=1000000)
    for config, service in [*configs, (gateway, GatewayService)]:
        runner_factory(config, service).start()
    token = issue_token(gateway["STAFF_TOKEN_SECRET"], "contract@jii.example", "admin")
    return {"url": url, "headers": {"Authorization": f"Bearer {token}"}}


def run_operation(operation, mode: GenerationMode, url: str, headers: dict,
                  deadline: float) -> list[str]:
    failures: list[str] = []

    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
              derandomize=True, phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case):
        if time.monotonic() > deadline:
            return
        try:
            case.call_and_validate(base_url=url, headers=headers, checks=CHECKS, timeout=15)
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - reported together
            failures.append(f"{operation.method.upper()} {operation.path} ({mode.value}): "
                            f"{type(exc).__name__}: {str(exc)[:1500]}")

    check()
    return failures


def test_every_operation_answers_as_documented(platform):
    url = platform["url"]
    document = requests.get(f"{url}/api/openapi.json", timeout=10).json()
    schema = schemathesis.openapi.from_dict(document)
    deadline = time.monotonic() + BUDGET_SECONDS
    failures: list[str] = []
    tested = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            failures += run_operation(operation, mode, url, platform["headers"], deadline)
        tested += 1
    assert tested == sum(len(ops) for ops in document["paths"].values())
    assert time.monotonic() < deadline, "ran out of time: lower EXAMPLES_PER_OPERATION"
    assert not failures, "\n\n".join(failures)
