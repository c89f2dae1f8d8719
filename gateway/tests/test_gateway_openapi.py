"""The OpenAPI document served by the gateway describes exactly the routes it serves."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from api.donations import PledgeRequest

from gateway import openapi, schemas, web

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


@pytest.fixture
def document(gateway) -> dict:
    response = requests.get(f"{gateway}/api/openapi.json", timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    return response.json()


def served_routes(container) -> set[tuple[str, str]]:
    """(OpenAPI path, method) of every rule in the running web server's URL map."""
    routes = set()
    for entrypoint in container.entrypoints:
        if isinstance(entrypoint, web.GatewayHttpHandler):
            rule = entrypoint.get_url_rule()
            for method in rule.methods or ():
                if method not in openapi.UNDOCUMENTED_METHODS:
                    routes.add((openapi.openapi_path(rule.rule), method.lower()))
    return routes


def refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in refs(value)]
    return []


def resolve(document: dict, ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = document
    for part in ref[2:].split("/"):
        node = node[part]
    return node


def test_document_lists_every_served_route_and_no_other(document, gateway_container):
    documented = {(path, method) for path, item in document["paths"].items()
                  for method in item if method in HTTP_METHODS}

    assert documented == served_routes(gateway_container)
    assert len(documented) >= 5  # not vacuous; every area adds its own routes


def test_document_has_the_structure_of_openapi_3(document):
    assert document["openapi"].startswith("3.0.")
    assert document["info"]["title"] and document["info"]["version"]
    for path, item in document["paths"].items():
        assert path.startswith("/")
        for method, operation in item.items():
            assert operation["responses"], (path, method)
            assert operation["operationId"]
            for status, response in operation["responses"].items():
                response = resolve(document, response["$ref"]) if "$ref" in response else response
                assert response["description"], (path, method, status)
    for ref in refs(document):
        assert resolve(document, ref) is not None, ref
    operation_ids = [op["operationId"] for item in document["paths"].values()
                     for op in item.values()]
    assert len(operation_ids) == len(set(operation_ids))


def test_errors_are_documented_as_problem_json(document):
    problem_ref = "#/components/schemas/Problem"
    for item in document["paths"].values():
        for operation in item.values():
            for status, response in operation["responses"].items():
                response = resolve(document, response["$ref"]) if "$ref" in response else response
                if int(status) >= 400:
                    # Pages for people (the unsubscribe link) may offer HTML besides.
                    assert list(response["content"]) in (["application/problem+json"],
                                                          ["application/problem+json",
                                                           "text/html"])
                    assert response["content"]["application/problem+json"]["schema"] == {
                        "$ref": problem_ref}


def test_pledge_request_schema_and_example_agree_with_validation(document):
    operation = document["paths"]["/api/pledges"]["post"]
    content = operation["requestBody"]["content"]["application/json"]
    schema = resolve(document, content["schema"]["$ref"])

    assert PledgeRequest().load(content["example"])  # the example is valid
    assert set(schema["required"]) == {"amount", "email", "name", "locale", "payment_method"}
    assert schema["additionalProperties"] is False
    assert schema["properties"]["amount"] == {**schema["properties"]["amount"],
                                              "type": "integer", "minimum": 1}


def test_problem_examples_match_the_problem_schema(document):
    for name, response in document["components"]["responses"].items():
        example = response["content"]["application/problem+json"]["example"]
        assert not schemas.Problem().validate(example), name


def test_document_passes_the_openapi_validator(document):
    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(document)


def test_every_security_scheme_a_route_names_is_defined():
    from gateway.openapi import document_for
    from gateway.service import GatewayService

    document = document_for(GatewayService)
    defined = set(document["components"].get("securitySchemes", {}))
    named = {name for path in document["paths"].values() for operation in path.values()
             for requirement in operation.get("security", []) for name in requirement}
    assert named and named <= defined
