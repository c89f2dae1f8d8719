"""Two pieces of the declarations' vocabulary: a path filled in from its rule (the links
services mail to routes of the gateway), and a day of the platform's calendar loaded as a
date."""

from datetime import date

import pytest
from api.fields import Day, Strict
from api.operation import fill_path
from api.programs import WITHDRAWAL_LINK, withdrawal_link
from marshmallow import ValidationError


class Due(Strict):
    on = Day(required=True)


def test_a_path_is_filled_in_with_each_value_escaped():
    assert fill_path("/api/a/<a_id>/b/<path:rest>", a_id="x y", rest="c/d") == \
        "/api/a/x%20y/b/c%2Fd"


def test_a_path_missing_a_value_is_refused():
    with pytest.raises(KeyError, match="token"):
        fill_path(WITHDRAWAL_LINK)


def test_the_withdrawal_link_follows_the_route_the_gateway_serves():
    token = "eyJlIjoiMSJ9.aGVsbG8.c2ln-_x"
    assert withdrawal_link(token) == f"/api/class-enrollments/withdraw/{token}"


def test_a_day_is_loaded_as_a_date():
    assert Due().load({"on": "2026-04-01"}) == {"on": date(2026, 4, 1)}


@pytest.mark.parametrize("written", ["20260401", "2026-W14-3", "2026-4-1", "2026-02-30",
                                     "0001-01-01", "1999-12-31", "2100-01-01", 20260401])
def test_a_day_outside_the_calendar_or_not_written_yyyy_mm_dd_is_refused(written):
    with pytest.raises(ValidationError) as refused:
        Due().load({"on": written})
    assert list(refused.value.messages) == ["on"]
