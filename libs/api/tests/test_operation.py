"""What a declaration says of itself: its path values, its URL, its OpenAPI description."""

import pytest
from api.doc import describe
from api.fields import Query, Strict, text
from api.operation import Operation
from marshmallow import Schema, fields


class Body(Strict):
    title = text(required=True)


class Filter(Query):
    limit = fields.Integer()


class Answer(Schema):
    id = fields.String()


def operation(**overrides) -> Operation:
    declared = {"id": "renameThing", "method": "POST", "path": "/api/staff/things/<thing_id>",
                "rpc": "things.rename_thing", "tag": "staff", "summary": "Rename a thing",
                "returns": "The thing.", "response": Answer, "body": Body,
                "roles": ("admin",)}
    return Operation(**{**declared, **overrides})


def test_a_declaration_names_its_service_method_and_path_values():
    declared = operation(path="/api/things/<thing_id>/parts/<int:part>")
    assert (declared.service, declared.method_name) == ("things", "rename_thing")
    assert declared.path_names == ("thing_id", "part")
    assert declared.openapi_path == "/api/things/{thing_id}/parts/{part}"


def test_a_url_fills_each_path_value_escaped_and_needs_them_all():
    declared = operation(path="/api/links/<token>")
    assert declared.url(token="a/b c") == "/api/links/a%2Fb%20c"
    with pytest.raises(KeyError):
        declared.url()


@pytest.mark.parametrize("wrong", [{"roles": ("owner",)}, {"cache": "forever"},
                                   {"rpc": "rename_thing"}])
def test_a_declaration_with_an_unknown_role_cache_or_rpc_is_refused(wrong):
    with pytest.raises(ValueError):
        operation(**wrong)


def test_a_staff_operation_is_described_with_its_body_auth_and_refusals():
    described = describe(operation(errors={"404": "NotFoundThing"}))
    assert described["security"] == [{"bearerAuth": []}]
    assert described["parameters"] == [{"in": "path", "name": "thing_id", "required": True,
                                        "schema": {"type": "string", "format": "uuid"}}]
    assert described["requestBody"]["content"]["application/json"]["schema"] is Body
    assert sorted(described["responses"]) == ["200", "400", "401", "403", "404", "413",
                                              "415", "500", "503"]
    assert "admin" in described["responses"]["403"]["description"]


def test_a_public_cached_query_is_described_with_its_validator_and_304():
    described = describe(operation(method="GET", path="/api/things", body=None, query=Filter,
                                   roles=None, cache="public"))
    assert "security" not in described
    assert described["parameters"][0] == {"in": "query", "schema": Filter}
    assert described["parameters"][1]["name"] == "If-None-Match"
    assert {"200", "304", "400"} <= described["responses"].keys()
    assert "ETag" in described["responses"]["200"]["headers"]


def test_checked_ids_and_an_optional_body_are_described():
    described = describe(operation(method="GET", body=None, checked_ids=("thing_id",)))
    assert described["responses"]["400"] == "InvalidInput"  # a malformed id
    optional = describe(operation(body_optional=True))
    assert optional["requestBody"]["required"] is False


@pytest.mark.parametrize("wrong", [{"checked_ids": ("other_id",)},
                                   {"checked_ids": ("service",),
                                    "path": "/api/things/<service>",
                                    "path_values": {"service": {"schema": {"type": "string"}}}},
                                   {"body": None, "body_optional": True}])
def test_checked_ids_name_uuid_path_values_and_an_optional_body_needs_a_body(wrong):
    with pytest.raises(ValueError):
        operation(**wrong)
