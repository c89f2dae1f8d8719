from pathlib import Path

import pytest
from donations_testkit import LINK_SECRET, WEBHOOK_SECRET
from servicekit.testing import HttpCapture

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"


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
        PLEDGE_LINK_SECRET=LINK_SECRET, PUBLIC_SITE_URL="https://jii.example",
    )


@pytest.fixture
def donations(container_factory, donations_config):
    from donations.service import DonationsService

    container = container_factory(DonationsService, donations_config)
    container.start()
    return container
