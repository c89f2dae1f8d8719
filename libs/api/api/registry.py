"""Every declared operation, area by area: what the gateway generates its routes and OpenAPI
document from, and what the role tests are generated from."""

from __future__ import annotations

from api import donations, matching, notifications, programs, receipts
from api.operation import Operation, operations_of

AREAS = (notifications, programs, matching, donations, receipts)


def _all() -> tuple[Operation, ...]:
    declared = tuple(operation for area in AREAS for operation in operations_of(area))
    _once("operation id", [operation.id for operation in declared])
    _once("route", [(operation.method, operation.path) for operation in declared])
    return declared


def _once(what: str, values: list) -> None:
    twice = sorted({str(value) for value in values if values.count(value) > 1})
    if twice:
        raise ValueError(f"{what} declared twice: {twice}")


OPERATIONS: tuple[Operation, ...] = _all()
