"""Time for the matching service, injectable so that tests can move it.

Pairings live for months; their time-driven steps (offer expiry, inactivity, ending soon,
completion) run from a timer that asks the clock (`servicekit.clock`), never the system time
directly.
"""

from __future__ import annotations

import calendar
from datetime import datetime

from servicekit.clock import Clock, MovableClock, system_now

__all__ = ["Clock", "MovableClock", "add_months", "system_now"]


def add_months(moment: datetime, months: int) -> datetime:
    """The same day and time `months` later, on the month's last day when it is shorter."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)
