"""Helpers for running the notifications service against a real broker, database and SMTP sink."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from nameko.testing.utils import get_container
from notifications.service import NotificationsService
from servicekit.devtools.smtp_sink import start_smtp_sink, stop
from servicekit.testing import SmtpSink, free_port, wait_for_deliveries

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"


class Sink(SmtpSink):
    """The SMTP sink plus its log, which says each simulated rejection (never an address)."""

    log_path: Path

    def rejections(self) -> int:
        return self.log_path.read_text().count("rejected ")


@pytest.fixture
def sink_factory(tmp_path: Path) -> Iterator[Callable[..., Sink]]:
    """Start an SMTP sink with the devtools failure options (fail_first, always_fail_code...)."""
    procs: list[subprocess.Popen[bytes]] = []
    logs = []

    def start(port: int | None = None, **options: Any) -> Sink:
        port = port or free_port()
        sink = Sink(port, tmp_path / f"mail-{port}")
        sink.maildir.mkdir(exist_ok=True)
        sink.log_path = tmp_path / f"sink-{port}-{len(procs)}.log"
        log = open(sink.log_path, "ab")  # closed at teardown
        logs.append(log)
        procs.append(start_smtp_sink(port, sink.maildir, log=log, **options))
        sink.proc = procs[-1]  # type: ignore[attr-defined]
        return sink

    yield start
    for proc in procs:
        stop(proc)
    for log in logs:
        log.close()


@pytest.fixture
def notifications_runners() -> list:
    """The runners `start_notifications` started, newest last."""
    return []


@pytest.fixture
def start_notifications(runner_factory, service_config, make_database, notifications_runners
                        ) -> Callable[..., dict[str, Any]]:
    """Run the service against an SMTP port; returns its config."""

    def start(smtp_port: int, **extra: Any) -> dict[str, Any]:
        config = service_config(
            make_database("notifications", MIGRATIONS), SMTP_HOST="127.0.0.1",
            SMTP_PORT=smtp_port, SMTP_TIMEOUT_SECONDS=5, MAIL_FROM="info@j-ii.org",
            MAIL_FROM_NAME="JII", STAFF_ALERT_EMAIL="staff@j-ii.org",
            UNSUBSCRIBE_SECRET="test-unsubscribe-secret-0123456789abcdef", **extra)
        runner = runner_factory(config, NotificationsService)
        runner.start()
        notifications_runners.append(runner)
        return config

    return start


@pytest.fixture
def handled(notifications_runners) -> Callable[[str, str, int], None]:
    """Wait until the service last started has finished `count` deliveries of an event type
    (handled, or parked): after that, a duplicate among them has done all it will do."""

    def wait(source: str, event_type: str, count: int, timeout: float = 15.0) -> None:
        container = get_container(notifications_runners[-1], NotificationsService)
        wait_for_deliveries(container, source, event_type, count, timeout=timeout)

    return wait
