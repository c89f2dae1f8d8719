"""What domain code raises when a request cannot be carried out: plain exceptions that know
nothing of Nameko, RPC or HTTP, so a domain module can be read and tested on its own.

Every RPC entrypoint (`servicekit.rpc.rpc`, hence `api.serving.serves`) answers them as the
`servicekit.errors` class of the same kind, with the same message and details
(`servicekit.errors.from_domain`); no service maps them by hand. Failures that need a choice
(which status a refusal gets depends on its reason) stay exceptions of their module, mapped by
the service's entrypoint.
"""

from __future__ import annotations


class DomainError(Exception):
    """A request refused by a rule; `message` is written for the person who asked, `details`
    (JSON values) say what a client needs to act on it."""

    def __init__(self, message: str, details: dict | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = dict(details or {})

    def __str__(self) -> str:
        return self.message


class NotFound(DomainError):
    """No such record; a malformed id names none either."""


class Conflict(DomainError):
    """The record is not in a state that allows it (already cancelled, full, taken meanwhile)."""


class Invalid(DomainError):
    """The request breaks a rule only the service's data can check (a date already past, a
    child without a seat); `details` maps field names to lists of messages."""
