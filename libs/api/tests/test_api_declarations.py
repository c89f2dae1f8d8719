"""What the declarations give beyond one generated JSON route: a day's strict form, a
hand-written route's declaration, and a described answer that is not the response schema."""

from datetime import date

import pytest
from api import doc
from api.fields import Day, Query
from api.operation import Operation
from api.registry import OPERATIONS
from marshmallow import ValidationError
from marshmallow import fields as ma_fields


class Period(Query):
    day = Day(required=True)


@pytest.mark.parametrize("written", ["20260401", "2026-W14-3", "2026-4-1", "2026-02-30",
                                     "1999-12-31", "2100-01-01", 20260401])
def test_a_day_is_written_yyyy_mm_dd_within_the_calendar(written):
    with pytest.raises(ValidationError) as refused:
        Period().load({"day": written})
    assert list(refused.value.messages) == ["day"]


def test_a_calendar_day_loads_as_a_date():
    assert Period().load({"day": "2026-04-01"}) == {"day": date(2026, 4, 1)}


def test_a_hand_written_operation_is_declared_with_its_roles_but_described_by_its_route():
    pdf = {"description": "A PDF.", "content": {"application/pdf": {"schema": {}}}}
    operation = Operation(id="somePdf", method="GET", path="/api/staff/things/<number>/pdf",
                          rpc="things.pdf", tag="staff", summary="A thing's PDF",
                          returns="The PDF.", roles=("admin",), handwritten=True,
                          response=type("Shown", (Query,), {"n": ma_fields.Integer()}))

    described = doc.describe(operation, pdf)

    assert described["responses"]["200"] is pdf
    assert described["responses"]["403"]["description"] == "this needs the role admin"
    assert described["security"] == doc.STAFF_AUTH


def test_the_pdf_and_csv_routes_of_donations_are_declared_hand_written():
    handwritten = {operation.id for operation in OPERATIONS if operation.handwritten}
    assert {"donationReport", "annualStatement", "receiptByLink",
            "receiptDocument"} <= handwritten
