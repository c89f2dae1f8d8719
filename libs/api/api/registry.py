"""Every declared operation, area by area: what the gateway generates its routes and OpenAPI
document from, and what the role tests are generated from."""

from __future__ import annotations

from api import donations, matching, notifications, programs, receipts
from api.operation import Operation, operations_of

AREAS = (notifications, programs, matching, donations, receipts)


def _all() -> tuple[Operation, ...]:
    declared = tuple(operation for area in AREAS for operation in operations_of(area))
    for key in ("id", "route"):
        seen: set = set()
        for operation in declared:
            value = operation.id if key == "id" else (operation.method, operation.path)
            if value in seen:
                raise ValueError(f"{value} is declared twice")
            seen.add(value)
    return declared


OPERATIONS: tuple[Operation, ...] = _all()
