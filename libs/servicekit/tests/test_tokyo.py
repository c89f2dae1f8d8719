from datetime import UTC, date, datetime

from servicekit.tokyo import tokyo_date, tokyo_day_bounds, tokyo_noon


def test_new_years_eve_evening_in_utc_is_already_the_new_year_in_tokyo():
    assert tokyo_date(datetime(2026, 12, 31, 15, 0, tzinfo=UTC)) == date(2027, 1, 1)
    assert tokyo_date(datetime(2026, 12, 31, 14, 59, 59, tzinfo=UTC)) == date(2026, 12, 31)


def test_a_tokyo_year_runs_from_15_00_utc_on_new_years_eve_to_the_next():
    start, end = tokyo_day_bounds(date(2026, 1, 1), date(2026, 12, 31))
    assert start == datetime(2025, 12, 31, 15, 0, tzinfo=UTC)
    assert end == datetime(2026, 12, 31, 15, 0, tzinfo=UTC)


def test_a_day_known_only_by_its_date_stays_that_date_in_tokyo():
    for day in (date(2026, 1, 1), date(2026, 6, 30), date(2026, 12, 31)):
        assert tokyo_date(tokyo_noon(day)) == day
        assert tokyo_noon(day).tzinfo is UTC


def test_the_widest_dates_give_bounds_not_an_overflow():
    start, end = tokyo_day_bounds(date.min, date.max)
    assert start < datetime(1900, 1, 1, tzinfo=UTC) < datetime(9999, 12, 31, tzinfo=UTC) < end
