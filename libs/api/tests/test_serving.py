"""`@serves`: the service's side of a declaration refuses the wrong role first, then loads the
body and query through the declared schemas, and keeps the method's signature for nameko."""

from datetime import date
from types import SimpleNamespace

import pytest
from api.fields import Query, Strict, text
from api.operation import Operation
from api.serving import serves
from marshmallow import fields
from nameko.exceptions import IncorrectSignature
from servicekit import errors


class Body(Strict):
    title = text(required=True)
    when = fields.Date(required=True)


class Filter(Query):
    limit = fields.Integer(load_default=10)


RENAME = Operation(id="renameThing", method="POST", path="/api/staff/things/<thing_id>",
                   rpc="things.rename_thing", tag="staff", summary="Rename",
                   returns="The thing.", body=Body, roles=("admin", "staff"))
LIST = Operation(id="listThings", method="GET", path="/api/things", rpc="things.list_things",
                 tag="things", summary="List", returns="Things.", query=Filter)


class Things:
    @serves(RENAME)
    def rename_thing(self, thing_id: str, body: dict) -> dict:
        return {"id": thing_id, **body}

    @serves(LIST)
    def list_things(self, query: dict) -> dict:
        return query


def as_role(role):
    return SimpleNamespace(caller={"subject": "someone", "role": role})


def test_an_allowed_caller_gets_the_body_loaded_through_the_declared_schema():
    answer = Things.rename_thing(as_role("staff"), "t-1", {"title": "New", "when": "2026-12-07"})
    assert answer == {"id": "t-1", "title": "New", "when": date(2026, 12, 7)}


def test_arguments_by_name_work_as_the_gateway_sends_them():
    answer = Things.rename_thing(as_role("admin"), thing_id="t-2",
                                 body={"title": "X", "when": "2026-01-01"})
    assert answer["id"] == "t-2"


@pytest.mark.parametrize("role", [None, "consultant"])
def test_a_caller_without_the_role_is_refused_before_the_body_is_read(role):
    with pytest.raises(errors.Forbidden):
        Things.rename_thing(as_role(role), "t-1", "not even a body")


@pytest.mark.parametrize("body", [{"title": " "}, {"title": "X", "when": "soon"},
                                  {"title": "X", "when": "2026-01-01", "colour": "red"}, []])
def test_a_body_the_schema_refuses_is_invalid_input_naming_the_field(body):
    with pytest.raises(errors.InvalidInput):
        Things.rename_thing(as_role("admin"), "t-1", body)


def test_a_public_query_gets_its_defaults_and_refuses_unknown_parameters():
    assert Things.list_things(as_role(None), {}) == {"limit": 10}
    assert Things.list_things(as_role(None), {"limit": "3"}) == {"limit": 3}
    with pytest.raises(errors.InvalidInput):
        Things.list_things(as_role(None), {"colour": "red"})


def test_a_call_with_the_wrong_arguments_is_an_incorrect_signature():
    with pytest.raises(IncorrectSignature):
        Things.rename_thing(as_role("admin"), "t-1", {}, "extra")


def test_a_decorated_method_must_be_the_one_the_declaration_names():
    with pytest.raises(ValueError):
        serves(RENAME)(lambda self, thing_id, body: None)


class Approval(Strict):
    capacity = fields.Integer(strict=True)


APPROVE = Operation(id="approveThing", method="POST", path="/api/staff/things/<thing_id>/ok",
                    rpc="things.approve_thing", tag="staff", summary="Approve",
                    returns="The thing.", body=Approval, body_optional=True,
                    checked_ids=("thing_id",), roles=("admin",))


class Approving:
    @serves(APPROVE)
    def approve_thing(self, thing_id: str, body: dict) -> dict:
        return {"id": thing_id, **body}


@pytest.mark.parametrize("thing_id", ["42", "", "6f1d2c3b-4a59-4e68-9d7c"])
def test_a_checked_id_that_is_no_uuid_is_invalid_input_naming_it(thing_id):
    with pytest.raises(errors.InvalidInput) as caught:
        Approving.approve_thing(as_role("admin"), thing_id, {})
    assert "thing_id" in caught.value.details


def test_an_optional_body_left_out_loads_as_empty_and_one_given_is_still_checked():
    thing_id = "6f1d2c3b-4a59-4e68-9d7c-0b1a2c3d4e5f"
    assert Approving.approve_thing(as_role("admin"), thing_id, None) == {"id": thing_id}
    assert Approving.approve_thing(as_role("admin"), thing_id, {"capacity": 2})["capacity"] == 2
    with pytest.raises(errors.InvalidInput):
        Approving.approve_thing(as_role("admin"), thing_id, {"capacity": "two"})
