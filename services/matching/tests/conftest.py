from datetime import UTC, datetime
from pathlib import Path

import pytest
from matching.clock import Clock, MovableClock
from matching.service import MatchingService
from nameko.testing.utils import get_extension

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"
LINK_SECRET = "test-pairing-link-secret-0123456789abcdef"


@pytest.fixture
def matching_config(service_config, make_database):
    return service_config(
        make_database("matching", MIGRATIONS),
        PAIRING_LINK_SECRET=LINK_SECRET, PUBLIC_SITE_URL="https://jii.example.org",
        # tests step time themselves through the entrypoint
        MATCHING_TICK_SECONDS=3600,
        MATCH_MAX_DISTANCE_KM=30,
    )


@pytest.fixture
def clock():
    return MovableClock(datetime(2026, 4, 1, 0, 0, tzinfo=UTC))


@pytest.fixture
def matching(container_factory, matching_config, clock):
    container = container_factory(MatchingService, matching_config)
    get_extension(container, Clock).source = clock
    container.start()
    return container
