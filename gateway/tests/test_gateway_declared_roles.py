"""Every declared staff route refuses a caller without its role at the gateway, before any
RPC (one test per operation and role, generated from `api`'s declarations).

The generated entrypoint is called as nameko's worker calls it, on a stand-in service whose
RPC proxies fail the test if touched."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from api.testing import SOME_ID, refusals
from gateway.auth import Authorizer, issue_token
from gateway.operations import entrypoint_name
from gateway.service import GatewayService
from gateway.web import REQUEST_ID_ENVIRON_KEY
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

SECRET = "s" * 32


class Untouchable:
    def __getattr__(self, name: str):
        pytest.fail(f"the gateway called {name} for a caller without the role")


def request_for(operation, role: str | None, body: object = None) -> Request:
    headers = {} if role is None else {
        "Authorization": f"Bearer {issue_token(SECRET, 'role-test', role)}"}
    environ = EnvironBuilder(
        method=operation.method, headers=headers,
        path=operation.url(**{name: SOME_ID for name in operation.path_names}),
        json=body if body is not None else ({} if operation.body is not None else None),
    ).get_environ()
    environ[REQUEST_ID_ENVIRON_KEY] = "role-test"
    request = Request(environ)
    return request


@pytest.mark.parametrize(("operation", "role"), refusals())
def test_a_caller_without_the_role_is_refused_before_any_call(operation, role):
    worker_ctx = SimpleNamespace(data={})
    service = SimpleNamespace(staff=Authorizer(SECRET, worker_ctx), donations=Untouchable(),
                              matching=Untouchable(), programs=Untouchable(),
                              notifications=Untouchable())
    entrypoint = getattr(GatewayService, entrypoint_name(operation))

    response = entrypoint(service, request_for(operation, role),
                          **{name: SOME_ID for name in operation.path_names})

    problem = json.loads(response.get_data())
    assert (response.status_code, problem["type"]) == (
        (401, "/problems/unauthorized") if role is None else (403, "/problems/forbidden"))
