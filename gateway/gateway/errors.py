"""The one place where an exception becomes an HTTP answer: `application/problem+json` (RFC 9457).

Every failure the gateway can meet ends up here — validation, HTTP-level refusals raised by
routing or body reading (werkzeug's exceptions), the servicekit errors a service raises (rebuilt
as the same class on this side of the RPC), RPC failures and dependency outages (broker or
database away: always a 503, see `servicekit.errors.is_outage`). Anything not listed is a 500 whose
body says nothing about the cause; the cause goes to the log with the request id instead.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import structlog
from api.doc import PROBLEM_JSON
from marshmallow import ValidationError
from nameko.exceptions import ContainerBeingKilled, RpcTimeout, UnknownService
from servicekit import errors as service_errors
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.wrappers import Response

from gateway.capabilities import redact
from gateway.edge import RateLimited

# Relative URIs: they resolve against the gateway's own origin, so every deployment documents
# its problem types at /problems/<slug> without the code knowing its public hostname.
TYPE_PREFIX = "/problems/"
# How long a client should wait before retrying after a 503; a restarted service is usually
# consuming again within seconds.
RETRY_AFTER_SECONDS = 5

log = structlog.get_logger("gateway.errors")


class MalformedBody(Exception):
    """The body could not be read as the JSON (or UTF-8 text) the route needs."""


class InvalidQuery(Exception):
    """The query string has parameters the route does not know or values it cannot take."""

    def __init__(self, messages: dict[str, Any]):
        super().__init__(", ".join(sorted(messages)))
        self.messages = messages


class MissingHeader(Exception):
    """A header the route cannot work without is absent."""

    def __init__(self, header: str):
        super().__init__(f"The {header} header is required.")
        self.header = header


@dataclass
class Problem:
    """An RFC 9457 problem document plus the headers that go with it."""

    status: int
    title: str
    detail: str
    slug: str | None = None  # None means `about:blank`: the status code says it all
    errors: dict[str, list[str]] | None = None
    extensions: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    def document(self, request_id: str, instance: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": TYPE_PREFIX + self.slug if self.slug else "about:blank",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "instance": instance,
            "request_id": request_id,
        }
        if self.errors is not None:
            body["errors"] = self.errors
        body.update(self.extensions)
        return body


def field_errors(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """Flatten marshmallow's (possibly nested) messages into `{"a.b": ["msg", ...]}`.

    Clients show one message list per form field; a nested dict or a list index becomes a
    dotted path. Errors about the body as a whole stay under marshmallow's `_schema` key.
    """
    if isinstance(messages, Mapping):
        flat: dict[str, list[str]] = {}
        for key, value in messages.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            flat.update(field_errors(value, path))
        return flat
    if isinstance(messages, (list, tuple)):
        if all(isinstance(item, str) for item in messages):
            return {prefix or "_schema": list(messages)}
        flat = {}
        for item in messages:
            for key, value in field_errors(item, prefix).items():
                flat.setdefault(key, []).extend(value)
        return flat
    return {prefix or "_schema": [str(messages)]}


def _service_error(exc: service_errors.ServiceError) -> Problem | None:
    # Messages of servicekit errors are written for the person using the site (they are the
    # service's answer, not a stack trace), so they are passed on as the detail.
    if isinstance(exc, service_errors.InvalidInput):
        return Problem(400, "Invalid input", exc.message, "invalid-input",
                       errors=field_errors(exc.details))
    if isinstance(exc, service_errors.Unprocessable):
        return Problem(422, "Unprocessable content", exc.message, "unprocessable",
                       errors=field_errors(exc.details))
    if isinstance(exc, service_errors.NotFound):
        return Problem(404, "Not found", exc.message, "not-found")
    if isinstance(exc, service_errors.Conflict):
        return Problem(409, "Conflict", exc.message, "conflict")
    if isinstance(exc, service_errors.PaymentDeclined):
        reason = exc.details.get("reason") or exc.details.get("decline_code")
        extensions = {"reason": str(reason)} if reason else {}
        return Problem(402, "Payment declined", exc.message, "payment-declined",
                       extensions=extensions)
    if isinstance(exc, service_errors.BadSignature):
        return Problem(400, "Bad signature", exc.message, "bad-signature")
    if isinstance(exc, service_errors.Unauthorized):
        return Problem(401, "Unauthorized", exc.message, "unauthorized",
                       headers={"WWW-Authenticate": 'Bearer realm="jii-staff"'})
    if isinstance(exc, service_errors.Forbidden):
        return Problem(403, "Forbidden", exc.message, "forbidden")
    if isinstance(exc, service_errors.Unavailable):
        return _unavailable("A service the request needs is temporarily unavailable.")
    return None


def _unavailable(detail: str) -> Problem:
    return Problem(503, "Service unavailable", detail + " Please retry shortly.",
                   "service-unavailable", headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def _http_exception(exc: HTTPException) -> Problem:
    status = exc.code or 500
    headers: dict[str, str] = {}
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        headers["Allow"] = ", ".join(sorted(exc.valid_methods))
    title = exc.name
    detail = exc.description or title
    return Problem(status, title, detail, headers=headers)


def problem_for(exc: BaseException) -> Problem | None:
    """The problem an expected exception stands for; None for anything unexpected (a 500)."""
    if isinstance(exc, RateLimited):
        return Problem(429, "Too many requests",
                       f"Too many requests from this client; retry in {exc.retry_after} s.",
                       "rate-limited", headers={"Retry-After": str(exc.retry_after)})
    if isinstance(exc, ValidationError):
        return Problem(400, "Invalid input", "The request body has invalid fields.",
                       "invalid-input", errors=field_errors(exc.messages))
    if isinstance(exc, InvalidQuery):
        names = ", ".join(sorted(exc.messages))
        return Problem(400, "Invalid query parameter",
                       f"The query string has invalid parameters: {names}.", "invalid-query",
                       errors=field_errors(exc.messages), extensions={"in": "query"})
    if isinstance(exc, MalformedBody):
        return Problem(400, "Malformed body", str(exc), "malformed-body")
    if isinstance(exc, MissingHeader):
        return Problem(400, "Missing header", str(exc), "missing-header",
                       extensions={"header": exc.header})
    if isinstance(exc, service_errors.ServiceError):
        return _service_error(exc)
    if isinstance(exc, HTTPException):
        return _http_exception(exc)
    if isinstance(exc, RpcTimeout):
        return _unavailable("A service the request needs did not answer in time.")
    if isinstance(exc, UnknownService):
        return _unavailable("A service the request needs is not running.")
    if isinstance(exc, ContainerBeingKilled):
        return _unavailable("The gateway is shutting down.")
    if service_errors.is_outage(exc):
        # The broker or the gateway's own database is away: as retryable as a slow service.
        return _unavailable("A service the request needs is temporarily unavailable.")
    return None


def problem_response(problem: Problem, request_id: str, instance: str) -> Response:
    body = json.dumps(problem.document(request_id, instance), ensure_ascii=False)
    response = Response(body, status=problem.status, mimetype=PROBLEM_JSON)
    response.headers.update(problem.headers)
    return response


def response_for(exc: BaseException, request_id: str, instance: str, *,
                 traceback_logged: bool = False) -> Response:
    """Map any exception to its problem response; unexpected ones are logged, never shown."""
    problem = logged_problem(exc, request_id, instance, traceback_logged=traceback_logged)
    return problem_response(problem, request_id, instance)


def logged_problem(exc: BaseException, request_id: str, instance: str, *,
                   traceback_logged: bool = False) -> Problem:
    """The problem an exception answers (a 500 for an unexpected one), logged when it is a
    failure of ours (5xx), whatever form the answer then takes (a document or a page)."""
    problem = problem_for(exc)
    if problem is None:
        # The request id in both the log line and the body lets support find one from the other.
        log.error("unhandled error", correlation_id=request_id, path=redact(instance),
                  error=type(exc).__name__,
                  exc_info=None if traceback_logged else (type(exc), exc, exc.__traceback__))
        problem = Problem(
            500, "Internal server error",
            "Something went wrong on our side. Quote the request id if you contact us.",
        )
    elif problem.status >= 500:
        log.warning("service unavailable", correlation_id=request_id, path=redact(instance),
                    error=type(exc).__name__)
    return problem
