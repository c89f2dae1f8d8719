"""Time for the matching service, injectable so that tests can move it.

Pairings live for months; their time-driven steps (offer expiry, inactivity, ending soon,
completion) run from a timer that asks the clock, never the system time directly.
"""

from __future__ import annotations

import calendar
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


def add_months(moment: datetime, months: int) -> datetime:
    """The same day and time `months` later, on the month's last day when it is shorter."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)
