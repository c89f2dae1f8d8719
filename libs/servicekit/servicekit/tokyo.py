"""Tokyo calendar days: where a day, a month or a tax year begins for JII.

Times are stored and sent in UTC, but the people JII serves live by Tokyo's calendar: a gift
made at 20:00 UTC on 31 December is a gift of the next year for its tax receipt, and staff
asking for "March" mean March in Tokyo.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

TOKYO = ZoneInfo("Asia/Tokyo")


def tokyo_date(moment: datetime) -> date:
    """The calendar date of an aware instant in Tokyo."""
    return moment.astimezone(TOKYO).date()


def today_in_tokyo(now: datetime | None = None) -> date:
    return tokyo_date(now or datetime.now(UTC))


def tokyo_day_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """[Tokyo midnight starting `first`, Tokyo midnight after `last`), as aware instants.

    They stay in Tokyo's offset (the same instants as in UTC, and PostgreSQL compares them as
    such) so that the widest dates a form allows, 0001-01-01 and 9999-12-31, do not overflow.
    """
    start = datetime.combine(first, time(0), TOKYO)
    end = (datetime.combine(last + timedelta(days=1), time(0), TOKYO) if last < date.max
           else datetime.max.replace(tzinfo=TOKYO))
    return start, end


def tokyo_noon(day: date) -> datetime:
    """A UTC instant well inside `day` in Tokyo, for money known only by its date."""
    return datetime.combine(day, time(12), TOKYO).astimezone(UTC)
