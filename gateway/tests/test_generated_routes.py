"""A generated route forwards what the client sent, refuses a bad body before any call, and
answers a service outage as 503 with Retry-After: the failure paths of `gateway.operations`,
called as nameko's worker calls an entrypoint, on a stand-in service."""

from __future__ import annotations

import json
from types import SimpleNamespace

from api import programs
from gateway.auth import Authorizer
from gateway.operations import entrypoint_name
from gateway.service import GatewayService
from servicekit import errors
from test_gateway_declared_roles import SECRET, SOME_ID, Untouchable, request_for


class Recording:
    """An RPC proxy that records each call and answers (or raises) what it was given."""

    def __init__(self, answer: object):
        self.answer, self.calls = answer, []

    def __getattr__(self, method: str):
        def call(**arguments):
            self.calls.append((method, arguments))
            if isinstance(self.answer, Exception):
                raise self.answer
            return self.answer
        return call


def call(operation, proxy, body: object = None, role: str | None = "admin"):
    service = SimpleNamespace(staff=Authorizer(SECRET, SimpleNamespace(data={})),
                              programs=proxy, donations=Untouchable(), matching=Untouchable(),
                              notifications=Untouchable())
    response = getattr(GatewayService, entrypoint_name(operation))(
        service, request_for(operation, role, body),
        **{name: SOME_ID for name in operation.path_names})
    return response.status_code, response.headers, json.loads(response.get_data() or b"null")


def test_the_body_travels_as_sent_with_the_path_values_by_name():
    proxy = Recording({"id": SOME_ID, "capacity": 12, "promoted": []})
    status, _, _ = call(programs.CHANGE_CLASS_CAPACITY, proxy, {"capacity": 12})
    assert status == 200
    assert proxy.calls == [("change_class_capacity",
                            {"class_id": SOME_ID, "body": {"capacity": 12}})]


def test_a_body_the_schema_refuses_is_a_400_naming_the_field_and_nothing_is_called():
    status, _, problem = call(programs.CHANGE_CLASS_CAPACITY, Untouchable(),
                              {"capacity": "twelve"})
    assert (status, problem["type"]) == (400, "/problems/invalid-input")
    assert "capacity" in problem["errors"]


def test_a_service_outage_is_a_503_with_retry_after():
    proxy = Recording(errors.Unavailable("the database did not answer"))
    status, headers, problem = call(programs.LIST_CLASSES, proxy, role=None)
    assert (status, problem["type"]) == (503, "/problems/service-unavailable")
    assert int(headers["Retry-After"]) > 0
