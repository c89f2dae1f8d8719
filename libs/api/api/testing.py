"""Role tests generated from the declarations: for every staff operation, each role it does not
allow (and no role at all) must be refused, by the gateway before any RPC and by the service
before any work. Used by the gateway's and each service's `test_<service>_declared_roles.py`."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from servicekit import errors

from api.operation import STAFF_ROLES, Operation
from api.registry import OPERATIONS

SOME_ID = "00000000-0000-4000-8000-000000000000"


def refusals(service: str | None = None) -> list[Any]:
    """`(operation, role)` for every staff operation (of `service`) and every role it refuses,
    None standing for a caller with no role; ids such as `mailLog-consultant`."""
    return [pytest.param(operation, role, id=f"{operation.id}-{role or 'no-role'}")
            for operation in OPERATIONS
            if operation.is_staff and service in (None, operation.service)
            for role in _refused(operation)]


def _refused(operation: Operation) -> Iterator[str | None]:
    yield None
    yield from (role for role in STAFF_ROLES if role not in operation.roles)


def arguments(operation: Operation) -> dict[str, Any]:
    """Arguments of the right names for the operation's RPC; their values do not matter, the
    role is refused before they are read."""
    values: dict[str, Any] = {name: SOME_ID for name in operation.path_names}
    if operation.body is not None:
        values["body"] = {}
    if operation.query is not None:
        values["query"] = {}
    return values


def assert_service_refuses(service_cls: type, operation: Operation, role: str | None) -> None:
    """The service's method serves the declared operation and refuses the role first: the
    stand-in instance has nothing but a caller, so any work before the check would fail
    differently."""
    method = getattr(service_cls, operation.method_name)
    assert getattr(method, "operation", None) is operation, (
        f"{service_cls.__name__}.{operation.method_name} is not @serves({operation.id})")
    stand_in = SimpleNamespace(caller={"subject": "someone", "role": role})
    with pytest.raises(errors.Forbidden):
        method(stand_in, **arguments(operation))
