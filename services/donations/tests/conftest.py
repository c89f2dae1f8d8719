from pathlib import Path

import pytest
from servicekit.testing import HttpCapture

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"
WEBHOOK_SECRET = "whsec_test_donations_service"


@pytest.fixture
def webhook_capture():
    capture = HttpCapture()
    yield capture
    capture.close()


@pytest.fixture
def donations_config(service_config, make_database, localstripe_factory, webhook_capture):
    api_base = localstripe_factory(webhook_capture.url, WEBHOOK_SECRET)
    return service_config(
        make_database("donations", MIGRATIONS),
        STRIPE_API_KEY="sk_test_localstripe", STRIPE_API_BASE=api_base,
        STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET, PLEDGE_MIN_YEN=500, PLEDGE_MAX_YEN=10_000_000,
    )
