"""The OpenAPI 3 document, generated from the schemas that validate the requests.

Paths come from the service's own `@http` entrypoints and their descriptions from OPERATIONS
below and in each `gateway.routes` module; a route without a description (or a description
without a route) fails the build, so the document lists exactly what the gateway serves.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from functools import cache
from typing import Any

from api import registry
from api.doc import PROBLEM_RESPONSES, describe, ok
from api.operation import PATH_VALUE
from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR

from gateway import routes, schemas
from gateway.web import GatewayHttpHandler

TITLE = "JII platform API"
VERSION = "1"
OPENAPI_VERSION = "3.0.3"
# HEAD is answered by werkzeug for every GET route; it is not an operation of its own.
UNDOCUMENTED_METHODS = frozenset({"HEAD", "OPTIONS"})


OPERATIONS: dict[tuple[str, str], dict[str, Any]] = {
    ("/healthz", "get"): {
        "operationId": "health",
        "tags": ["operations"],
        "summary": "Liveness: the gateway process answers",
        "responses": {"200": ok("Alive.", schemas.Health, {"status": "ok"})},
    },
    ("/readyz", "get"): {
        "operationId": "readiness",
        "tags": ["operations"],
        "summary": "Readiness: every service answers a ping",
        "responses": {
            "200": ok("Every service answered.", schemas.Readiness),
            "503": "NotReady",
        },
    },
    ("/api/openapi.json", "get"): {
        "operationId": "openapi",
        "tags": ["operations"],
        "summary": "This document",
        "responses": {"200": {"description": "OpenAPI 3 document.",
                              "headers": {"X-Request-ID": "RequestId"},
                              "content": {"application/json": {"schema": {"type": "object"}}}}},
    },
}


def openapi_path(rule: str) -> str:
    """werkzeug `/a/<int:id>` → OpenAPI `/a/{id}`."""
    return PATH_VALUE.sub(r"{\1}", rule)


def routes_of(service_cls: type) -> list[tuple[str, str]]:
    """(OpenAPI path, lower-case method) of every `@http` route the service declares."""
    routes = []
    for _, method in inspect.getmembers(service_cls, inspect.isfunction):
        for entrypoint in getattr(method, ENTRYPOINT_EXTENSIONS_ATTR, ()):
            if isinstance(entrypoint, GatewayHttpHandler):
                for verb in entrypoint.method.split(","):
                    if verb.strip().upper() not in UNDOCUMENTED_METHODS:
                        routes.append((openapi_path(entrypoint.url), verb.strip().lower()))
    return sorted(routes)


def all_operations() -> dict[tuple[str, str], dict[str, Any]]:
    """The gateway's own operations, the declared ones (`api.registry`) and the hand-written
    ones of every area under `gateway.routes`."""
    merged = dict(OPERATIONS)
    merged.update({(operation.openapi_path, operation.method.lower()): describe(operation)
                   for operation in registry.OPERATIONS})
    for area in routes.AREAS:
        merged.update(area.OPERATIONS)
    return merged


def build(served: Iterable[tuple[str, str]]) -> dict[str, Any]:
    served = set(served)
    operations = all_operations()
    undocumented = served - operations.keys()
    stale = operations.keys() - served
    if undocumented or stale:
        raise LookupError(f"OpenAPI out of step: undocumented routes {sorted(undocumented)}, "
                          f"descriptions of missing routes {sorted(stale)}")

    spec = APISpec(title=TITLE, version=VERSION, openapi_version=OPENAPI_VERSION,
                   plugins=[MarshmallowPlugin()],
                   info={"description": "Public HTTP API of the JII platform. Errors are "
                                        "application/problem+json (RFC 9457)."})
    components = {"Health": schemas.Health, "Readiness": schemas.Readiness,
                  "Problem": schemas.Problem}
    for area in routes.AREAS:
        components.update(area.COMPONENTS)
    for name, schema in components.items():
        spec.components.schema(name, schema=schema)
    # Staff routes name this scheme: a token from POST /api/staff/session.
    spec.components.security_scheme("bearerAuth", {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
        "description": "A staff token from POST /api/staff/session; roles admin, staff, "
                       "consultant.",
    })
    spec.components.header("RequestId", {
        "description": "The request's id: the caller's X-Request-ID if it was 1-128 characters "
                       "of [A-Za-z0-9._-], else a generated uuid4.",
        "schema": {"type": "string", "maxLength": 128},
    })
    for name, response in PROBLEM_RESPONSES.items():
        spec.components.response(name, _copy(response))
    request_id_parameter = {
        "in": "header", "name": "X-Request-ID", "required": False,
        "description": "Correlation id to carry through the services and their logs.",
        "schema": {"type": "string", "pattern": schemas.REQUEST_ID_PATTERN.pattern},
    }
    spec.components.parameter("RequestId", "header", request_id_parameter)

    by_path: dict[str, dict[str, Any]] = {}
    for path, verb in sorted(served):
        operation = _copy(operations[(path, verb)])
        operation["parameters"] = ["RequestId", *operation.get("parameters", [])]
        by_path.setdefault(path, {})[verb] = operation
    for path, operations in by_path.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


@cache
def document_for(service_cls: type) -> dict[str, Any]:
    """Built once per process: the routes cannot change while it runs."""
    return build(routes_of(service_cls))


def _copy(value: Any) -> Any:
    # apispec resolves references in place; the module-level descriptions stay untouched.
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy(item) for item in value]
    return value
