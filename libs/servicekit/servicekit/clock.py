"""Time for a service, injectable so that tests can move it.

A service asks `self.clock()` (a Nameko dependency) rather than the system time wherever time
decides something (what is due, what is in the future), so tests can step through days.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from nameko.extensions import DependencyProvider


def system_now() -> datetime:
    return datetime.now(UTC)


class Clock(DependencyProvider):
    """`self.clock()` in a worker is the current UTC time; tests replace `source`."""

    def __init__(self) -> None:
        self.source: Callable[[], datetime] = system_now

    def get_dependency(self, worker_ctx) -> Callable[[], datetime]:
        return lambda: self.source()


class MovableClock:
    """A clock for tests: starts at a fixed instant and moves only when told."""

    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now
