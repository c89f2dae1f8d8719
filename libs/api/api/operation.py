"""One HTTP operation, declared once: what the gateway routes, documents and checks, and what
the service it calls loads and enforces.

The call convention is fixed so that routes can be generated: the gateway calls
`<service>.<rpc>` with the path's values by name, then `body=` (the JSON document, checked
against `body`) and `query=` (the query string's parameters, checked against `query`) when the
operation has them. The service loads both through the same schemas (`api.serving.serves`)
and answers the response body, which the gateway dumps through `response`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import quote

from marshmallow import Schema

# werkzeug's `<converter:name>` or `<name>`
PATH_VALUE = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
PUBLIC: None = None
STAFF_ROLES = ("admin", "staff", "consultant")
UUID_VALUE: dict[str, Any] = {"type": "string", "format": "uuid"}


@dataclass(frozen=True)
class Operation:
    """An HTTP operation of the public API.

    `roles` None is a public operation; otherwise the staff roles allowed, checked by the
    gateway (the token) and by the service (the caller it forwards). `errors` holds the
    operation's own problem responses by status (the generic ones — bad body, bad query,
    missing token, wrong role, outage — are added from the rest of the declaration).
    """

    id: str
    method: str
    path: str
    rpc: str
    summary: str
    tag: str
    returns: str
    response: type[Schema] | None = None
    status: int = 200
    body: type[Schema] | None = None
    query: type[Schema] | None = None
    roles: tuple[str, ...] | None = PUBLIC
    errors: dict[str, Any] = field(default_factory=dict)
    description: str | None = None
    example: dict[str, Any] | None = None
    response_example: dict[str, Any] | None = None
    # OpenAPI parameter fields of a path value that is not a UUID (schema, description)
    path_values: dict[str, dict[str, Any]] = field(default_factory=dict)
    # `public` (kept 60 s) or `revalidate` (no-cache): answered with an ETag and 304s
    cache: str | None = None
    # path values refused when they are not UUIDs (400 invalid-input naming them), by the
    # gateway before any call and by the service; others reach the service as sent
    checked_ids: tuple[str, ...] = ()
    # a request may leave the body out entirely: the service then loads `{}`
    body_optional: bool = False
    # The gateway's route is written by hand (it answers a file or a page, not only JSON):
    # it is declared for its schemas, roles and RPC, but neither routed nor described from
    # here; the hand-written route is named as a generated one would be and checks `roles`.
    handwritten: bool = False

    def __post_init__(self) -> None:
        if self.roles is not None and not set(self.roles) <= set(STAFF_ROLES):
            raise ValueError(f"{self.id}: unknown roles {self.roles}")
        if self.cache not in (None, "public", "revalidate"):
            raise ValueError(f"{self.id}: cache must be public or revalidate")
        if "." not in self.rpc:
            raise ValueError(f"{self.id}: rpc must be service.method")
        if not set(self.checked_ids) <= set(self.path_names) - self.path_values.keys():
            raise ValueError(f"{self.id}: checked_ids must name UUID path values")
        if self.body_optional and self.body is None:
            raise ValueError(f"{self.id}: body_optional needs a body")

    # One schema instance each, made on first use: marshmallow's load and dump keep no state,
    # so every request shares it rather than building the schema again.
    @cached_property
    def body_schema(self) -> Schema | None:
        return self.body() if self.body is not None else None

    @cached_property
    def query_schema(self) -> Schema | None:
        return self.query() if self.query is not None else None

    @cached_property
    def response_schema(self) -> Schema | None:
        return self.response() if self.response is not None else None

    @property
    def service(self) -> str:
        return self.rpc.partition(".")[0]

    @property
    def method_name(self) -> str:
        return self.rpc.partition(".")[2]

    @property
    def path_names(self) -> tuple[str, ...]:
        return tuple(PATH_VALUE.findall(self.path))

    @property
    def openapi_path(self) -> str:
        """werkzeug `/a/<int:id>` → OpenAPI `/a/{id}`."""
        return PATH_VALUE.sub(r"{\1}", self.path)

    @property
    def is_staff(self) -> bool:
        return self.roles is not None

    def url(self, **values: str) -> str:
        """The path with its values filled in, each escaped: how a service names a route of
        the gateway (in a link it mails) without spelling the path out itself."""
        return fill_path(self.path, **values)


def fill_path(path: str, **values: str) -> str:
    """A werkzeug rule with its values filled in, each escaped: also for the path of a
    hand-written route a service links to."""
    missing = set(PATH_VALUE.findall(path)) - values.keys()
    if missing:
        raise KeyError(f"{path} needs {sorted(missing)}")
    return PATH_VALUE.sub(lambda match: quote(str(values[match.group(1)]), safe=""), path)


def operations_of(module: Any) -> tuple[Operation, ...]:
    """Every Operation a module declares at its top level, in declaration order."""
    return tuple(value for value in vars(module).values() if isinstance(value, Operation))
