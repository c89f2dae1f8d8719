"""Fixtures for the programs service on a real database and broker."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from nameko.testing.utils import get_extension
from programs.service import ProgramsService
from programs_testkit import LINK_SECRET, MIGRATIONS, SITE_URL
from servicekit.clock import Clock, MovableClock


@pytest.fixture
def programs_config(service_config, make_database) -> dict:
    # The ledger checks every 0.1 s whether impact_updated is due; tests that need the
    # interval itself override IMPACT_UPDATE_INTERVAL_SECONDS.
    return service_config(make_database("programs", MIGRATIONS), IMPACT_TICK_SECONDS=0.1,
                          IMPACT_UPDATE_INTERVAL_SECONDS=3600, DB_POOL_SIZE=10,
                          max_workers=20, ENROLLMENT_LINK_SECRET=LINK_SECRET,
                          PUBLIC_SITE_URL=SITE_URL)


@pytest.fixture
def programs(container_factory, programs_config):
    container = container_factory(ProgramsService, programs_config)
    container.start()
    return container


@pytest.fixture
def clock(programs) -> MovableClock:
    """The service's clock, stopped at 2026-05-09 09:00 in Tokyo (the first session of
    `class_request` starts at 10:00 that day); tests move it."""
    movable = MovableClock(datetime(2026, 5, 9, 0, 0, tzinfo=UTC))
    get_extension(programs, Clock).source = movable
    return movable


@pytest.fixture
def db(programs_config) -> str:
    return programs_config["DATABASE_URL"]


@pytest.fixture
def call(programs, programs_config) -> Iterator[Callable[..., Any]]:
    """Call an RPC method of the running service, over the broker, as someone with `role`
    (None: the public). Calls may be made from many green threads at once."""
    proxies: dict[tuple[str | None, str], Any] = {}
    opened: list[ClusterRpcProxy] = []

    def invoke(method: str, *args: Any, role: str | None = None, subject: str = "tester"):
        key = (role, subject)
        if key not in proxies:
            context = {"staff_role": role, "staff_subject": subject} if role else {}
            cluster = ClusterRpcProxy(programs_config, context_data=context, timeout=60)
            opened.append(cluster)
            proxies[key] = cluster.start()
        return getattr(proxies[key].programs, method)(*args)

    yield invoke
    for cluster in opened:
        cluster.stop()
