"""Pytest fixtures shared by every package's tests: real PostgreSQL databases per test,
service configs on a private RabbitMQ vhost (Nameko's `rabbit_config`), and the local peers
(SMTP sink, localstripe) as subprocesses.

Loaded by the root conftest through `pytest_plugins`.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from servicekit.migrations import drop_database, migrate

PG_SERVER = os.environ.get("JII_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def make_database() -> Iterator[Callable[[str, Path | str], str]]:
    """Create a fresh, migrated database for a service; dropped after the test."""
    created: list[str] = []

    def make(service: str, migrations: Path | str) -> str:
        url = f"{PG_SERVER}/jii_test_{service}_{uuid.uuid4().hex[:10]}"
        migrate(url, migrations)
        created.append(url)
        return url

    yield make
    for url in created:
        drop_database(url)


@pytest.fixture
def service_config(rabbit_config) -> Callable[..., dict]:
    """A Nameko config on this test's private vhost, with quick retries for tests."""

    def build(database_url: str | None = None, **extra) -> dict:
        config = dict(rabbit_config)
        config.update({
            "EVENT_RETRY_DELAYS_MS": [100, 200, 400],
            "OUTBOX_SWEEP_SECONDS": 1,
            "LOG_JSON": True,
        })
        if database_url:
            config["DATABASE_URL"] = database_url
        config.update(extra)
        return config

    return build


def wait_until(predicate: Callable[[], object], timeout: float = 15.0, interval: float = 0.05,
               message: str = "condition") -> object:
    """Poll `predicate` until it returns something truthy; fail the test after `timeout`."""
    import time

    import eventlet

    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}")
        eventlet.sleep(interval)


def query(url: str, sql: str, params: tuple = ()) -> list[dict]:
    from servicekit.db import connect

    with connect(url) as conn:
        return conn.execute(sql, params).fetchall()
