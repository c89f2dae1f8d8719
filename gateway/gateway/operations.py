"""The gateway's routes generated from the API's declarations (`api.registry.OPERATIONS`).

Each declared operation becomes one `@http` entrypoint that checks the staff token's role
(before anything else is read), checks the body and query against the operation's schemas,
calls the RPC it names with the path's values, `body=` and `query=` exactly as the client sent
them (the service loads them through the same schemas), and dumps the answer through the
response schema. Routes that must
do more (the Stripe webhook, CSV downloads, pages behind e-mailed links) stay hand-written in
`gateway.routes`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from api.operation import Operation
from api.serving import check_ids
from werkzeug.wrappers import Request, Response

from gateway.caching import public_json
from gateway.web import http, json_response, read_document


def route_mixin(operations: Iterable[Operation]) -> type:
    """A class holding one generated entrypoint per operation, for `GatewayService` to inherit.

    Needs the RPC proxies the operations name (`self.programs`, ...) and `staff` auth.
    """
    namespace: dict[str, Any] = {}
    for operation in operations:
        if operation.handwritten:
            continue
        name = entrypoint_name(operation)
        if name in namespace:
            raise ValueError(f"two operations named {operation.id}")
        namespace[name] = _entrypoint(operation, name)
    return type("DeclaredRoutes", (), namespace)


def entrypoint_name(operation: Operation) -> str:
    """`listPrograms` → `list_programs`: the worker's method name, as logs and nameko show it."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", operation.id).lower()


def _entrypoint(operation: Operation, name: str) -> Callable:
    def entrypoint(self, request: Request, query: dict[str, Any] | None = None,
                   **path_values: str) -> Response:
        check_ids(operation, path_values)
        arguments: dict[str, Any] = dict(path_values)
        if operation.body is not None:
            # an optional body left out is sent as the empty document it stands for
            arguments["body"] = ({} if operation.body_optional and not has_body(request)
                                 else read_document(request, operation.body_schema))
        if operation.query is not None:
            # checked by `http` already; sent as given, for the service to load the same way
            arguments["query"] = request.args.to_dict()
        service = getattr(self, operation.service)
        return respond(request, operation, getattr(service, operation.method_name)(**arguments))

    entrypoint.__name__ = entrypoint.__qualname__ = name
    entrypoint.__doc__ = operation.summary
    return http(operation.method, operation.path, query=operation.query,
                roles=operation.roles)(entrypoint)


def has_body(request: Request) -> bool:
    """Whether the request sent a body at all (an empty one is none)."""
    return bool(request.content_length) or "chunked" in request.headers.get(
        "Transfer-Encoding", "").lower()


def respond(request: Request, operation: Operation, answer: Any) -> Response:
    if operation.response is None:
        return Response(status=operation.status)
    body = operation.response_schema.dump(answer)
    if operation.cache:
        return public_json(request, body, **({"max_age": 0}
                                              if operation.cache == "revalidate" else {}))
    return json_response(body, status=operation.status)
