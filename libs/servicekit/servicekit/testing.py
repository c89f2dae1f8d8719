"""Pytest fixtures shared by every package's tests: real PostgreSQL databases per test,
service configs on a private RabbitMQ vhost (Nameko's `rabbit_config`), and the local peers
(SMTP sink, localstripe) as subprocesses.

Loaded by the root conftest through `pytest_plugins`.
"""

from __future__ import annotations

import http.server
import os
import socket
import subprocess
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


@dataclass
class Delivery:
    signature: str | None
    body: bytes


class HttpCapture:
    """A loopback HTTP server recording every POST it receives (e.g. signed webhooks)."""

    def __init__(self) -> None:
        self.deliveries: list[Delivery] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver._lock:
                    receiver.deliveries.append(Delivery(self.headers["Stripe-Signature"], body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/stripe/webhook"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(5)


@dataclass
class SmtpSink:
    port: int
    maildir: Path

    def messages(self) -> list:
        """Every message received so far, parsed, oldest first."""
        import email
        from email import policy

        return [
            email.message_from_bytes(path.read_bytes(), policy=policy.default)
            for path in sorted(self.maildir.glob("*.eml"))
        ]


@pytest.fixture
def smtp_sink(tmp_path) -> Iterator[SmtpSink]:
    """A real SMTP server (aiosmtpd, in its own process) keeping each message as an .eml file."""
    from servicekit.devtools.smtp_sink import start_smtp_sink, stop

    sink = SmtpSink(free_port(), tmp_path / "mail")
    sink.maildir.mkdir()
    proc = start_smtp_sink(sink.port, sink.maildir)
    yield sink
    stop(proc)


@pytest.fixture
def localstripe_factory() -> Iterator[Callable[..., str]]:
    """Start localstripe on a free port (webhooks to the given URL); returns its API base."""
    from servicekit.devtools.localstripe_server import start_localstripe, stop

    procs = []

    def start(webhook_url: str | None = None, webhook_secret: str | None = None) -> str:
        port = free_port()
        procs.append(start_localstripe(port, webhook_url, webhook_secret,
                                       log=subprocess.DEVNULL))
        return f"http://127.0.0.1:{port}"

    yield start
    for proc in procs:
        stop(proc)
