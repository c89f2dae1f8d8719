"""Errors a service raises to its caller, rebuilt as the same class on the gateway's side.

Each carries what an HTTP problem document needs (a stable code, a human message and, for
invalid input, field errors); the gateway maps the classes to statuses in one place.
Constructor arguments must stay JSON-serialisable: Nameko sends `exc.args` over the wire.

Domain code raises `servicekit.domain` errors instead; `answering_domain_errors` turns them into
these at the RPC entrypoint, the one place that happens.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from nameko.exceptions import deserialize_to_instance

from servicekit import domain


class ServiceError(Exception):
    code = "service_error"

    def __init__(self, message: str, details: dict | None = None):
        super().__init__(message, details or {})
        self.message = message
        self.details = details or {}

    def __str__(self) -> str:
        return self.message


@deserialize_to_instance
class InvalidInput(ServiceError):
    """The request breaks a rule; `details` maps field names to lists of messages."""

    code = "invalid_input"


@deserialize_to_instance
class NotFound(ServiceError):
    code = "not_found"


@deserialize_to_instance
class Conflict(ServiceError):
    code = "conflict"


@deserialize_to_instance
class PaymentDeclined(ServiceError):
    """The card was refused; `details` carries the reason the bank gave."""

    code = "payment_declined"


@deserialize_to_instance
class Unprocessable(ServiceError):
    """Well-formed, but what it names cannot be used (a payment method the payment provider
    refuses); `details` maps field names to lists of messages, as for InvalidInput."""

    code = "unprocessable"


@deserialize_to_instance
class BadSignature(ServiceError):
    """A webhook whose signature does not match its body."""

    code = "bad_signature"


@deserialize_to_instance
class Unauthorized(ServiceError):
    """No valid credentials: missing, expired or tampered."""

    code = "unauthorized"


@deserialize_to_instance
class Forbidden(ServiceError):
    code = "forbidden"


@deserialize_to_instance
class Unavailable(ServiceError):
    """A peer the service depends on (Stripe, SMTP, its database, the broker) did not answer;
    worth retrying later."""

    code = "unavailable"


# each kind of domain error and the error its caller receives, message and details unchanged
_FROM_DOMAIN: dict[type[domain.DomainError], type[ServiceError]] = {
    domain.NotFound: NotFound,
    domain.Conflict: Conflict,
    domain.Invalid: InvalidInput,
}


def from_domain(exc: domain.DomainError) -> ServiceError:
    """The servicekit error a caller receives for a domain error (the nearest kind it is of)."""
    for kind in type(exc).__mro__:
        if kind in _FROM_DOMAIN:
            return _FROM_DOMAIN[kind](exc.message, exc.details)
    raise TypeError(f"no servicekit error stands for {type(exc).__name__}")


def answering_domain_errors(fn: Callable) -> Callable:
    """`fn` raising the servicekit error for each domain error it raises; its signature kept,
    since Nameko checks a call's arguments against it before spending a worker."""

    @functools.wraps(fn)
    def answering(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except domain.DomainError as exc:
            raise from_domain(exc) from exc

    answering.__signature__ = inspect.signature(fn)
    return answering


def is_outage(exc: BaseException) -> bool:
    """True when `exc` means a dependency is away for a while, not that the request is wrong:
    the database unreachable or its connection dropped mid-query (psycopg's OperationalError,
    the pool's timeout among them), or the broker refusing or dropping the connection.

    The one test every layer uses to turn such failures into a 503 the client may retry.
    """
    import psycopg
    from amqp.exceptions import ConnectionError as AmqpConnectionError
    from kombu.exceptions import OperationalError as KombuOperationalError

    return isinstance(exc, (psycopg.OperationalError, KombuOperationalError,
                            AmqpConnectionError, ConnectionError, TimeoutError))


def outage_as_unavailable(exc_info):
    """`exc_info` with a dependency outage replaced by `Unavailable`, so the caller gets the
    retryable error servicekit errors stand for rather than an unexpected one (a 500)."""
    if exc_info is None or not is_outage(exc_info[1]):
        return exc_info
    try:
        raise Unavailable("a dependency of the service is unavailable; try again shortly",
                          {"cause": type(exc_info[1]).__name__}) from exc_info[1]
    except Unavailable as unavailable:
        return (Unavailable, unavailable, unavailable.__traceback__)


def load_request(schema, request, message: str) -> dict:
    """An RPC payload loaded through a marshmallow `schema`, or `InvalidInput` carrying the
    field errors — the one way services turn bad input into a 400."""
    from marshmallow import ValidationError

    if not isinstance(request, dict):
        raise InvalidInput("the request body must be an object", {})
    try:
        return schema.load(request)
    except ValidationError as exc:
        raise InvalidInput(message, exc.messages) from None
