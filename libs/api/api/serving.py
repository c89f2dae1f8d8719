"""The service side of a declared operation: one decorator that makes an RPC entrypoint,
refuses a caller without the operation's role, and loads `body` and `query` through the
operation's own schemas before the method runs.

The gateway has checked the token and the request's shape already; the service checks again
because the gateway is not its only caller, and the schemas are the same classes, so the two
cannot disagree. Rules that need the service's data or configuration stay in the service.
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable
from typing import Any

from marshmallow import ValidationError
from nameko.exceptions import IncorrectSignature
from servicekit import errors
from servicekit.rpc import rpc

from api.fields import UUID_PATTERN
from api.operation import Operation

INVALID_BODY = "the request body has invalid fields"
INVALID_QUERY = "the query has invalid parameters"


def serves(operation: Operation) -> Callable[[Callable], Callable]:
    """`@serves(api.programs.CREATE_CLASS)` on the method the operation's `rpc` names.

    The service needs a `servicekit.caller.Caller` dependency named `caller`.
    """

    def decorate(fn: Callable) -> Callable:
        if fn.__name__ != operation.method_name:
            raise ValueError(f"{operation.id} calls {operation.rpc}, not {fn.__name__}")
        signature = inspect.signature(fn)

        @functools.wraps(fn)
        def entrypoint(self, *args: Any, **kwargs: Any) -> Any:
            require_role(operation, self.caller)
            try:
                bound = signature.bind(self, *args, **kwargs)
            except TypeError as exc:
                raise IncorrectSignature(str(exc)) from None
            arguments = bound.arguments
            check_ids(operation, arguments)
            if operation.body is not None:
                arguments["body"] = load_body(operation, arguments.get("body"))
            if operation.query is not None:
                arguments["query"] = load_query(operation, arguments.get("query") or {})
            return fn(*bound.args, **bound.kwargs)

        # nameko checks a call's arguments against this before a worker is spent on it
        entrypoint.__signature__ = signature
        entrypoint.operation = operation
        return rpc(entrypoint)

    return decorate


def require_role(operation: Operation, caller: dict[str, str | None]) -> None:
    if operation.roles is None:
        return
    if caller.get("role") not in operation.roles:
        raise errors.Forbidden(f"this needs the role {' or '.join(operation.roles)}")


def check_ids(operation: Operation, values: dict[str, Any]) -> None:
    """The operation's `checked_ids` are UUIDs, or `InvalidInput` naming the first that is not:
    a malformed id is a bad request, not a record that happens to be missing."""
    for name in operation.checked_ids:
        if not re.fullmatch(UUID_PATTERN, str(values.get(name, ""))):
            raise errors.InvalidInput(f"the {name.replace('_', ' ')} is not valid",
                                      {name: ["Not a valid UUID."]})


def load_body(operation: Operation, body: Any) -> dict[str, Any]:
    if body is None and operation.body_optional:
        body = {}
    return errors.load_request(operation.body_schema, body, INVALID_BODY)


def load_query(operation: Operation, query: Any) -> dict[str, Any]:
    if not isinstance(query, dict):
        raise errors.InvalidInput(INVALID_QUERY, {})
    try:
        return operation.query_schema.load(query)
    except ValidationError as exc:
        raise errors.InvalidInput(INVALID_QUERY, exc.messages) from None
