"""The gateway on a real broker and a real port, with test doubles for the services behind it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from gateway.service import GatewayService
from gateway_fakes import CALLS, Calls, FakeDonations
from servicekit.testing import free_port


@pytest.fixture
def gateway_config(service_config, gateway_database) -> dict:
    return service_config(
        gateway_database,
        WEB_SERVER_ADDRESS=f"127.0.0.1:{free_port()}",
        RPC_TIMEOUT_SECONDS=1,
        READY_TIMEOUT_SECONDS=0.5,
        MAX_BODY_BYTES=2048,
        WEBHOOK_MAX_BODY_BYTES=8192,
    )


@pytest.fixture
def gateway_container(container_factory, gateway_config):
    container = container_factory(GatewayService, gateway_config)
    container.start()
    return container


@pytest.fixture
def gateway(gateway_container, gateway_config) -> str:
    """Base URL of a running gateway."""
    return "http://" + gateway_config["WEB_SERVER_ADDRESS"]


@pytest.fixture
def calls() -> Iterator[Calls]:
    CALLS.items.clear()
    yield CALLS
    CALLS.items.clear()


@pytest.fixture
def donations(container_factory, gateway_config, calls):
    container = container_factory(FakeDonations, gateway_config)
    container.start()
    return container


@pytest.fixture
def start_service(container_factory, gateway_config) -> Callable[[type], Any]:
    def start(service_cls: type):
        container = container_factory(service_cls, gateway_config)
        container.start()
        return container

    return start
