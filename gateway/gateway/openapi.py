"""The OpenAPI 3 document, generated from the schemas that validate the requests.

Paths come from the service's own `@http` entrypoints and their descriptions from OPERATIONS
below; a route without a description (or a description without a route) fails the build, so the
document lists exactly what the gateway serves.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterable
from functools import cache
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR

from gateway import schemas
from gateway.errors import PROBLEM_JSON
from gateway.web import GatewayHttpHandler

TITLE = "JII platform API"
VERSION = "1"
OPENAPI_VERSION = "3.0.3"
# HEAD is answered by werkzeug for every GET route; it is not an operation of its own.
UNDOCUMENTED_METHODS = frozenset({"HEAD", "OPTIONS"})


def _problem(description: str, example: dict[str, Any]) -> dict[str, Any]:
    return {
        "description": description,
        "headers": {"X-Request-ID": "RequestId"},
        "content": {PROBLEM_JSON: {"schema": "Problem", "example": {
            "instance": "/api/pledges",
            "request_id": "2f1c0a4e-8a53-4a8e-9d0f-5a0c8e1b7c3d",
            **example,
        }}},
    }


def _about_blank(status: int, title: str, detail: str) -> dict[str, Any]:
    return {"type": "about:blank", "title": title, "status": status, "detail": detail}


PROBLEM_RESPONSES: dict[str, dict[str, Any]] = {
    "InvalidInput": _problem("The body is malformed or has invalid fields.", {
        "type": "/problems/invalid-input", "title": "Invalid input", "status": 400,
        "detail": "The request body has invalid fields.",
        "errors": {"amount": ["Not a valid integer."], "email": ["Missing data for required "
                                                                  "field."]},
    }),
    "PaymentDeclined": _problem("The card was declined.", {
        "type": "/problems/payment-declined", "title": "Payment declined", "status": 402,
        "detail": "Your card was declined.", "reason": "insufficient_funds",
    }),
    "Conflict": _problem("The request conflicts with the current state.", {
        "type": "/problems/conflict", "title": "Conflict", "status": 409,
        "detail": "A pledge is already active for this e-mail address.",
    }),
    "PayloadTooLarge": _problem("The body is larger than the route accepts.", _about_blank(
        413, "Request Entity Too Large", "The body may be at most 65536 bytes.")),
    "UnsupportedMediaType": _problem("The body is not JSON.", _about_blank(
        415, "Unsupported Media Type",
        "The body must be JSON (Content-Type: application/json).")),
    "ServiceUnavailable": _problem("A service the request needs did not answer; retry later.", {
        "type": "/problems/service-unavailable", "title": "Service unavailable", "status": 503,
        "detail": "A service the request needs did not answer in time. Please retry shortly.",
    }),
    "NotReady": _problem("At least one service did not answer its ping.", {
        "type": "about:blank", "title": "Service Unavailable", "status": 503,
        "detail": "Not every service answered.", "unavailable": ["matching"],
    }),
    "InternalError": _problem("An unexpected error; the body carries no detail of the cause.",
                              _about_blank(500, "Internal server error",
                                           "Something went wrong on our side. Quote the request "
                                           "id if you contact us.")),
}


def _ok(description: str, schema: type, example: dict[str, Any] | None = None) -> dict:
    content: dict[str, Any] = {"schema": schema}
    if example is not None:
        content["example"] = example
    return {"description": description, "headers": {"X-Request-ID": "RequestId"},
            "content": {"application/json": content}}


OPERATIONS: dict[tuple[str, str], dict[str, Any]] = {
    ("/api/pledges", "post"): {
        "operationId": "createPledge",
        "tags": ["donations"],
        "summary": "Start a monthly pledge",
        "requestBody": {"required": True, "content": {"application/json": {
            "schema": schemas.PledgeRequest,
            "example": {"amount": 3000, "email": "hanako@example.org", "name": "Yamada Hanako",
                        "locale": "ja-JP", "payment_method": "pm_card_visa"},
        }}},
        "responses": {
            "201": _ok("Pledge created; finish with Stripe.js when client_secret is present.",
                       schemas.PledgeCreated,
                       {"id": "7b0c6d1e-3f7a-4d5e-9a51-0c2f4e8b9d10", "status": "pending",
                        "client_secret": "pi_123_secret_456"}),
            "400": "InvalidInput", "402": "PaymentDeclined", "409": "Conflict",
            "413": "PayloadTooLarge", "415": "UnsupportedMediaType",
            "500": "InternalError", "503": "ServiceUnavailable",
        },
    },
    ("/api/webhooks/stripe", "post"): {
        "operationId": "receiveStripeWebhook",
        "tags": ["donations"],
        "summary": "Stripe event notification",
        "description": "The body is passed on byte for byte: its signature is checked by the "
                       "donations service over the raw body.",
        "parameters": [{"in": "header", "name": "Stripe-Signature", "required": True,
                        "schema": {"type": "string"},
                        "example": "t=1700000000,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e7"}],
        "requestBody": {"required": True, "content": {"application/json": {
            "schema": {"type": "object"},
            "example": {"id": "evt_123", "type": "payment_intent.succeeded", "data": {}},
        }}},
        "responses": {
            "200": _ok("Event accepted.", schemas.WebhookReceived, {"received": True}),
            "400": _problem("Missing or bad signature, or a body that is not UTF-8.", {
                "type": "/problems/bad-signature", "title": "Bad signature", "status": 400,
                "detail": "The signature does not match the body."}),
            "413": "PayloadTooLarge", "500": "InternalError", "503": "ServiceUnavailable",
        },
    },
    ("/healthz", "get"): {
        "operationId": "health",
        "tags": ["operations"],
        "summary": "Liveness: the gateway process answers",
        "responses": {"200": _ok("Alive.", schemas.Health, {"status": "ok"})},
    },
    ("/readyz", "get"): {
        "operationId": "readiness",
        "tags": ["operations"],
        "summary": "Readiness: every service answers a ping",
        "responses": {
            "200": _ok("Every service answered.", schemas.Readiness),
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
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


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


def build(routes: Iterable[tuple[str, str]]) -> dict[str, Any]:
    routes = set(routes)
    undocumented = routes - OPERATIONS.keys()
    stale = OPERATIONS.keys() - routes
    if undocumented or stale:
        raise LookupError(f"OpenAPI out of step: undocumented routes {sorted(undocumented)}, "
                          f"descriptions of missing routes {sorted(stale)}")

    spec = APISpec(title=TITLE, version=VERSION, openapi_version=OPENAPI_VERSION,
                   plugins=[MarshmallowPlugin()],
                   info={"description": "Public HTTP API of the JII platform. Errors are "
                                        "application/problem+json (RFC 9457)."})
    for name, schema in (("PledgeRequest", schemas.PledgeRequest),
                         ("PledgeCreated", schemas.PledgeCreated),
                         ("WebhookReceived", schemas.WebhookReceived),
                         ("Health", schemas.Health), ("Readiness", schemas.Readiness),
                         ("Problem", schemas.Problem)):
        spec.components.schema(name, schema=schema)
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
    for path, verb in sorted(routes):
        operation = _copy(OPERATIONS[(path, verb)])
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
